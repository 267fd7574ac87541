"""What the participant's own pages show: this week's numbers and the progress page."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Row, and_, bindparam, func, select
from sqlalchemy.orm import Session

from p4p.modules.attendance.models import ATTENDED, Attendance
from p4p.modules.participants.models import Participant, WeekProgress
from p4p.modules.participants.service import WeekState, week_of_date
from p4p.modules.practice.models import ActionPlan, PracticeLog, SelfCheck
from p4p.modules.sites.models import Cohort, Meeting, Site


@dataclass(frozen=True)
class PracticeSummary:
    minutes: int
    days: int


# The home page in one query: the participant, cohort and site, one row per meeting of the
# cohort, with the week's done mark, action plan and check-in beside it. Plain rows, no ORM objects:
# the home page is the most requested page (and read only when its kept copy is out of date).
_HOME_ROWS = (
    select(
        Participant.arm,
        Participant.withdrawn_at.is_not(None).label("is_withdrawn"),
        Cohort.location.label("cohort_location"),
        Cohort.video_link,
        Site.name.label("site_name"),
        Site.timezone,
        Meeting.id.label("meeting_id"),
        Meeting.week,
        Meeting.starts_at,
        Meeting.duration_minutes,
        Meeting.status,
        Meeting.mode,
        Meeting.location,
        WeekProgress.id.label("done_id"),
        ActionPlan.what,
        ActionPlan.how_much,
        ActionPlan.when,
        ActionPlan.how_often,
        ActionPlan.confidence,
        SelfCheck.id.label("check_id"),
        Participant.id.label("participant_id"),
    )
    .join(Cohort, Cohort.id == Participant.cohort_id)
    .join(Site, Site.id == Cohort.site_id)
    .outerjoin(Meeting, Meeting.cohort_id == Cohort.id)
    .outerjoin(
        WeekProgress,
        and_(WeekProgress.participant_id == Participant.id, WeekProgress.week == Meeting.week),
    )
    .outerjoin(
        ActionPlan,
        and_(ActionPlan.participant_id == Participant.id, ActionPlan.week == Meeting.week),
    )
    .outerjoin(
        SelfCheck,
        and_(SelfCheck.participant_id == Participant.id, SelfCheck.week == Meeting.week),
    )
    .where(Participant.user_id == bindparam("user_id"))
    .order_by(Meeting.week)
)


def home_rows(db: Session, user_id: int) -> Sequence[Row]:
    """The rows of the participant's home page; none if the account has no participant."""
    return db.connection().execute(_HOME_ROWS, {"user_id": user_id}).all()


_PRACTICE_BETWEEN = select(
    func.coalesce(func.sum(PracticeLog.minutes), 0),
    func.count(func.distinct(PracticeLog.practiced_on)),
).where(
    PracticeLog.participant_id == bindparam("participant_id"),
    PracticeLog.practiced_on.between(bindparam("first"), bindparam("last")),
)


def practice_between(db: Session, participant_id: int, first: date, last: date) -> PracticeSummary:
    """Minutes and distinct days practiced between two dates, in one query (built once)."""
    minutes, days = (
        db.connection()  # plain rows: Core's path, without the ORM's per-statement work
        .execute(
            _PRACTICE_BETWEEN, {"participant_id": participant_id, "first": first, "last": last}
        )
        .one()
    )
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


def attendance_by_week(db: Session, participant_id: int, now: datetime) -> dict[int, Attendance]:
    """The person's marks by week, only those the reports count (attendance/rules.py): a mark
    left from before that rule at a meeting not yet started, cancelled or before the
    enrolment is not shown as attendance here either."""
    from p4p.modules.attendance.rules import countable_mark  # attendance builds on this module

    rows = db.execute(
        select(Meeting.week, Attendance)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .join(Participant, Participant.id == Attendance.participant_id)
        .where(
            Attendance.participant_id == participant_id, countable_mark(now, Meeting, Participant)
        )
    ).all()
    return {week: attendance for week, attendance in rows}


def meetings_attended(attendance: dict[int, Attendance]) -> tuple[int, int]:
    """(attended, made up): made-up weeks count toward the dose, but separately."""
    attended = sum(1 for a in attendance.values() if a.status in ATTENDED)
    made_up = sum(1 for a in attendance.values() if a.status not in ATTENDED and a.made_up_on)
    return attended, made_up
