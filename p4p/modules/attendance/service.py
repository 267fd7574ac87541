"""Taking attendance, recording make-ups and the meeting's delivery record.

A sheet is saved with optimistic locking: each row carries the version the
facilitator saw, and a save that finds a newer version is refused whole, with
the changes named, so two devices never silently overwrite each other.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import NotFound

# The delivery record lives in delivery.py; callers keep importing it from here.
from p4p.access import visible_site_ids
from p4p.modules.attendance.delivery import CancelNeedsConfirmation, record_delivery  # noqa: F401
from p4p.modules.attendance.models import (
    ATTENDED,
    Attendance,
    AttendanceStatus,
    CallOutcome,
    FollowUpCall,
    FollowUpDismissal,
)
from p4p.modules.attendance.rules import closed_reason, not_yet_enrolled, require_open
from p4p.modules.audit.service import record
from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Cohort, Meeting, MeetingMode
from p4p.problems import Problems

STATUSES = tuple(AttendanceStatus)
MODES = tuple(MeetingMode)
CALL_OUTCOMES = tuple(CallOutcome)


@dataclass(frozen=True)
class Mark:
    """One participant's line on the sheet as submitted (status None means unmarked)."""

    status: str | None
    mode: str
    note: str | None
    seen_version: int  # 0 when there was no row


class MakeupConflict(Exception):
    """Someone else recorded this week for this person (a make-up or the sheet) meanwhile."""


@dataclass
class SheetConflict(Exception):
    """Someone else saved these rows after this sheet was opened."""

    changed: list[tuple[Participant, Attendance | None]] = field(default_factory=list)


def meeting_in_scope(db: Session, user: User, meeting_id: int) -> Meeting:
    """The meeting if the user may see its site; otherwise 404, as if it did not exist."""
    meeting = db.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .options(joinedload(Meeting.cohort).joinedload(Cohort.site))
    )
    site_ids = visible_site_ids(db, user)
    if meeting is None or (site_ids is not None and meeting.cohort.site_id not in site_ids):
        raise NotFound()
    return meeting


def participant_in_scope(db: Session, user: User, participant_id: int) -> Participant:
    participant = db.scalar(
        select(Participant)
        .where(Participant.id == participant_id)
        .options(
            joinedload(Participant.user), joinedload(Participant.cohort).joinedload(Cohort.site)
        )
    )
    site_ids = visible_site_ids(db, user)
    if participant is None or (site_ids is not None and participant.cohort.site_id not in site_ids):
        raise NotFound()
    return participant


def sheet(db: Session, meeting: Meeting) -> list[tuple[Participant, Attendance | None]]:
    """Everyone in the cohort (withdrawn too, shown as such) with their mark, in two queries;
    people who enrolled after the meeting started are not on it (not yet enrolled)."""
    participants = db.scalars(
        select(Participant)
        .where(
            Participant.cohort_id == meeting.cohort_id,
            Participant.enrolled_at <= meeting.starts_at,
        )
        .options(joinedload(Participant.user))
        .order_by(Participant.withdrawn_at.is_not(None), Participant.study_id)
    ).all()
    marks = {
        a.participant_id: a
        for a in db.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    return [(p, marks.get(p.id)) for p in participants]


def _snapshot(attendance: Attendance | None) -> dict | None:
    if attendance is None:
        return None
    return {"status": attendance.status, "mode": attendance.mode, "note": attendance.note}


def save_sheet(
    db: Session, meeting: Meeting, marks: dict[int, Mark], actor: User, now: datetime
) -> int:
    """Save every changed line at once, or nothing; return how many lines changed.

    A meeting that has not started or was cancelled takes no mark (Problems); taking a mark
    back (status None) is always allowed, so old marks made before that rule can be removed.
    """
    if any(mark.status is not None for mark in marks.values()):
        require_open(meeting, now)
    rows = sheet(db, meeting)
    current = {p.id: (p, a) for p, a in rows}
    if any(pid not in current for pid in marks):
        raise Problems({"meeting": _l("Someone on this sheet was not enrolled at this meeting.")})
    stale = [
        current[pid]
        for pid, mark in marks.items()
        if pid in current
        and (attendance.version if (attendance := current[pid][1]) else 0) != mark.seen_version
    ]
    if stale:
        raise SheetConflict(stale)
    changed = 0
    for pid, mark in marks.items():
        participant, attendance = current[pid]
        before = _snapshot(attendance)
        if mark.status is None:
            if attendance is not None:
                db.delete(attendance)
            else:
                continue
        elif attendance is None:
            attendance = Attendance(
                meeting_id=meeting.id,
                participant_id=pid,
                status=mark.status,
                mode=mark.mode,
                note=mark.note,
                recorded_by_id=actor.id,
                recorded_at=now,
            )
            db.add(attendance)
        elif (attendance.status, attendance.mode, attendance.note) != (
            mark.status,
            mark.mode,
            mark.note,
        ):
            attendance.status, attendance.mode, attendance.note = mark.status, mark.mode, mark.note
            attendance.recorded_by_id, attendance.recorded_at = actor.id, now
        else:
            continue
        changed += 1
        record(
            db,
            at=now,
            actor_id=actor.id,
            action="attendance",
            entity="participant",
            entity_id=participant.id,
            old=before,
            new={"meeting_id": meeting.id, "week": meeting.week, **(_snapshot(attendance) or {})}
            if mark.status
            else {"meeting_id": meeting.id, "status": None},
        )
    try:
        db.flush()
    except (IntegrityError, StaleDataError):
        # Another device committed between our read and our write. The session cannot go on
        # after a failed flush; the conflict page is a 409, so the request saves nothing anyway.
        db.rollback()
        raise SheetConflict([(p, a) for p, a in sheet(db, meeting) if p.id in marks]) from None
    return changed


def record_makeup(
    db: Session,
    participant: Participant,
    meeting: Meeting,
    *,
    made_up_on: date,
    how: str,
    actor: User,
    now: datetime,
) -> Attendance:
    """Record that a missed week was made up; it counts toward the participant's dose.

    Only a meeting that started, was not cancelled and came after the enrolment can be made up."""
    require_open(meeting, now, field="meeting_id")
    if not_yet_enrolled(participant.enrolled_at, meeting):
        raise Problems({"meeting_id": _l("This meeting was before the participant enrolled.")})
    attendance = db.scalar(
        select(Attendance).where(
            Attendance.meeting_id == meeting.id, Attendance.participant_id == participant.id
        )
    )
    before = _snapshot(attendance)
    if attendance is None:
        # Missing the meeting is what a make-up implies; record it as absent, then made up.
        attendance = Attendance(
            meeting_id=meeting.id,
            participant_id=participant.id,
            status="absent",
            mode=meeting.mode,
            recorded_by_id=actor.id,
            recorded_at=now,
        )
        db.add(attendance)
    attendance.made_up_on, attendance.made_up_how = made_up_on, how
    record(
        db,
        at=now,
        actor_id=actor.id,
        action="makeup",
        entity="participant",
        entity_id=participant.id,
        old=before,
        new={
            "meeting_id": meeting.id,
            "week": meeting.week,
            "made_up_on": made_up_on.isoformat(),
            "how": how,
        },
    )
    try:
        # A make-up or sheet save on another device between our read and this write shows
        # here: a second row for the week (unique) or a newer version of it.
        db.flush()
    except (IntegrityError, StaleDataError):
        db.rollback()
        raise MakeupConflict() from None
    return attendance


def missed_meetings(
    meetings: list[Meeting],
    attendance_by_week: dict,
    now: datetime,
    enrolled_at: datetime | None = None,
) -> list[Meeting]:
    """Meetings already started (not cancelled, not before the enrolment) that the participant
    did not attend: the weeks a make-up can be for."""
    return [
        m
        for m in meetings
        if closed_reason(m, now) is None
        and not (enrolled_at is not None and not_yet_enrolled(enrolled_at, m))
        and getattr(attendance_by_week.get(m.week), "status", None) not in ATTENDED
    ]


def record_call(
    db: Session,
    participant: Participant,
    *,
    called_at: datetime,
    outcome: str,
    note: str | None,
    actor: User,
    now: datetime,
) -> FollowUpCall:
    """Record a follow-up call made to the participant; audited with what was recorded."""
    if called_at > now:
        raise Problems({"called_time": _l("The call cannot be in the future.")})
    if outcome not in CALL_OUTCOMES:
        raise Problems({"outcome": _l("Choose how the call went.")})
    call = FollowUpCall(
        participant_id=participant.id,
        called_at=called_at,
        outcome=outcome,
        note=note,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    db.add(call)
    db.flush()
    record(
        db,
        at=now,
        actor_id=actor.id,
        action="follow-up-call",
        entity="participant",
        entity_id=participant.id,
        new={"called_at": called_at.isoformat(), "outcome": str(outcome), "note": note},
    )
    return call


def dismiss_follow_up(
    db: Session, participant: Participant, reasons: list[str], *, actor: User, now: datetime
) -> FollowUpDismissal:
    """Take the person off the follow-up list until a new reason appears; `reasons` are the
    list's reasons now (see queries.new_since_dismissal)."""
    dismissal = db.scalar(
        select(FollowUpDismissal).where(FollowUpDismissal.participant_id == participant.id)
    )
    before = None
    if dismissal is None:
        dismissal = FollowUpDismissal(participant_id=participant.id)
        db.add(dismissal)
    else:
        before = {"dismissed_at": dismissal.dismissed_at.isoformat(), "reasons": dismissal.reasons}
    dismissal.dismissed_at, dismissal.dismissed_by_id = now, actor.id
    dismissal.reasons = ",".join(reasons)
    db.flush()
    record(
        db,
        at=now,
        actor_id=actor.id,
        action="follow-up-dismiss",
        entity="participant",
        entity_id=participant.id,
        old=before,
        new={"reasons": dismissal.reasons},
    )
    return dismissal
