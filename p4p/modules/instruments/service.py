"""Answering the study's questionnaires: which are open for a participant now, saving one
answer at a time (checked against the item's type), and submitting with the scores.

Occasions have keys: "enrolment", "week-<n>" (the n-th week of the participant's cohort) and
"month-<m>" (m months after the participant's own program start). Each stays open from its
first day for the occasion's window_days, that first day included. Services flush, never commit.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from p4p.local_time import local_datetime
from p4p.modules.curriculum.models import Program
from p4p.modules.instruments.answer_models import InstrumentAnswer, InstrumentResponse
from p4p.modules.instruments.models import Instrument, Item
from p4p.modules.instruments.scoring import compute_scores
from p4p.modules.participants.models import Participant
from p4p.modules.participants.service import HomePage, WeekState
from p4p.modules.reminders.rules import add_months
from p4p.problems import Problems

ANSWER_FIELD = "answer"  # the one field of a question screen
# The weekly check-in is this questionnaire's week-<n> occasions: the home page's check-in card,
# the progress chart and the facilitator's page of a participant read its score by week.
CHECK_IN = "peg"
CHECK_IN_SCORE = "peg_score"
WEEK_OCCASION = "week-"


def week_occasion(week: int) -> str:
    return f"{WEEK_OCCASION}{week}"


@dataclass(frozen=True)
class OpenOccasion:
    occasion: str
    opens_on: date
    last_day: date  # the window's last day, included


@dataclass(frozen=True)
class DueQuestionnaire:
    instrument: Instrument
    occasion: OpenOccasion
    response: InstrumentResponse | None  # started (or submitted) earlier

    @property
    def is_submitted(self) -> bool:
        return self.response is not None and self.response.is_submitted


def in_language(texts: dict[str, str], language: str) -> str:
    """A questionnaire's text in the language, else in its first language."""
    return texts.get(language) or next(iter(texts.values()), "")


def _window(occasion: str, opens_on: date, window_days: int) -> OpenOccasion:
    return OpenOccasion(occasion, opens_on, opens_on + timedelta(days=window_days - 1))


def occasions_of(
    instrument: Instrument,
    arm: str,
    states: Iterable[WeekState],
    program_start: date,
    enrolled_on: date,
) -> list[OpenOccasion]:
    """Every occasion the instrument has for a participant of `arm`, open or not. Before and
    after a session are not asked in the app yet."""
    found = []
    for planned in instrument.schedule.get(arm, ()):
        if planned.kind == "at_enrolment":
            found.append(_window("enrolment", enrolled_on, planned.window_days))
        elif planned.kind == "weekly":
            found += [
                _window(week_occasion(state.number), state.opens_on, planned.window_days)
                for state in states
                if state.opens_on is not None
            ]
        elif planned.kind == "months":
            found += [
                _window(f"month-{m}", add_months(program_start, m), planned.window_days)
                for m in planned.months
            ]
    return found


def open_occasions(
    program: Program,
    arm: str,
    states: Iterable[WeekState],
    program_start: date,
    enrolled_on: date,
    today: date,
) -> list[tuple[Instrument, OpenOccasion]]:
    """Every (instrument, occasion) a participant of `arm` may answer on `today`."""
    states = list(states)
    return [
        (instrument, occasion)
        for instrument in program.instruments.values()
        for occasion in occasions_of(instrument, arm, states, program_start, enrolled_on)
        if occasion.opens_on <= today <= occasion.last_day
    ]


def responses_by_occasion(
    db: Session, participant_id: int
) -> dict[tuple[str, str], InstrumentResponse]:
    """Without their answers: only the one being answered needs them (one query, lazily)."""
    rows = db.scalars(
        select(InstrumentResponse).where(InstrumentResponse.participant_id == participant_id)
    )
    return {(r.instrument, r.occasion): r for r in rows}


def due_questionnaires(
    db: Session,
    participant: Participant,
    program: Program,
    states: Iterable[WeekState],
    program_start: date,
    today: date,
) -> tuple[list[DueQuestionnaire], list[InstrumentResponse]]:
    """(open now, each with its response if started; every submitted response, newest first).
    Someone who left the program is asked nothing more."""
    responses = responses_by_occasion(db, participant.id)
    submitted = sorted(
        (r for r in responses.values() if r.is_submitted),
        key=lambda r: r.submitted_at or r.started_at,
        reverse=True,
    )
    if participant.is_withdrawn:
        return [], submitted
    enrolled_on = local_datetime(participant.enrolled_at, participant.cohort.site.timezone).date()
    due = [
        DueQuestionnaire(instrument, occasion, responses.get((instrument.key, occasion.occasion)))
        for instrument, occasion in open_occasions(
            program, participant.arm, states, program_start, enrolled_on, today
        )
    ]
    return due, submitted


def find_due(
    due: list[DueQuestionnaire], instrument_key: str, occasion: str
) -> DueQuestionnaire | None:
    return next(
        (d for d in due if d.instrument.key == instrument_key and d.occasion.occasion == occasion),
        None,
    )


def parse_answer(item: Item, raw: str | None) -> tuple[float | None, str | None]:
    """(number, text) for what the person sent; (None, None) for an optional item left empty.
    Raises Problems on the answer field."""
    raw = (raw or "").strip()
    if not raw:
        if item.required:
            message = (
                _l("Please write an answer.")
                if item.type in ("number", "short_text")
                else _l("Please choose an answer.")
            )
            raise Problems({ANSWER_FIELD: message})
        return None, None
    if item.type == "short_text":
        longest = item.max_length or 200
        if len(raw) > longest:
            raise Problems(
                {ANSWER_FIELD: _l("Please keep it to %(n)d characters or fewer.", n=longest)}
            )
        return None, raw
    if item.type == "number":
        return _parse_number(item, raw), None
    allowed = {"choice": item.codes, "scale_0_10": range(11), "yes_no": (0, 1)}[item.type]
    if not re.fullmatch(r"-?\d{1,6}", raw) or int(raw) not in allowed:
        raise Problems({ANSWER_FIELD: _l("Please choose one of the answers shown.")})
    return int(raw), None


def _parse_number(item: Item, raw: str) -> float:
    written = raw.replace(",", ".")  # a decimal comma, as written in Spanish
    pattern = r"-?\d{1,9}(\.\d{1,6})?" if item.decimal else r"-?\d{1,9}"
    if not re.fullmatch(pattern, written):
        message = (
            _l("Enter a number, like 2.5.")
            if item.decimal
            else _l("Enter a whole number, like 20.")
        )
        raise Problems({ANSWER_FIELD: message})
    value = float(written)
    low = item.minimum if item.minimum is not None else float("-inf")
    high = item.maximum if item.maximum is not None else float("inf")
    if not low <= value <= high:
        raise Problems(
            {
                ANSWER_FIELD: _l(
                    "Enter a number from %(low)s to %(high)s.",
                    low=shown_number(item.minimum),
                    high=shown_number(item.maximum),
                )
            }
        )
    return value


def shown_number(number: float | None) -> str:
    """A number as a person would write it: 12, not 12.0."""
    if number is None:
        return "…"
    return str(int(number)) if float(number).is_integer() else str(number)


class AlreadySubmitted(Exception):
    """A submitted response is final: the study analyses it as sent."""


def shown_answer(value: object) -> str:
    """An answer (from answers_of) as text for a form field or the review."""
    return shown_number(value) if isinstance(value, int | float) else str(value)


def answer_value(item: Item, answer: InstrumentAnswer) -> int | float | str | None:
    """The stored answer as the item's type has it: whole numbers back as int."""
    if item.type == "short_text":
        return answer.text
    if answer.number is None:
        return None
    if item.type == "number" and item.decimal:
        return answer.number
    return int(answer.number)


def answers_of(instrument: Instrument, response: InstrumentResponse | None) -> dict[str, object]:
    """Item name -> answer, for the items the instrument still has."""
    if response is None:
        return {}
    names = {item.name: item for item in instrument.items}
    return {
        a.item: answer_value(names[a.item], a)
        for a in response.answers
        if a.item in names and (a.number is not None or a.text is not None)
    }


def save_answer(
    db: Session,
    participant: Participant,
    due: DueQuestionnaire,
    item: Item,
    raw: str | None,
    now: datetime,
) -> InstrumentResponse:
    """Save (or clear, for an optional item left empty) one item's answer; the response is
    started by its first save. Nothing is written when the answer is refused."""
    if due.is_submitted:
        raise AlreadySubmitted()
    number, text = parse_answer(item, raw)
    response = due.response or _start_response(db, participant, due, now)
    existing = next((a for a in response.answers if a.item == item.name), None)
    if number is None and text is None:
        if existing is not None:
            response.answers.remove(existing)
    elif existing is None:
        response.answers.append(
            InstrumentAnswer(item=item.name, number=number, text=text, answered_at=now)
        )
    else:
        existing.number, existing.text, existing.answered_at = number, text, now
    db.flush()
    return response


def _start_response(
    db: Session, participant: Participant, due: DueQuestionnaire, now: datetime
) -> InstrumentResponse:
    """A new response, or the one a request of a moment ago started (a double tap on a phone
    sends the first answer twice): the unique constraint decides, inside a savepoint."""
    try:
        with db.begin_nested():
            response = InstrumentResponse(
                participant_id=participant.id,
                instrument=due.instrument.key,
                occasion=due.occasion.occasion,
                started_at=now,
                answers=[],
            )
            db.add(response)
    except IntegrityError:
        response = db.scalars(
            select(InstrumentResponse).where(
                InstrumentResponse.participant_id == participant.id,
                InstrumentResponse.instrument == due.instrument.key,
                InstrumentResponse.occasion == due.occasion.occasion,
            )
        ).one()
        if response.is_submitted:
            raise AlreadySubmitted() from None
    return response


def missing_required(instrument: Instrument, response: InstrumentResponse | None) -> list[Item]:
    answered = answers_of(instrument, response)
    return [item for item in instrument.items if item.required and item.name not in answered]


def submit(db: Session, due: DueQuestionnaire, language: str, now: datetime) -> InstrumentResponse:
    """Close the response and store its scores; refused (Problems by item name, the item's
    text as the message) while a required item is unanswered."""
    if due.is_submitted:
        raise AlreadySubmitted()
    missing = missing_required(due.instrument, due.response)
    if missing or due.response is None:
        raise Problems(
            {item.name: in_language(item.text, language) for item in missing}
            or {ANSWER_FIELD: _l("Please answer the questions first.")}
        )
    response = due.response
    numbers = {
        name: value
        for name, value in answers_of(due.instrument, response).items()
        if not isinstance(value, str)
    }
    response.scores = compute_scores(due.instrument, numbers)
    response.submitted_at = now
    db.flush()
    return response


def first_unanswered(instrument: Instrument, response: InstrumentResponse | None) -> int | None:
    """The 1-based number of the first question with no answer; None when all are answered."""
    answered = answers_of(instrument, response)
    return next(
        (n for n, item in enumerate(instrument.items, start=1) if item.name not in answered), None
    )


def own_submitted_or_none(
    db: Session, participant_id: int, response_id: int
) -> InstrumentResponse | None:
    """A submitted response of this participant's; None for anyone else's (the view's 404)."""
    return db.scalar(
        select(InstrumentResponse)
        .where(
            InstrumentResponse.id == response_id,
            InstrumentResponse.participant_id == participant_id,
            InstrumentResponse.submitted_at.is_not(None),
        )
        .options(selectinload(InstrumentResponse.answers))
    )


def check_in_for_home(home: HomePage, program: Program) -> OpenOccasion | None:
    """The current week's check-in while it is open (the home page's check-in card), else None."""
    instrument = program.instruments.get(CHECK_IN)
    if home.is_withdrawn or home.current is None or instrument is None:
        return None
    enrolled_on = local_datetime(home.enrolled_at, home.timezone).date()
    wanted = week_occasion(home.current.number)
    return next(
        (
            occasion
            for occasion in occasions_of(
                instrument, home.arm, home.states, home.program_start, enrolled_on
            )
            if occasion.occasion == wanted and occasion.opens_on <= home.today <= occasion.last_day
        ),
        None,
    )


def unanswered_count_for_home(db: Session, home: HomePage, program: Program) -> int:
    """How many questionnaires are open and not yet sent, for the home page (a HomePage):
    from what the page already loaded, and one small query only when something is open. The
    current week's check-in is left out: the page has a card of its own for it."""
    if home.is_withdrawn or not program.instruments:
        return 0
    enrolled_on = local_datetime(home.enrolled_at, home.timezone).date()
    check_in = (CHECK_IN, week_occasion(home.current.number)) if home.current else None
    open_now = {
        (instrument.key, occasion.occasion)
        for instrument, occasion in open_occasions(
            program, home.arm, home.states, home.program_start, enrolled_on, home.today
        )
    } - {check_in}
    if not open_now:
        return 0
    sent = {
        (instrument, occasion)
        for instrument, occasion in db.execute(
            select(InstrumentResponse.instrument, InstrumentResponse.occasion).where(
                InstrumentResponse.participant_id == home.participant_id,
                InstrumentResponse.submitted_at.is_not(None),
            )
        )
    }
    return len(open_now - sent)
