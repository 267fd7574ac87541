"""What the participant's own pages show: this week's numbers and the progress page."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from p4p.modules.attendance.models import ATTENDED, Attendance
from p4p.modules.participants.service import WeekState, week_of_date
from p4p.modules.practice.models import PracticeLog


@dataclass(frozen=True)
class PracticeSummary:
    minutes: int
    days: int


_PRACTICE_BETWEEN = select(
    func.coalesce(func.sum(PracticeLog.minutes), 0),
    func.count(func.distinct(PracticeLog.practiced_on)),
).where(
    PracticeLog.participant_id == bindparam("participant_id"),
    PracticeLog.practiced_on.between(bindparam("first"), bindparam("last")),
)


def practice_between(db: Session, participant_id: int, first: date, last: date) -> PracticeSummary:
    """Minutes and distinct days practiced between two dates, in one query (built once)."""
    minutes, days = db.execute(
        _PRACTICE_BETWEEN, {"participant_id": participant_id, "first": first, "last": last}
    ).one()
    return PracticeSummary(int(minutes), int(days))


def practice_by_week(
    db: Session, participant_id: int, states: list[WeekState]
) -> dict[int, PracticeSummary]:
    """Minutes and days for every week, from one query over the participant's entries."""
    rows = db.execute(
        select(PracticeLog.practiced_on, func.sum(PracticeLog.minutes))
        .where(PracticeLog.participant_id == participant_id)
        .group_by(PracticeLog.practiced_on)
    ).all()
    minutes: dict[int, int] = defaultdict(int)
    days: dict[int, int] = defaultdict(int)
    for practiced_on, total in rows:
        week = week_of_date(states, practiced_on)
        if week is not None:
            minutes[week] += int(total)
            days[week] += 1
    return {s.number: PracticeSummary(minutes[s.number], days[s.number]) for s in states}


def attendance_by_week(db: Session, participant_id: int) -> dict[int, Attendance]:
    from p4p.modules.sites.models import Meeting

    rows = db.execute(
        select(Meeting.week, Attendance)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(Attendance.participant_id == participant_id)
    ).all()
    return {week: attendance for week, attendance in rows}


def meetings_attended(attendance: dict[int, Attendance]) -> tuple[int, int]:
    """(attended, made up): made-up weeks count toward the dose, but separately."""
    attended = sum(1 for a in attendance.values() if a.status in ATTENDED)
    made_up = sum(1 for a in attendance.values() if a.status not in ATTENDED and a.made_up_on)
    return attended, made_up
