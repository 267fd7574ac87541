"""What facilitators see: their cohorts, meetings still to record, who needs a call.

Every function here runs a fixed number of queries, whatever the size of the site.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from p4p.modules.attendance.models import ATTENDED, Attendance
from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.practice.models import PracticeLog
from p4p.modules.sites.models import Cohort, Meeting
from p4p.modules.sites.service import cohorts_for, local_today, next_meeting, visible_site_ids

NO_PRACTICE_DAYS = 14
MISSED_IN_A_ROW = 2


@dataclass(frozen=True)
class MeetingToRecord:
    meeting: Meeting
    cohort: Cohort
    marked: int
    expected: int


@dataclass(frozen=True)
class FollowUp:
    participant: Participant
    reasons: list[str]  # keys: missed, no-practice, not-activated


def _ended(meeting: Meeting, now: datetime) -> bool:
    return meeting.starts_at + timedelta(minutes=meeting.duration_minutes) <= now


def dashboard(db: Session, user: User, now: datetime):
    """Cohorts with their next meeting, and past meetings whose sheet or record is unfinished."""
    cohorts = cohorts_for(db, user)
    cohort_ids = [c.id for c in cohorts]
    active = dict(
        db.execute(
            select(Participant.cohort_id, func.count(Participant.id))
            .where(Participant.cohort_id.in_(cohort_ids), Participant.withdrawn_at.is_(None))
            .group_by(Participant.cohort_id)
        ).all()
    )
    marked = dict(
        db.execute(
            select(Attendance.meeting_id, func.count(Attendance.id))
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(Meeting.cohort_id.in_(cohort_ids))
            .group_by(Attendance.meeting_id)
        ).all()
    )
    overview, to_record = [], []
    for cohort in cohorts:
        overview.append((cohort, next_meeting(cohort.meetings, now), active.get(cohort.id, 0)))
        for meeting in cohort.meetings:
            if meeting.status == "cancelled" or not _ended(meeting, now):
                continue
            count = marked.get(meeting.id, 0)
            if count < active.get(cohort.id, 0) or meeting.status != "held":
                to_record.append(MeetingToRecord(meeting, cohort, count, active.get(cohort.id, 0)))
    to_record.sort(key=lambda item: item.meeting.starts_at, reverse=True)
    return overview, to_record


def follow_up_list(db: Session, user: User, now: datetime) -> list[FollowUp]:
    """Active participants who missed 2 meetings in a row, logged no practice for 14 days,
    or never set their password; three queries for any number of participants."""
    site_ids = visible_site_ids(db, user)
    query = (
        select(Participant)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .where(Participant.withdrawn_at.is_(None))
        .options(joinedload(Participant.user),
                 joinedload(Participant.cohort).joinedload(Cohort.site),
                 joinedload(Participant.cohort).selectinload(Cohort.meetings))
        .order_by(Cohort.name, Participant.study_id)
    )
    if site_ids is not None:
        query = query.where(Cohort.site_id.in_(site_ids))
    participants = db.scalars(query).unique().all()
    ids = [p.id for p in participants]
    marks: dict[tuple[int, int], Attendance] = {
        (a.participant_id, a.meeting_id): a
        for a in db.scalars(select(Attendance).where(Attendance.participant_id.in_(ids)))
    }
    last_practice: dict[int, date] = dict(
        db.execute(
            select(PracticeLog.participant_id, func.max(PracticeLog.practiced_on))
            .where(PracticeLog.participant_id.in_(ids))
            .group_by(PracticeLog.participant_id)
        ).all()
    )
    result = []
    for participant in participants:
        reasons = []
        if _missed_in_a_row(participant, marks, now):
            reasons.append("missed")
        if _no_recent_practice(participant, last_practice.get(participant.id), now):
            reasons.append("no-practice")
        if participant.user.activated_at is None:
            reasons.append("not-activated")
        if reasons:
            result.append(FollowUp(participant, reasons))
    return result


def _missed_in_a_row(participant: Participant, marks, now: datetime) -> bool:
    """The latest recorded meetings were missed (absent or excused, not made up) N times running."""
    held = [m for m in participant.cohort.meetings if m.status != "cancelled" and _ended(m, now)]
    streak = 0
    for meeting in sorted(held, key=lambda m: m.starts_at, reverse=True):
        mark = marks.get((participant.id, meeting.id))
        if mark is None:
            continue  # unmarked is not absent
        if mark.status in ATTENDED or mark.made_up_on:
            break
        streak += 1
        if streak >= MISSED_IN_A_ROW:
            return True
    return False


def _no_recent_practice(participant: Participant, last: date | None, now: datetime) -> bool:
    """During the program, nothing logged for 14 days (counted from the start if never)."""
    meetings = participant.cohort.meetings
    if not meetings:
        return False
    today = local_today(now, participant.cohort.site.timezone)
    first = min(m.starts_at for m in meetings).date()
    last_meeting = max(m.starts_at for m in meetings).date()
    if today < first + timedelta(days=NO_PRACTICE_DAYS) or today > last_meeting + timedelta(days=7):
        return False
    return (last or first) <= today - timedelta(days=NO_PRACTICE_DAYS)


@dataclass(frozen=True)
class ParticipantDetail:
    states: list
    attendance: dict
    attended: int
    made_up: int
    practice: dict
    plans: dict
    checks: dict


def participant_detail(db: Session, participant: Participant, program, now: datetime) -> ParticipantDetail:
    """Everything a facilitator reviews before a call, in a fixed number of queries."""
    from p4p.modules.participants import queries as participant_queries
    from p4p.modules.participants.service import done_weeks, week_states
    from p4p.modules.practice import service as practice

    states = week_states(participant, program, done_weeks(db, participant.id), now)
    attendance = participant_queries.attendance_by_week(db, participant.id)
    attended, made_up = participant_queries.meetings_attended(attendance)
    return ParticipantDetail(
        states=states,
        attendance=attendance,
        attended=attended,
        made_up=made_up,
        practice=participant_queries.practice_by_week(db, participant.id, states),
        plans=practice.plans_by_week(db, participant.id),
        checks=practice.self_checks(db, participant.id),
    )
