"""Taking attendance, recording make-ups and the meeting's delivery record.

A sheet is saved with optimistic locking: each row carries the version the
facilitator saw, and a save that finds a newer version is refused whole, with
the changes named, so two devices never silently overwrite each other.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import NotFound

from p4p.modules.attendance.models import ATTENDED, Attendance, AttendanceStatus
from p4p.modules.audit.service import record
from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Cohort, Meeting, MeetingStatus
from p4p.modules.sites.service import visible_site_ids

STATUSES = tuple(AttendanceStatus)
MODES = ("in_person", "video")
MAKEUP_WAYS = ("one_to_one", "recording")


@dataclass(frozen=True)
class Mark:
    """One participant's line on the sheet as submitted (status None means unmarked)."""

    status: str | None
    mode: str
    note: str | None
    seen_version: int  # 0 when there was no row


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
    """Everyone in the cohort (withdrawn too, shown as such) with their mark, in two queries."""
    participants = db.scalars(
        select(Participant)
        .where(Participant.cohort_id == meeting.cohort_id)
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
    """Save every changed line at once, or nothing; return how many lines changed."""
    rows = sheet(db, meeting)
    current = {p.id: (p, a) for p, a in rows}
    stale = [
        current[pid]
        for pid, mark in marks.items()
        if pid in current
        and (current[pid][1].version if current[pid][1] else 0) != mark.seen_version
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
        db.commit()
    except (IntegrityError, StaleDataError):
        # Another device committed between our read and our write.
        db.rollback()
        raise SheetConflict([(p, a) for p, a in sheet(db, meeting) if p.id in marks]) from None
    return changed


def record_delivery(
    db: Session,
    meeting: Meeting,
    *,
    status: str,
    actual_minutes: int | None,
    sections: list[str],
    note: str | None,
    actor: User,
    now: datetime,
) -> None:
    """Mark a meeting held or cancelled with its fidelity record (length, parts covered, note)."""
    before = {
        "status": meeting.status,
        "actual_minutes": meeting.actual_minutes,
        "sections_covered": meeting.sections_covered,
        "note": meeting.delivery_notes,
    }
    meeting.status = status
    meeting.actual_minutes = actual_minutes if status == MeetingStatus.HELD else None
    meeting.sections_covered = sections if status == MeetingStatus.HELD else []
    meeting.delivery_notes = note
    meeting.delivery_recorded_at, meeting.delivery_recorded_by_id = now, actor.id
    record(
        db,
        at=now,
        actor_id=actor.id,
        action="meeting-delivery",
        entity="meeting",
        entity_id=meeting.id,
        old=before,
        new={
            "status": status,
            "actual_minutes": meeting.actual_minutes,
            "sections_covered": meeting.sections_covered,
            "note": note,
        },
    )
    db.commit()


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
    """Record that a missed week was made up; it counts toward the participant's dose."""
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
    db.commit()
    return attendance


def missed_meetings(
    meetings: list[Meeting], attendance_by_week: dict, now: datetime
) -> list[Meeting]:
    """Meetings already started that the participant did not attend: the weeks a make-up can be for."""
    return [
        m
        for m in meetings
        if m.status != MeetingStatus.CANCELLED
        and m.starts_at <= now
        and getattr(attendance_by_week.get(m.week), "status", None) not in ATTENDED
    ]
