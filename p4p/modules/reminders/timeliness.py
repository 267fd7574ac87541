"""Whether a reminder's purpose still holds at the moment it would go, and how it should word the
day, both from the meeting's current time and the recipient's local date (the site's zone).

The planner's expires_at is a first guess made when it was planned; this is the last word.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from p4p.modules.reminders import rules
from p4p.modules.reminders.models import (
    MEETING_MODE,
    MEETING_MOVED,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from p4p.modules.sites.models import Meeting, MeetingStatus

if TYPE_CHECKING:
    from p4p.modules.reminders.facts import Facts

MEETING_KINDS = {
    ReminderKind.MEETING_EVE,
    ReminderKind.MEETING_SOON,
    MEETING_MOVED,
    MEETING_MODE,  # (a cancellation's notice is about a meeting that is off: eligibility)
    ReminderKind.WEEK_OPEN,
    ReminderKind.DIGEST,
}
# Two rounds of one survey series closer than this are one moment: the later one is not sent.
SERIES_GAP = timedelta(hours=24)


def day_word(starts_at: datetime, now: datetime, timezone: str) -> str:
    """ "today", "tomorrow" or "later": the meeting's local date seen from the recipient's."""
    zone = ZoneInfo(timezone)
    days = (starts_at.astimezone(zone).date() - now.astimezone(zone).date()).days
    return {0: "today", 1: "tomorrow"}.get(days, "later" if days > 1 else "past")


def is_for_meeting_time(reminder: Reminder, meeting: Meeting) -> bool:
    """A meeting reminder's key holds the start it was planned for; a moved meeting's old
    reminders are for a time that no longer exists (eligibility cancels them)."""
    return reminder.key.split(":")[1].endswith(f"@{int(meeting.starts_at.timestamp())}")


def why_expired(facts: "Facts", reminder: Reminder, now: datetime) -> str | None:
    """The reason this reminder's purpose has passed, or None while it still holds."""
    if reminder.kind in MEETING_KINDS:
        meeting = facts.meeting(reminder)
        if meeting is None or meeting.status == MeetingStatus.CANCELLED:
            return "meeting cancelled"
        if is_for_meeting_time(reminder, meeting):
            if meeting.starts_at <= now:
                return "meeting started"
            timezone = meeting.cohort.site.timezone
            if reminder.kind == ReminderKind.MEETING_EVE and day_word(
                meeting.starts_at, now, timezone
            ) in ("today", "past"):
                return "meeting is today"  # "tomorrow" would be wrong, and the day has begun
    if reminder.expires_at <= now:
        return "its moment passed"
    return superseded_by(facts, reminder, now)


def superseded_by(facts: "Facts", reminder: Reminder, now: datetime) -> str | None:
    """One message per survey at a time: not if another round of it went in the last day. A
    questionnaire's first round is not sent either if any round of that occasion already went
    (the occasion moved after its first reminder: the person was told once)."""
    found = rules.series_round(reminder.key)
    if found is None:
        return None
    series, number = found
    first_of_occasion = number == 1 and rules.questionnaire_round(reminder.key) is not None
    for key, went_at in facts.rounds_went.get((reminder.user_id, reminder.channel), ()):
        sibling = rules.series_round(key)
        if sibling is None or sibling[0] != series or key == reminder.key:
            continue
        if first_of_occasion or went_at > now - SERIES_GAP:
            return f"superseded: {key} went at {went_at.isoformat()}"
    return None


def supersede_overdue_rounds(db: Session, now: datetime) -> list[tuple[int, str]]:
    """Overdue rounds of one series (a survey's, a questionnaire occasion's) collapse into the
    latest: (id, reason) for each older one."""
    due = db.execute(
        select(Reminder.id, Reminder.key).where(
            Reminder.status == ReminderStatus.PLANNED,
            Reminder.kind.in_((ReminderKind.SURVEY, ReminderKind.QUESTIONNAIRE)),
            Reminder.due_at <= now,
        )
    ).all()
    latest: dict[str, tuple[int, int, str]] = {}
    older: list[tuple[int, str]] = []  # (id, series) of each round a later one replaces
    for reminder_id, key in due:
        found = rules.series_round(key)
        if found is None:
            continue
        series, number = found
        kept = latest.get(series)
        if kept is None or number > kept[0]:
            if kept is not None:
                older.append((kept[1], series))
            latest[series] = (number, reminder_id, key)
        else:
            older.append((reminder_id, series))
    by_series = {series: key for series, (_n, _id, key) in latest.items()}
    return [(reminder_id, f"superseded by {by_series[series]}") for reminder_id, series in older]
