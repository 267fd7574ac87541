"""A meeting's delivery record: held (with its length, the parts covered and a note),
cancelled, or cleared back to "not recorded yet" when it was recorded by mistake.

"Held" needs a meeting that has started and is not cancelled (rules.py). A cancelled meeting
has no attendance, so cancelling one that has marks is refused until the person confirms
that the marks go; each removed mark is audited with its old value, so nothing is lost.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from p4p.modules.attendance.models import Attendance
from p4p.modules.attendance.rules import require_open
from p4p.modules.audit.service import record
from p4p.modules.auth.models import User
from p4p.modules.sites.models import Meeting, MeetingStatus


class CancelNeedsConfirmation(Exception):
    """Cancelling would remove these marks; nothing was written. Ask, then call again with
    remove_marks=True."""

    def __init__(self, marks: int):
        super().__init__(f"{marks} marks at this meeting")
        self.marks = marks


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
    remove_marks: bool = False,
) -> None:
    """Mark a meeting held, cancelled or back to scheduled, with its fidelity record; a save
    that changes nothing writes nothing."""
    if status == MeetingStatus.HELD:
        require_open(meeting, now, field="status")
    marks = []
    if status == MeetingStatus.CANCELLED:
        marks = list(db.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)))
        if marks and not remove_marks:
            raise CancelNeedsConfirmation(len(marks))
    before = {
        "status": meeting.status,
        "actual_minutes": meeting.actual_minutes,
        "sections_covered": meeting.sections_covered,
        "note": meeting.delivery_notes,
    }
    held = status == MeetingStatus.HELD
    after = {
        "status": status,
        "actual_minutes": actual_minutes if held else None,
        "sections_covered": sections if held else [],
        "note": note if status != MeetingStatus.SCHEDULED else None,
    }
    if after == before and not marks:
        return  # saved again as it was: nothing changes, nothing goes on the audit trail
    for attendance in marks:
        _remove_for_cancel(db, attendance, meeting, actor, now)
    meeting.status = status
    meeting.actual_minutes = actual_minutes if held else None
    meeting.sections_covered = sections if held else []
    meeting.delivery_notes = note if status != MeetingStatus.SCHEDULED else None
    if status == MeetingStatus.SCHEDULED:
        meeting.delivery_recorded_at, meeting.delivery_recorded_by_id = None, None
    else:
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
            "note": meeting.delivery_notes,
            **({"marks_removed": len(marks)} if marks else {}),
        },
    )
    db.flush()


def _remove_for_cancel(db, attendance: Attendance, meeting: Meeting, actor, now) -> None:
    """One mark goes with the cancelled meeting; its event keeps what it was."""
    record(
        db,
        at=now,
        actor_id=actor.id,
        action="attendance",
        entity="participant",
        entity_id=attendance.participant_id,
        old={
            "status": attendance.status,
            "mode": attendance.mode,
            "note": attendance.note,
            "made_up_on": attendance.made_up_on.isoformat() if attendance.made_up_on else None,
            "made_up_how": attendance.made_up_how,
        },
        new={
            "meeting_id": meeting.id,
            "week": meeting.week,
            "status": None,
            "reason": "meeting cancelled",
        },
    )
    db.delete(attendance)
