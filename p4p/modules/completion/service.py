"""Who answered which questionnaire: each participant's occasions that have opened, as done (with
the day it was sent), due (open now) or missed (the window closed unanswered).

Worked out from the same schedule the participants answer by (instruments.service.occasions_of),
for many people at once: the cohorts' weeks once per cohort, every start in one query and every
sent questionnaire in one more, whatever the number of people.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from p4p.local_time import local_datetime, local_today
from p4p.modules.curriculum.models import Program
from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.instruments.models import Instrument
from p4p.modules.instruments.service import occasions_of
from p4p.modules.participants.models import Participant
from p4p.modules.participants.program_start import program_starts
from p4p.modules.participants.service import states_of_weeks

DONE, DUE, MISSED = "done", "due", "missed"


@dataclass(frozen=True)
class OccasionStatus:
    instrument: Instrument
    occasion: str  # "week-3", "month-2", "enrolment"
    opens_on: date
    last_day: date
    status: str  # DONE, DUE or MISSED
    response_id: int | None = None  # the sent response (DONE)
    sent_on: date | None = None  # the local day it was sent (DONE)


@dataclass
class Tally:
    done: int = 0
    due: int = 0
    missed: int = 0

    def add(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    @property
    def total(self) -> int:
        return self.done + self.due + self.missed


@dataclass
class Completion:
    """By participant id, their opened occasions (oldest first); tallies by cohort and site."""

    by_participant: dict[int, list[OccasionStatus]] = field(default_factory=dict)
    by_cohort: dict[int, Tally] = field(default_factory=dict)
    by_site: dict[int, Tally] = field(default_factory=dict)

    def statuses(self) -> Counter:
        return Counter(s.status for rows in self.by_participant.values() for s in rows)


def sent_responses(
    db: Session, participant_ids
) -> dict[tuple[int, str, str], tuple[int, datetime]]:
    """(participant, instrument, occasion) -> (response id, sent at), in one query.
    `participant_ids` is a list or a SELECT of ids."""
    query = select(
        InstrumentResponse.id,
        InstrumentResponse.participant_id,
        InstrumentResponse.instrument,
        InstrumentResponse.occasion,
        InstrumentResponse.submitted_at,
    ).where(
        InstrumentResponse.participant_id.in_(participant_ids),
        InstrumentResponse.submitted_at.is_not(None),
    )
    return {
        (pid, instrument, occasion): (response_id, submitted_at)
        for response_id, pid, instrument, occasion, submitted_at in db.execute(query)
        if submitted_at is not None  # always: the query asks for sent ones
    }


def occasion_statuses(
    participant: Participant,
    program: Program,
    states,
    start: date,
    sent: dict[tuple[int, str, str], tuple[int, datetime]],
    today: date,
) -> list[OccasionStatus]:
    """One participant's opened occasions, each done, due or missed. Occasions that closed
    before they enrolled, or opened after they withdrew, were never theirs to answer."""
    timezone = participant.cohort.site.timezone
    enrolled_on = local_datetime(participant.enrolled_at, timezone).date()
    withdrawn_on = (
        local_datetime(participant.withdrawn_at, timezone).date()
        if participant.withdrawn_at is not None
        else None
    )
    found = []
    for instrument in program.instruments.values():
        for occasion in occasions_of(instrument, participant.arm, states, start, enrolled_on):
            if occasion.opens_on > today or occasion.last_day < enrolled_on:
                continue
            if withdrawn_on is not None and occasion.opens_on > withdrawn_on:
                continue
            response = sent.get((participant.id, instrument.key, occasion.occasion))
            if response is not None:
                status, response_id = DONE, response[0]
                sent_on: date | None = local_datetime(response[1], timezone).date()
            else:
                status = DUE if today <= occasion.last_day else MISSED
                response_id, sent_on = None, None
            found.append(
                OccasionStatus(
                    instrument,
                    occasion.occasion,
                    occasion.opens_on,
                    occasion.last_day,
                    status,
                    response_id,
                    sent_on,
                )
            )
    found.sort(key=lambda s: (s.opens_on, s.instrument.key))
    return found


def completion(
    db: Session, participants: list[Participant], program: Program, now: datetime
) -> Completion:
    """Everyone's opened occasions and the tallies; two queries (their starts, what they sent)
    for any number of people. Participants come with cohort, site and meetings loaded."""
    result = Completion()
    if not participants or not program.instruments:
        return result
    starts = program_starts(db, participants)
    sent = sent_responses(db, [p.id for p in participants])
    weeks: dict[tuple[int, str], list] = {}
    for participant in participants:
        cohort = participant.cohort
        timezone = cohort.site.timezone
        today = local_today(now, timezone)
        if participant.arm not in program.arms:
            continue
        if (cohort.id, participant.arm) not in weeks:
            weeks[cohort.id, participant.arm] = states_of_weeks(
                program.arm(participant.arm).weeks,
                cohort.meetings,
                timezone,
                set(),
                today,
                program.arm(participant.arm).rhythm,
            )
        rows = occasion_statuses(
            participant, program, weeks[cohort.id, participant.arm], starts[participant.id],
            sent, today,
        )  # fmt: skip
        result.by_participant[participant.id] = rows
        for row in rows:
            result.by_cohort.setdefault(cohort.id, Tally()).add(row.status)
            result.by_site.setdefault(cohort.site_id, Tally()).add(row.status)
    return result
