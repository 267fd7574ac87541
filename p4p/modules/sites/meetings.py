"""Changes to one meeting after its cohort is made: a new date and time, or video instead of
in person (and back). Each needs a reason and is audited; participants see the change at once
(the week opens on the meeting's new local date; reminders follow its new time)."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from p4p.modules.audit.service import record
from p4p.modules.sites.checks import local_label, mode_problems, move_problems
from p4p.modules.sites.models import Meeting
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
    old = {
        "starts_at": meeting.starts_at.isoformat(),
        "local": local_label(meeting.starts_at, timezone),
    }
    meeting.starts_at = starts_at
    new = {"starts_at": starts_at.isoformat(), "local": local_label(starts_at, timezone)}
    _audit(db, meeting, "move", old, new, reason, actor_id, now)


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
    _audit(db, meeting, "mode", old, new, reason, actor_id, now)


def _audit(
    db: Session,
    meeting: Meeting,
    action: str,
    old: dict,
    new: dict,
    reason: str,
    actor_id: int,
    now: datetime,
) -> None:
    """A meeting's change is one event, with its old and new values and its reason."""
    record(
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
