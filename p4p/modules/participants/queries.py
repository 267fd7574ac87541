"""What the participant's own pages show: this week's numbers and the progress page."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Row, String, and_, bindparam, cast, func, literal, select
from sqlalchemy.orm import Session

from p4p.modules.attendance.models import ATTENDED, Attendance
from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.instruments.service import CHECK_IN, WEEK_OCCASION
from p4p.modules.participants.models import Participant, WeekProgress
from p4p.modules.participants.service import WeekState, week_of_date
from p4p.modules.practice.models import ActionPlan, PracticeLog
from p4p.modules.sites.models import Cohort, Meeting, Site


@dataclass(frozen=True)
class PracticeSummary:
    minutes: int
    days: int


# The home page in one query: the participant, cohort and site, one row per meeting of the
# cohort, with the week's done mark, action plan and sent check-in (the week's PEG) beside it. Plain rows, no ORM objects:
# the home page is the most requested page (and read only when its kept copy is out of date).
_HOME_ROWS = (
    select(
        Participant.arm,
        Participant.withdrawn_at.is_not(None).label("is_withdrawn"),
        Cohort.location.label("cohort_location"),
        Cohort.video_link,
        Site.name.label("site_name"),
        Site.timezone,
        Participant.enrolled_at,
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
        InstrumentResponse.id.label("check_id"),
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
        InstrumentResponse,
        and_(
            InstrumentResponse.participant_id == Participant.id,
            InstrumentResponse.instrument == CHECK_IN,
            InstrumentResponse.occasion == literal(WEEK_OCCASION) + cast(Meeting.week, String),
            InstrumentResponse.submitted_at.is_not(None),
        ),
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


@dataclass(frozen=True)
class MeetingChange:
    """A change to one of the participant's coming meetings, to show until the meeting is over."""

    kind: str  # "cancelled", "moved" or "mode"
    week: int
    starts_at: datetime  # the meeting's time now
    old_starts_at: datetime | None  # before a move
    mode: str
    video_link: str | None


def meeting_changes(db: Session, participant_id: int, now: datetime) -> list[MeetingChange]:
    """What changed about the participant's cohort's meetings not yet over, from the audit trail (the record of
    every move, cancellation and switch of mode), in one query: the latest change of each kind
    per meeting, soonest meeting first. A mode switch shows only while the meeting is still held
    that way."""
    from p4p.modules.audit.models import AuditEvent  # audit builds on the participants' data

    rows = db.execute(
        select(AuditEvent.action, AuditEvent.old, Meeting, Cohort.video_link)
        .join(Meeting, AuditEvent.entity_id == cast(Meeting.id, String))
        .join(Cohort, Cohort.id == Meeting.cohort_id)
        .join(Participant, Participant.cohort_id == Cohort.id)
        .where(
            AuditEvent.entity == "meeting",
            AuditEvent.action.in_(("move", "mode", "cancel")),
            Participant.id == participant_id,
            Meeting.starts_at > now - timedelta(hours=24),  # the exact end is checked below
        )
        .order_by(Meeting.starts_at, AuditEvent.at)
    ).all()
    latest: dict[tuple[int, str], MeetingChange] = {}
    for action, old, meeting, video_link in rows:
        if meeting.starts_at + timedelta(minutes=meeting.duration_minutes) <= now:
            continue
        if (meeting.status == "cancelled") != (action == "cancel"):
            continue  # a cancelled meeting says only that; a cancel is always the last word
        if action == "mode" and old and old.get("mode") == meeting.mode:
            continue  # switched and switched back: nothing to tell
        first_move = latest.get((meeting.id, "moved"))
        old_starts_at = None
        if action == "move":  # from the time the person first knew, through any later moves
            old_starts_at = (
                first_move.old_starts_at if first_move else datetime.fromisoformat(old["starts_at"])
            )
            if old_starts_at == meeting.starts_at:
                latest.pop((meeting.id, "moved"), None)
                continue
        kind = {"move": "moved", "cancel": "cancelled", "mode": "mode"}[action]
        latest[meeting.id, kind] = MeetingChange(
            kind=kind,
            week=meeting.week,
            starts_at=meeting.starts_at,
            old_starts_at=old_starts_at,
            mode=meeting.mode,
            video_link=video_link if meeting.mode == "video" else None,
        )
    return list(latest.values())
