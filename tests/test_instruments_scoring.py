"""Scores from answers: reverse-scored items, sum and mean, too few answers, bad answers."""

import re

import pytest

from p4p.modules.curriculum.service import PACKAGED_CONTENT, read_program
from p4p.modules.instruments.models import Choice, Instrument, Item, Score
from p4p.modules.instruments.scoring import compute_score, compute_scores, scored_value

EN = {"en": "x"}


def _choice(name: str, codes, reverse=False) -> Item:
    return Item(name, "choice", EN, reverse=reverse, choices=tuple(Choice(c, EN) for c in codes))


def _scale(name: str, reverse=False) -> Item:
    return Item(name, "scale_0_10", EN, reverse=reverse, low_label=EN, high_label=EN)


AGREE = _choice("agree", (1, 2, 3, 4))
AGREE_REVERSED = _choice("agree_r", (1, 2, 3, 4), reverse=True)
OFTEN_REVERSED = _choice("often_r", (0, 1, 2, 3, 4), reverse=True)
SURE = _scale("sure")
SURE_REVERSED = _scale("sure_r", reverse=True)
WALKED = Item("walked", "yes_no", EN)
HOURS = Item("hours", "number", EN, minimum=0, maximum=24, decimal=True)
NOTE = Item("note", "short_text", EN, max_length=50)


def _instrument(*scores: Score) -> Instrument:
    items = (AGREE, AGREE_REVERSED, OFTEN_REVERSED, SURE, SURE_REVERSED, WALKED, HOURS, NOTE)
    return Instrument("test", EN, items, scores)


@pytest.mark.parametrize(
    ("item", "answer", "counted"),
    [
        (AGREE, 1, 1),
        (AGREE_REVERSED, 1, 4),  # max + min - code: 4 + 1 - 1
        (AGREE_REVERSED, 3, 2),
        (OFTEN_REVERSED, 0, 4),
        (OFTEN_REVERSED, 4, 0),
        (SURE, 7, 7),
        (SURE_REVERSED, 7, 3),  # 10 - 7
        (SURE_REVERSED, 0, 10),
        (WALKED, True, 1),
        (WALKED, 0, 0),
        (HOURS, 7.5, 7.5),
        (AGREE, None, None),
    ],
)
def test_an_answer_counts_as_its_item_says(item, answer, counted):
    assert scored_value(item, answer) == counted


@pytest.mark.parametrize(
    ("item", "answer", "message"),
    [
        (AGREE, 5, "not one of the codes"),
        (SURE, 11, "outside 0 to 10"),
        (SURE, "7", "not a number"),
        (WALKED, 2, "not a yes (1) or a no (0)"),
        (NOTE, "fine", "no score value"),
    ],
)
def test_an_answer_outside_the_item_is_refused(item, answer, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        scored_value(item, answer)


def test_a_sum_adds_reversed_items_reversed():
    score = Score("total", "sum", ("agree", "agree_r", "sure_r"), min_answers=3)
    answers = {"agree": 2, "agree_r": 1, "sure_r": 8}
    assert compute_score(score, _instrument(score), answers) == 2 + 4 + 2


def test_a_mean_with_one_answer_missing_uses_the_answered_ones():
    score = Score("average", "mean", ("sure", "sure_r", "often_r"), min_answers=2)
    answers = {"sure": 6, "often_r": 1, "sure_r": None}
    assert compute_score(score, _instrument(score), answers) == pytest.approx((6 + 3) / 2)


def test_fewer_answers_than_min_answers_give_no_score():
    score = Score("average", "mean", ("sure", "sure_r", "often_r"), min_answers=3)
    instrument = _instrument(score)
    assert compute_score(score, instrument, {"sure": 6, "often_r": 1}) is None
    assert compute_score(score, instrument, {}) is None
    assert compute_score(
        score, instrument, {"sure": 6, "often_r": 1, "sure_r": 0}
    ) == pytest.approx((6 + 3 + 10) / 3)


def test_the_peg_score_is_the_mean_of_its_three_items_and_needs_all_three():
    peg = read_program(PACKAGED_CONTENT)[0].instruments["peg"]
    answers = {"peg_pain": 6, "peg_enjoyment": 5, "peg_activity": 7}
    assert compute_scores(peg, answers) == {"peg_score": pytest.approx(6.0)}
    assert compute_scores(peg, {**answers, "peg_activity": None}) == {"peg_score": None}
