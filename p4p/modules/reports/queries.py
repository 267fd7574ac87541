"""What a report may see and what it asked for, as SQL conditions, and the per-participant
totals that the summary report, the summary export and the REDCap export all share.

Definitions (also written under each table):
- attended: a mark of present, late or left early (ATTENDED). Unmarked is not absent.
- make-up: a mark with made_up_on set whose status is absent or excused.
- dose: meetings attended + make-ups. Completer: dose >= COMPLETER_MIN_DOSE.
- a mark counts only at a meeting that has started, is not cancelled and did not start
  before the person enrolled (attendance/rules.py); older rows that break this read as
  unmarked. A meeting that started before someone enrolled is "not yet enrolled" for them:
  it is not in their denominator (meetings offered) nor in a week's participants.
- a date range keeps meetings whose local date falls in it (and practice logged on days in
  it); cohorts with no meeting in the range are left out.
"""

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from p4p.local_time import local_datetime, to_utc
from p4p.modules.attendance.models import ATTENDED, Attendance
from p4p.modules.attendance.rules import countable_mark
from p4p.modules.participants.models import Participant, WeekProgress
from p4p.modules.practice.models import PracticeLog
from p4p.modules.sites.models import Cohort, Meeting, Site

ATTENDED_STATUSES = sorted(ATTENDED)


@dataclass(frozen=True)
class SiteRef:
    id: int
    name: str
    timezone: str


@dataclass(frozen=True)
class CohortRef:
    id: int
    name: str
    site_id: int
    arm: str


@dataclass(frozen=True)
class ReportFilters:
    site_id: int | None = None
    arm: str | None = None
    cohort_id: int | None = None
    since: date | None = None  # local dates, both ends included
    until: date | None = None

    def as_dict(self) -> dict:
        """The filters that are set, as text (for the audit trail and for links)."""
        return {k: str(v) for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Scope:
    """The sites a user may see (site_ids None: all), the filters they chose, and the moment
    of the report: marks count only at meetings started by then (see countable)."""

    site_ids: tuple[int, ...] | None
    sites: tuple[SiteRef, ...]
    filters: ReportFilters = ReportFilters()
    now: datetime | None = None

    def countable(self, meeting=Meeting, participant=Participant):
        """SQL: a mark the reports count; old marks at a meeting that has not started, was
        cancelled or started before the person enrolled are never counted (read as unmarked)."""
        if self.now is None:
            raise ValueError("a report needs its moment (Scope.now)")
        return countable_mark(self.now, meeting, participant)

    def timezone_of(self, site_id: int) -> str:
        return next(site.timezone for site in self.sites if site.id == site_id)


def visible_sites(db: Session, site_ids) -> list[SiteRef]:
    """The sites a user may choose (site_ids None: all), by name: one query."""
    query = select(Site.id, Site.name, Site.timezone).order_by(Site.name)
    if site_ids is not None:
        query = query.where(Site.id.in_(site_ids))
    return [SiteRef(*row) for row in db.execute(query)]


def visible_cohorts(db: Session, site_ids) -> list[CohortRef]:
    """The cohorts a user may choose, by name: one query."""
    query = select(Cohort.id, Cohort.name, Cohort.site_id, Cohort.arm).order_by(Cohort.name)
    if site_ids is not None:
        query = query.where(Cohort.site_id.in_(site_ids))
    return [CohortRef(*row) for row in db.execute(query)]


def meeting_in_range(scope: Scope, meeting=Meeting):
    """Meetings whose local date is in the date range (needs `meeting` and Cohort in the query)."""
    return local_dates_in_range(scope, meeting.starts_at)


def local_dates_in_range(scope: Scope, moment):
    """SQL: the UTC timestamp `moment` falls on a local date in the range at its cohort's site
    (needs Cohort in the query).

    Each site's local midnight is a different UTC instant, so the bounds are given per
    timezone; every site shares its timezone's pair of bounds.
    """
    since, until = scope.filters.since, scope.filters.until
    if since is None and until is None:
        return true()
    by_timezone: dict[str, list[int]] = defaultdict(list)
    for site in scope.sites:
        by_timezone[site.timezone].append(site.id)
    clauses = []
    for timezone, site_ids in by_timezone.items():
        bounds = [Cohort.site_id.in_(site_ids)]
        if since is not None:
            bounds.append(moment >= to_utc(since, time.min, timezone))
        if until is not None:
            bounds.append(moment < to_utc(until + timedelta(days=1), time.min, timezone))
        clauses.append(and_(*bounds))
    return or_(false(), *clauses)


def cohort_conditions(scope: Scope) -> list[ColumnElement[bool]]:
    """Conditions on Cohort: the user's sites, the chosen site, program and cohort, and a
    meeting in the date range."""
    filters = scope.filters
    conditions: list[ColumnElement[bool]] = []
    if scope.site_ids is not None:
        conditions.append(Cohort.site_id.in_(scope.site_ids))
    if filters.site_id is not None:
        conditions.append(Cohort.site_id == filters.site_id)
    if filters.arm:
        conditions.append(Cohort.arm == filters.arm)
    if filters.cohort_id is not None:
        conditions.append(Cohort.id == filters.cohort_id)
    if has_range(scope):
        # An alias, so the test stays inside EXISTS in queries that select meetings too.
        any_meeting = aliased(Meeting)
        in_range = meeting_in_range(scope, any_meeting)
        conditions.append(exists().where(any_meeting.cohort_id == Cohort.id, in_range))
    return conditions


def practice_in_range(scope: Scope) -> list:
    """Practice days are local dates already, so the range applies as it is."""
    conditions = []
    if scope.filters.since is not None:
        conditions.append(PracticeLog.practiced_on >= scope.filters.since)
    if scope.filters.until is not None:
        conditions.append(PracticeLog.practiced_on <= scope.filters.until)
    return conditions


def is_attended():
    return Attendance.status.in_(ATTENDED_STATUSES)


def is_made_up():
    return and_(Attendance.status.not_in(ATTENDED_STATUSES), Attendance.made_up_on.is_not(None))


def count_where(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def has_range(scope: Scope) -> bool:
    return scope.filters.since is not None or scope.filters.until is not None


def attendance_totals(scope: Scope, *, with_last: bool = True):
    """Per participant: meetings attended and make-ups over the meetings in range and, with
    `with_last`, the last attended meeting and the last make-up day (a subquery keyed by
    participant_id). Only countable marks (Scope.countable) are read."""
    columns = [
        Attendance.participant_id,
        count_where(is_attended()).label("attended"),
        count_where(is_made_up()).label("made_up"),
    ]
    if with_last:
        columns.append(func.max(case((is_attended(), Meeting.starts_at))).label("last_attended"))
        columns.append(func.max(case((is_made_up(), Attendance.made_up_on))).label("last_made_up"))
    query = (
        select(*columns)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Participant, Participant.id == Attendance.participant_id)
        .join(Cohort, Cohort.id == Meeting.cohort_id)
        .where(*cohort_conditions(scope), meeting_in_range(scope), scope.countable())
    )
    return query.group_by(Attendance.participant_id).subquery("attendance_totals")


def offered_totals(scope: Scope):
    """Per participant, over the meetings in range that have started and are not cancelled:
    those offered to them (the dose denominator) and those before they enrolled."""
    started = and_(Meeting.status != "cancelled", Meeting.starts_at <= scope.now)
    before = Meeting.starts_at < Participant.enrolled_at
    return (
        select(
            Participant.id.label("participant_id"),
            count_where(and_(started, ~before)).label("offered"),
            count_where(before).label("not_yet_enrolled"),
        )
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .join(Meeting, Meeting.cohort_id == Participant.cohort_id)
        .where(*cohort_conditions(scope), meeting_in_range(scope))
        .group_by(Participant.id)
        .subquery("offered_totals")
    )


def practice_totals(scope: Scope):
    """Per participant: minutes, distinct days and the last day practiced, in range."""
    return (
        select(
            PracticeLog.participant_id,
            func.sum(PracticeLog.minutes).label("minutes"),
            func.count(func.distinct(PracticeLog.practiced_on)).label("days"),
            func.max(PracticeLog.practiced_on).label("last_practiced"),
        )
        .join(Participant, Participant.id == PracticeLog.participant_id)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .where(*cohort_conditions(scope), *practice_in_range(scope))
        .group_by(PracticeLog.participant_id)
        .subquery("practice_totals")
    )


def weeks_done_totals(scope: Scope):
    """Per participant: weeks marked done (of meetings in range) and when the last one was."""
    return (
        select(
            WeekProgress.participant_id,
            func.count(WeekProgress.id).label("weeks_done"),
            func.max(WeekProgress.completed_at).label("last_done"),
        )
        .join(Participant, Participant.id == WeekProgress.participant_id)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .join(
            Meeting,
            and_(Meeting.cohort_id == Participant.cohort_id, Meeting.week == WeekProgress.week),
        )
        .where(*cohort_conditions(scope), meeting_in_range(scope))
        .group_by(WeekProgress.participant_id)
        .subquery("weeks_done_totals")
    )


def last_activity(
    timezone: str,
    last_attended: datetime | None,
    last_made_up: date | None,
    last_practiced: date | None,
    last_done: datetime | None,
) -> date | None:
    """The latest local day someone attended, made up a meeting, practiced or marked a week done."""
    days = [last_made_up, last_practiced]
    days += [local_datetime(m, timezone).date() for m in (last_attended, last_done) if m]
    return max((day for day in days if day is not None), default=None)
