"""The questionnaires' answers in the exports: the long CSV (one row per answer and per score)
and their part of the REDCap export (fields on one event per occasion) and of its dictionary.

Only submitted responses leave the app: a started one may still change. Both exports read
one query each, in batches, in the scope's sites, program, cohort and date range; the date
range keeps the responses submitted on those local dates at each site.

REDCap events, one per occasion, in the REDCap arm of the configured REDCAP_EVENT_NAME (its
`_arm_<n>` ending; arm 1 without one), so "program_arm_1" gives:
    enrolment -> enrolment_arm_1    week-3 -> week_3_arm_1    month-2 -> month_2_arm_1
The delivery record stays on REDCAP_EVENT_NAME. Every instrument's fields are columns of the
one import file (its items, then its scores); a row fills those of the instruments sent on
its occasion and leaves the others empty, which REDCap's Data Import Tool takes as no data.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from p4p.local_time import local_datetime
from p4p.modules.curriculum.models import Program
from p4p.modules.instruments import redcap as instrument_dictionary
from p4p.modules.instruments.answer_models import InstrumentAnswer, InstrumentResponse
from p4p.modules.instruments.models import Instrument
from p4p.modules.participants.models import Participant
from p4p.modules.reports.exports import streamed
from p4p.modules.reports.queries import Scope, cohort_conditions, local_dates_in_range
from p4p.modules.reports.redcap import Fields
from p4p.modules.sites.models import Cohort, Site

LONG_COLUMNS = (
    "study_id", "site", "cohort", "arm", "instrument", "occasion", "submitted_at",
    "submitted_on", "item", "value",
)  # fmt: skip
REDCAP_ARM = re.compile(r"_arm_(\d+)$")


def occasion_event(occasion: str, delivery_event: str) -> str:
    """The REDCap unique event name of an occasion ("week-3" -> "week_3_arm_1")."""
    arm = REDCAP_ARM.search(delivery_event)
    return f"{occasion.replace('-', '_')}_arm_{arm.group(1) if arm else 1}"


def instrument_fields(instrument: Instrument) -> list[str]:
    """The instrument's REDCap variables: its items, then its scores (as its dictionary has)."""
    return [item.name for item in instrument.items] + [score.name for score in instrument.scores]


def asked_instruments(program: Program) -> list[Instrument]:
    """The instruments some arm asks: one with no schedule (the shipped PEG, for now) has no
    answers, so it adds no columns to the REDCap files."""
    return [instrument for instrument in program.instruments.values() if instrument.schedule]


def field_name_problems(program: Program, fields: Fields) -> list[str]:
    """Variable names used twice in the REDCap export (by two questionnaires, or by one and
    the delivery record); the app refuses to start on any, as REDCap would refuse the file."""
    owners: dict[str, str] = {name: "the delivery record" for name in fields.import_columns()}
    problems = []
    for instrument in asked_instruments(program):
        for name in instrument_fields(instrument):
            if name in owners:
                problems.append(
                    f"instrument {instrument.key}: the field {name} is also a field of"
                    f" {owners[name]}; REDCap needs each variable name once, so rename one"
                )
            else:
                owners[name] = f"instrument {instrument.key}"
    return problems


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _as_utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they are UTC, as everything stored is."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _answer(answer_number: float | None, answer_text: str | None):
    return answer_text if answer_text is not None else _number(answer_number)  # type: ignore[arg-type]


def _submitted_responses(scope: Scope):
    """Conditions on InstrumentResponse (with Participant and Cohort in the query)."""
    return [
        InstrumentResponse.submitted_at.is_not(None),
        *cohort_conditions(scope),
        local_dates_in_range(scope, InstrumentResponse.submitted_at),
    ]


def _answers_query(scope: Scope):
    return (
        select(
            InstrumentResponse.id,
            Participant.study_id,
            Site.name,
            Site.timezone,
            Cohort.name,
            Participant.arm,
            InstrumentResponse.instrument,
            InstrumentResponse.occasion,
            InstrumentResponse.submitted_at,
            InstrumentResponse.scores,
            InstrumentAnswer.item,
            InstrumentAnswer.number,
            InstrumentAnswer.text,
        )
        .select_from(InstrumentResponse)
        .join(Participant, Participant.id == InstrumentResponse.participant_id)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .join(Site, Site.id == Cohort.site_id)
        .outerjoin(InstrumentAnswer, InstrumentAnswer.response_id == InstrumentResponse.id)
        .where(*_submitted_responses(scope))
    )


def _by_response(db: Session, query) -> Iterator[tuple]:
    """(first row, {item: value}) per response, from rows that come in response order."""
    current, values = None, {}
    for row in streamed(db, query):
        if current is not None and row[0] != current[0]:
            yield current, values
            values = {}
        current = row
        if row.item is not None and (row.number is not None or row.text is not None):
            values[row.item] = _answer(row.number, row.text)
    if current is not None:
        yield current, values


def _in_field_order(program: Program, key: str, values: dict) -> list[tuple[str, object]]:
    instrument = program.instruments.get(key)
    order = {name: n for n, name in enumerate(instrument_fields(instrument))} if instrument else {}
    return sorted(values.items(), key=lambda pair: (order.get(pair[0], len(order)), pair[0]))


def long_rows(db: Session, scope: Scope, program: Program) -> Iterator[list]:
    """One row per answer of every submitted response in scope, then one per score (its item
    the score's name; empty when too few items were answered for it)."""
    query = _answers_query(scope).order_by(
        Site.name, Cohort.name, Participant.study_id, InstrumentResponse.submitted_at,
        InstrumentResponse.id, InstrumentAnswer.id,
    )  # fmt: skip
    for row, values in _by_response(db, query):
        submitted_at = _as_utc(row.submitted_at)
        head = [
            row.study_id, row[2], row[4], row.arm, row.instrument, row.occasion,
            submitted_at.isoformat(),
            local_datetime(submitted_at, row.timezone).date().isoformat(),
        ]  # fmt: skip
        for item, value in _in_field_order(program, row.instrument, values):
            yield [*head, item, value]
        for score, value in (row.scores or {}).items():
            yield [*head, score, "" if value is None else _number(value)]


def redcap_columns(program: Program) -> list[str]:
    """The questionnaire columns of the REDCap import, after the delivery record's."""
    return [name for i in asked_instruments(program) for name in instrument_fields(i)]


def redcap_rows(
    db: Session, scope: Scope, program: Program, fields: Fields, delivery_event: str
) -> Iterator[list]:
    """One row per participant and occasion with a submitted response: record_id, the
    occasion's event, the delivery fields empty, then every questionnaire column (codes,
    yes 1 / no 0, numbers, texts; scores as numbers)."""
    columns = redcap_columns(program)
    blank_delivery = [""] * (len(fields.import_columns()) - 2)
    query = _answers_query(scope).order_by(
        Participant.study_id, InstrumentResponse.occasion, InstrumentResponse.id,
        InstrumentAnswer.id,
    )  # fmt: skip

    # Rows come by person and occasion: the instruments sent on one occasion share its row.
    def record(key: tuple[str, str], values: dict) -> list:
        event = occasion_event(key[1], delivery_event)
        return [key[0], event, *blank_delivery, *(values.get(c, "") for c in columns)]

    key: tuple[str, str] | None = None  # (record_id, occasion)
    values: dict[str, object] = {}
    for row, answered in _by_response(db, query):
        if (row.study_id, row.occasion) != key:
            if key is not None:
                yield record(key, values)
            key, values = (row.study_id, row.occasion), {}
        values.update(answered)
        values.update({name: _number(v) for name, v in (row.scores or {}).items() if v is not None})
    if key is not None:
        yield record(key, values)


def dictionary_rows(program: Program, language: str) -> Iterator[list[str]]:
    """Every instrument's dictionary rows, from the instrument file (instruments/redcap.py)."""
    for instrument in asked_instruments(program):
        shown = language if language in instrument.title else "en"
        yield from instrument_dictionary.dictionary_rows(instrument, shown)
