"""Changes to one meeting after its cohort is made: a new date and time, video instead of in
person (and back), or cancelling it ahead of time. Each needs a reason and is audited, and each
sends its participants a notice at once (p4p.modules.reminders.changes); the week opens on the
meeting's new local date and reminders follow its new time."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from p4p.modules.audit.models import AuditEvent
from p4p.modules.audit.service import record
from p4p.modules.sites.checks import local_label, mode_problems, move_problems
from p4p.modules.sites.models import Meeting, MeetingStatus
from p4p.problems import raise_if_any


def move_meeting(
    db: Session, meeting: Meeting, starts_at: datetime, reason: str, actor_id: int, now: datetime
) -> None:
    """Give a meeting a new date and time (UTC), with a reason; audited with old and new.

    The week's release follows Meeting.starts_at, so participants see it open on the new day.
    """
    timezone = meeting.cohort.site.timezone
    problems = move_problems(meeting, starts_at, timezone)
    if not problems and (message := _marks_problem(db, meeting, starts_at, now)):
        problems["date"] = message
    if not reason.strip():
        problems["reason"] = _l("Write why the meeting moves.")
    raise_if_any(problems)
    old_starts_at = meeting.starts_at
    old = {
        "starts_at": old_starts_at.isoformat(),
        "local": local_label(old_starts_at, timezone),
    }
    meeting.starts_at = starts_at
    new = {"starts_at": starts_at.isoformat(), "local": local_label(starts_at, timezone)}
    event = _audit(db, meeting, "move", old, new, reason, actor_id, now)
    _notify(db, meeting, "meeting-moved", event.id, now, old_starts_at=old_starts_at)


def _marks_problem(db: Session, meeting: Meeting, starts_at: datetime, now: datetime):
    """Marks exist only for meetings that have started, and only for people enrolled by then
    (attendance/rules.py): a move may not break that for marks already taken."""
    from p4p.modules.attendance.models import Attendance  # attendance builds on sites
    from p4p.modules.participants.models import Participant

    enrolled = db.execute(
        select(Participant.enrolled_at)
        .join(Attendance, Attendance.participant_id == Participant.id)
        .where(Attendance.meeting_id == meeting.id)
    ).scalars()
    latest = max(enrolled, default=None)
    if latest is None:
        return None
    if starts_at > now:
        return _l(
            "People are already marked at this meeting, so it cannot move to a later time. "
            "Remove the marks on its attendance sheet first if they are wrong."
        )
    if starts_at < latest:
        return _l("Someone marked at this meeting enrolled after that time.")
    return None


def set_meeting_mode(
    db: Session,
    meeting: Meeting,
    mode: str,
    reason: str,
    actor_id: int,
    now: datetime,
    video_link: str | None = None,
) -> None:
    """Hold a meeting by video or in person, with a reason; audited with old and new.

    A video meeting needs the cohort's video link; a link given here becomes the cohort's.
    """
    cohort = meeting.cohort
    link = (video_link or "").strip() or cohort.video_link
    problems = mode_problems(meeting, mode, link)
    if not reason.strip():
        problems["reason"] = _l("Write why the meeting changes.")
    raise_if_any(problems)
    old: dict[str, str | None] = {"mode": meeting.mode}
    new: dict[str, str | None] = {"mode": mode}
    if link != cohort.video_link:
        old["video_link"], new["video_link"] = cohort.video_link, link
        cohort.video_link = link
    meeting.mode = mode
    event = _audit(db, meeting, "mode", old, new, reason, actor_id, now)
    _notify(db, meeting, "meeting-mode", event.id, now)


def cancel_meeting(
    db: Session, meeting: Meeting, reason: str, actor_id: int, now: datetime
) -> None:
    """Call off a meeting that has not started, with a reason; audited, and everyone told.

    Its week still opens on the meeting's date (the session's content stays there to read); no
    attendance is expected at a cancelled meeting, and its reminders are not sent.
    """
    problems = {}
    if meeting.status == MeetingStatus.CANCELLED:
        problems["reason"] = _l("This meeting is already cancelled.")
    elif meeting.starts_at <= now:
        problems["reason"] = _l(
            "This meeting has started or passed. Record how it went on its meeting record instead."
        )
    elif not reason.strip():
        problems["reason"] = _l("Write why the meeting is cancelled.")
    raise_if_any(problems)
    old = {"status": meeting.status}
    meeting.status = MeetingStatus.CANCELLED
    event = _audit(db, meeting, "cancel", old, {"status": meeting.status}, reason, actor_id, now)
    _notify(db, meeting, "meeting-cancelled", event.id, now)


def _notify(db: Session, meeting: Meeting, kind: str, event_id: int, now: datetime, **old):
    from p4p.modules.reminders.changes import notify_meeting_change  # reminders build on sites

    notify_meeting_change(db, meeting, kind, event_id, now, **old)


def _audit(
    db: Session,
    meeting: Meeting,
    action: str,
    old: dict,
    new: dict,
    reason: str,
    actor_id: int,
    now: datetime,
) -> AuditEvent:
    """A meeting's change is one event, with its old and new values and its reason."""
    event = record(
        db,
        at=now,
        actor_id=actor_id,
        action=action,
        entity="meeting",
        entity_id=meeting.id,
        old=old,
        new=new,
        reason=reason.strip(),
    )
    db.flush()
    return event
