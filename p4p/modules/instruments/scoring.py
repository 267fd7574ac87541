"""An instrument's scores from one set of answers: pure functions, no database.

Answers map item names to numbers (a yes_no answer is True/False or 1/0); a missing or None
answer is unanswered. A reverse-scored item counts high as low before it is added up.
"""

from collections.abc import Mapping

from p4p.modules.instruments.models import SCORABLE_TYPES, Instrument, Item, Score

Number = int | float


def scored_value(item: Item, answer) -> Number | None:
    """The answer as the score counts it (reversed if the item is), None when unanswered."""
    if item.type not in SCORABLE_TYPES:
        raise ValueError(f"{item.name}: a {item.type} item has no score value")
    if answer is None:
        return None
    if item.type == "yes_no":
        if answer not in (0, 1):  # True and False are 1 and 0
            raise ValueError(f"{item.name}: {answer!r} is not a yes (1) or a no (0)")
        return int(answer)
    if isinstance(answer, bool) or not isinstance(answer, int | float):
        raise ValueError(f"{item.name}: {answer!r} is not a number")
    if item.type == "choice":
        if answer not in item.codes:
            raise ValueError(f"{item.name}: {answer!r} is not one of the codes {item.codes}")
        return max(item.codes) + min(item.codes) - answer if item.reverse else answer
    if item.type == "scale_0_10":
        if not 0 <= answer <= 10:
            raise ValueError(f"{item.name}: {answer!r} is outside 0 to 10")
        return 10 - answer if item.reverse else answer
    return answer  # a number item counts as answered


def compute_score(
    score: Score, instrument: Instrument, answers: Mapping[str, object]
) -> Number | None:
    """The score's sum or mean of its items' answers; None when fewer than min_answers answered."""
    values = [
        value
        for name in score.items
        if (value := scored_value(instrument.item(name), answers.get(name))) is not None
    ]
    if len(values) < score.min_answers:
        return None
    total = sum(values)
    return total / len(values) if score.method == "mean" else total


def compute_scores(
    instrument: Instrument, answers: Mapping[str, object]
) -> dict[str, Number | None]:
    """Every score of the instrument, by name."""
    return {score.name: compute_score(score, instrument, answers) for score in instrument.scores}
