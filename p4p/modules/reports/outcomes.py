"""The questionnaires in the study report: per instrument, time point and arm, how many were
due and how many sent, and each score's mean over those sent.

Three queries whatever the size of the study (the participants in scope, grouped by cohort,
enrolment and withdrawal; their cohorts' meetings; the sent responses); who was due when
comes from the same schedule the participants' questionnaire list uses
(instruments.service.occasions_of).

Definitions (also under the table):
- due: the occasion has opened for the person by today (their site's local date), was still
  open when they enrolled, and opened before they withdrew, if they did; with a date range,
  it opened on a date in it.
- sent: of those due, the ones the person sent; completion is sent / due.
- a score's mean is over the sent ones that have the score (too few items answered: none).
"""

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from p4p.local_time import local_datetime, local_today
from p4p.modules.curriculum.models import Program
from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.instruments.service import occasions_of
from p4p.modules.participants.models import Participant
from p4p.modules.participants.program_start import program_start_of
from p4p.modules.participants.service import states_of_weeks
from p4p.modules.reports.answers import asked_instruments
from p4p.modules.reports.queries import Scope, cohort_conditions
from p4p.modules.sites.models import Cohort, Meeting

OCCASION_ORDER = {"enrolment": 0, "week": 1, "month": 2}


def occasion_sort_key(occasion: str) -> tuple[int, int]:
    """enrolment, then week-1, week-2 ..., then month-2, month-4 ..."""
    kind, _dash, number = occasion.partition("-")
    return OCCASION_ORDER.get(kind, 3), int(number) if number.isdigit() else 0


@dataclass
class OccasionFigures:
    due: int = 0
    sent: int = 0
    score_sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    score_counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def completion(self) -> float | None:
        return round(100 * self.sent / self.due, 1) if self.due else None

    def mean(self, score: str) -> float | None:
        count = self.score_counts.get(score, 0)
        return round(self.score_sums[score] / count, 2) if count else None

    def n(self, score: str) -> int:
        return self.score_counts.get(score, 0)


@dataclass
class ArmOutcomes:
    key: str
    label: str
    by_occasion: dict[str, OccasionFigures] = field(default_factory=dict)

    def at(self, occasion: str) -> OccasionFigures:
        return self.by_occasion.get(occasion) or OccasionFigures()


@dataclass
class InstrumentOutcomes:
    key: str
    title: dict[str, str]
    scores: tuple[str, ...]
    arms: list[ArmOutcomes]

    @property
    def occasions(self) -> list[str]:
        found = {occasion for arm in self.arms for occasion in arm.by_occasion}
        return sorted(found, key=occasion_sort_key)


def questionnaire_outcomes(
    db: Session, scope: Scope, program: Program, now: datetime
) -> list[InstrumentOutcomes]:
    """Due, sent and score means per asked instrument, arm and occasion, for the scope."""
    asked = asked_instruments(program)
    chosen = [scope.filters.arm] if scope.filters.arm else list(program.arms)
    if not asked:
        return []
    outcomes = {
        instrument.key: InstrumentOutcomes(
            instrument.key,
            instrument.title,
            tuple(score.name for score in instrument.scores),
            [ArmOutcomes(key, program.arm(key).label) for key in chosen if key in program.arms],
        )
        for instrument in asked
    }
    conditions = cohort_conditions(scope)
    # People who share a cohort, an enrolment moment and a withdrawal moment share every
    # occasion and whether it is due: one row per such group with its head count, not one a
    # person (a cohort enrolled together is one row).
    group_key = (
        Participant.cohort_id,
        Participant.arm,
        Participant.enrolled_at,
        Participant.withdrawn_at,
        Cohort.site_id,
    )
    groups = db.execute(
        select(*group_key, func.count(Participant.id))
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .where(*conditions)
        .group_by(*group_key)
    ).all()
    meetings = defaultdict(list)
    for meeting in db.execute(
        select(Meeting.cohort_id, Meeting.week, Meeting.starts_at, Meeting.status)
        .join(Cohort, Cohort.id == Meeting.cohort_id)
        .where(*conditions)
    ):
        meetings[meeting.cohort_id].append(meeting)
    sent = db.execute(
        select(
            *group_key,
            InstrumentResponse.instrument,
            InstrumentResponse.occasion,
            InstrumentResponse.scores,
        )
        .join(Participant, Participant.id == InstrumentResponse.participant_id)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .where(*conditions, InstrumentResponse.submitted_at.is_not(None))
    ).all()

    # A cohort's people share its weeks, and those who joined on one day share their
    # occasions: each is worked out once, not once a person (10,000 people are 1,000 cohorts).
    @functools.cache
    def weeks_of(cohort_id: int, arm_key: str, timezone: str):
        arm = program.arm(arm_key)
        today = local_today(now, timezone)
        cohort_meetings = meetings[cohort_id]
        return states_of_weeks(arm.weeks, cohort_meetings, timezone, set(), today, arm.rhythm)

    @functools.cache
    def occasions(cohort_id, arm_key, timezone, instrument_key, start, enrolled_on):
        states = weeks_of(cohort_id, arm_key, timezone)
        return occasions_of(by_key[instrument_key], arm_key, states, start, enrolled_on)

    by_key = {instrument.key: instrument for instrument in asked}
    due_of_group: dict[tuple, dict[tuple[str, str], OccasionFigures]] = {}
    for group in groups:
        cohort_id, arm_key, enrolled_at, withdrawn_at, site_id, people = group
        if arm_key not in program.arms:
            continue
        timezone = scope.timezone_of(site_id)
        start = program_start_of(meetings[cohort_id], enrolled_at, timezone)
        enrolled_on = local_datetime(enrolled_at, timezone).date()
        asked_of_group = {
            key: occasions(cohort_id, arm_key, timezone, key, start, enrolled_on) for key in by_key
        }
        due_of_group[tuple(group[:5])] = _count_group(
            arm_key,
            timezone,
            enrolled_on,
            withdrawn_at,
            people,
            asked_of_group,
            outcomes,
            scope,
            now,
        )
    for *key, instrument_key, occasion, scores in sent:
        counted = due_of_group.get(tuple(key), {}).get((instrument_key, occasion))
        if counted is None:
            continue  # not due for them (or not asked): of those due only
        counted.sent += 1
        for score, value in (scores or {}).items():
            if value is not None:
                counted.score_sums[score] += value
                counted.score_counts[score] += 1
    return list(outcomes.values())


def _count_group(
    arm_key, timezone, enrolled_on, withdrawn_at, people, asked_of_group, outcomes, scope, now
) -> dict[tuple[str, str], OccasionFigures]:
    """Add a group's due occasions, `people` each (`asked_of_group`: by instrument key); return
    the figures each due (instrument, occasion) adds to, for counting what they sent."""
    today = local_today(now, timezone)
    left_on = local_datetime(withdrawn_at, timezone).date() if withdrawn_at else None
    since, until = scope.filters.since, scope.filters.until
    due: dict[tuple[str, str], OccasionFigures] = {}
    for instrument_key, occasions in asked_of_group.items():
        figures = next((a for a in outcomes[instrument_key].arms if a.key == arm_key), None)
        if figures is None:
            continue
        for occasion in occasions:
            opens = occasion.opens_on
            if opens > today or (left_on is not None and opens > left_on):
                continue
            if occasion.last_day < enrolled_on:  # over before they joined: never asked
                continue
            if (since is not None and opens < since) or (until is not None and opens > until):
                continue
            counted = figures.by_occasion.setdefault(occasion.occasion, OccasionFigures())
            counted.due += people
            due[(instrument_key, occasion.occasion)] = counted
    return due
