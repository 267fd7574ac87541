"""The cohort report: participants x weeks, with per-person totals and per-week rates.

Six queries whatever the cohort's size: the cohort with its site, its meetings, the roster,
the marks, weeks done per person and practice per person.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from werkzeug.exceptions import NotFound

from p4p.local_time import local_datetime
from p4p.modules.attendance.models import ATTENDED, Attendance
from p4p.modules.attendance.rules import countable_mark
from p4p.modules.curriculum.models import Program
from p4p.modules.participants.models import Participant, WeekProgress
from p4p.modules.practice.models import PracticeLog
from p4p.modules.reports.queries import last_activity
from p4p.modules.sites.models import Cohort, Meeting


@dataclass(frozen=True)
class Cell:
    """One participant's mark at one meeting."""

    status: str
    made_up_on: date | None

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED

    @property
    def made_up(self) -> bool:
        return not self.attended and self.made_up_on is not None


@dataclass
class GridRow:
    participant: Participant
    cells: dict[int, Cell] = field(default_factory=dict)  # week -> mark; absent key: unmarked
    not_yet_enrolled: set[int] = field(default_factory=set)  # weeks met before they enrolled
    weeks_done: int = 0
    practice_minutes: int = 0
    last_activity: date | None = None

    @property
    def attended(self) -> int:
        return sum(1 for cell in self.cells.values() if cell.attended)

    @property
    def made_up(self) -> int:
        return sum(1 for cell in self.cells.values() if cell.made_up)

    @property
    def dose(self) -> int:
        return self.attended + self.made_up


@dataclass
class GridColumn:
    week: int
    meeting: Meeting | None
    local_date: date | None
    attended: int = 0
    marked: int = 0

    @property
    def rate(self) -> float | None:
        return round(100 * self.attended / self.marked, 1) if self.marked else None


@dataclass(frozen=True)
class CohortGrid:
    cohort: Cohort
    columns: list[GridColumn]
    rows: list[GridRow]


def cohort_in_scope(db: Session, site_ids, cohort_id: int) -> Cohort:
    """The cohort with its site and meetings if the user may see its site; else 404."""
    cohort = db.scalar(
        select(Cohort)
        .where(Cohort.id == cohort_id)
        .options(joinedload(Cohort.site), selectinload(Cohort.meetings))
    )
    if cohort is None or (site_ids is not None and cohort.site_id not in site_ids):
        raise NotFound()
    return cohort


def cohort_grid(db: Session, cohort: Cohort, program: Program, now: datetime) -> CohortGrid:
    """Everyone in the cohort (withdrawn people last) with each week's mark and their totals.

    Only marks the reports count are read (attendance/rules.py: the meeting started, is not
    cancelled, and not before the person enrolled); weeks met before someone enrolled are
    shown as not yet enrolled."""
    timezone = cohort.site.timezone
    meetings = {m.week: m for m in cohort.meetings}
    weeks = program.arm(cohort.arm).weeks if cohort.arm in program.arms else tuple(meetings)
    columns = {
        week: GridColumn(
            week,
            meetings.get(week),
            local_datetime(meetings[week].starts_at, timezone).date() if week in meetings else None,
        )
        for week in weeks
    }
    people = db.scalars(
        select(Participant)
        .where(Participant.cohort_id == cohort.id)
        .options(joinedload(Participant.user))
        .order_by(Participant.withdrawn_at.is_not(None), Participant.study_id)
    ).all()
    rows = {
        person.id: GridRow(
            person,
            not_yet_enrolled={
                m.week for m in meetings.values() if m.starts_at < person.enrolled_at
            },
        )
        for person in people
    }
    last_attended: dict[int, datetime] = {}
    marks = db.execute(
        select(
            Attendance.participant_id,
            Meeting.week,
            Meeting.starts_at,
            Attendance.status,
            Attendance.made_up_on,
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Participant, Participant.id == Attendance.participant_id)
        .where(Meeting.cohort_id == cohort.id, countable_mark(now, Meeting, Participant))
    )
    for participant_id, week, starts_at, status, made_up_on in marks:
        cell = Cell(status, made_up_on)
        if participant_id in rows:
            rows[participant_id].cells[week] = cell
        if cell.attended:
            last_attended[participant_id] = max(
                starts_at, last_attended.get(participant_id, starts_at)
            )
        if week in columns:
            columns[week].marked += 1
            columns[week].attended += cell.attended
    done = _per_person(
        db, cohort, WeekProgress, func.count(WeekProgress.id), func.max(WeekProgress.completed_at)
    )
    practice = _per_person(
        db, cohort, PracticeLog, func.sum(PracticeLog.minutes), func.max(PracticeLog.practiced_on)
    )
    for participant_id, row in rows.items():
        row.weeks_done, last_done = done.get(participant_id, (0, None))
        row.practice_minutes, last_practiced = practice.get(participant_id, (0, None))
        last_made_up = max(
            (c.made_up_on for c in row.cells.values() if c.made_up and c.made_up_on is not None),
            default=None,
        )
        row.last_activity = last_activity(
            timezone, last_attended.get(participant_id), last_made_up, last_practiced, last_done
        )
    return CohortGrid(cohort, list(columns.values()), list(rows.values()))


def _per_person(db: Session, cohort: Cohort, model, total, latest) -> dict[int, tuple]:
    """(total, latest) per participant of the cohort from one GROUP BY over `model`."""
    rows = db.execute(
        select(model.participant_id, total, latest)
        .join(Participant, Participant.id == model.participant_id)
        .where(Participant.cohort_id == cohort.id)
        .group_by(model.participant_id)
    )
    return {participant_id: (int(amount or 0), when) for participant_id, amount, when in rows}
