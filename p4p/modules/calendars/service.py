"""Making, revoking and reading a person's calendar feed link, and writing the feed itself.

Calendar apps cannot log in, so the link is the key: a random token, stored only as its
SHA-256, that the person can replace or stop at any time. The feed names no arm and holds no
health details: each event is the study's short name and "group session", its time in the
site's time zone, and where (the place, or the video link for a video meeting).
"""

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from p4p.modules.audit.service import record
from p4p.modules.auth.models import Role, User
from p4p.modules.auth.service import token_hash
from p4p.modules.calendars import queries
from p4p.modules.calendars.models import CalendarFeed
from p4p.modules.sites.models import Meeting, MeetingMode, MeetingStatus

FEED_ROLES = (Role.PARTICIPANT, Role.FACILITATOR)


def has_feed(db: Session, user: User) -> bool:
    return db.scalar(select(CalendarFeed.id).where(CalendarFeed.user_id == user.id)) is not None


def new_feed(db: Session, user: User, now: datetime) -> str:
    """A new link for the person; the old one, if any, stops working. Returns the token."""
    replaced = has_feed(db, user)
    db.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    token = secrets.token_urlsafe(32)
    db.add(CalendarFeed(user_id=user.id, token_hash=token_hash(token), created_at=now))
    _record_link(db, user, now, old="replaced" if replaced else None, new="new")
    return token


def revoke_feed(db: Session, user: User, now: datetime) -> bool:
    """Stop the person's link; False, and nothing recorded, when there was none."""
    if not has_feed(db, user):
        return False
    db.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    _record_link(db, user, now, old="live", new=None)
    return True


def _record_link(db: Session, user: User, now: datetime, *, old, new) -> None:
    """The person's own change to their calendar link, on the audit trail."""
    record(
        db,
        at=now,
        actor_id=user.id,
        action="calendar-link",
        entity="user",
        entity_id=user.id,
        old={"link": old},
        new={"link": new},
    )
    db.flush()


def user_for_token(db: Session, token: str) -> User | None:
    """The active person whose live link this is, or None (unknown, revoked, deactivated)."""
    user = db.scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == token_hash(token))
    )
    if user is None or not user.active or user.role not in FEED_ROLES:
        return None
    return user


def feed_bytes(db: Session, user: User, program, base_url: str, now: datetime) -> bytes:
    """The person's meetings as an iCalendar file, in the person's language."""
    # Imported here, as in _event: icalendar costs every worker and CLI call 0.1 s at start-up
    # otherwise, and only a calendar app's fetch of the feed needs it.
    from icalendar import Calendar

    host = urlsplit(base_url).hostname or "p4p"
    meetings = queries.feed_meetings(db, user)
    changes = queries.change_counts(db, meetings)
    with force_locale(user.language):
        short_name = program.name_in(user.language, short=True)
        calendar = Calendar()
        calendar.add("prodid", f"-//{short_name}//{host}//")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", short_name)
        for meeting in meetings:
            calendar.add_component(
                _event(meeting, user, short_name, host, changes.get(meeting.id, 0), now)
            )
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(meeting: Meeting, user: User, short_name: str, host: str, sequence: int, now):
    cohort = meeting.cohort
    zone = ZoneInfo(cohort.site.timezone)
    starts = meeting.starts_at.replace(tzinfo=meeting.starts_at.tzinfo or UTC).astimezone(zone)
    from icalendar import Event

    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", starts)
    event.add("dtend", starts + timedelta(minutes=meeting.duration_minutes))
    event.add("sequence", sequence)
    # Participants see the study's name only; a facilitator also needs to know which group.
    kind = _("group session")  # outside the f-string, where the message extractor finds it
    summary = f"{short_name}: {kind}"
    if user.role == Role.FACILITATOR:
        summary += f" ({cohort.name})"
    event.add("summary", summary)
    video = meeting.mode == MeetingMode.VIDEO and cohort.video_link
    if video:
        event.add("location", cohort.video_link)
        event.add("url", cohort.video_link)
    else:
        event.add("location", meeting.location or cohort.location or cohort.site.name)
    if meeting.status == MeetingStatus.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event
