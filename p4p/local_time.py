"""Site-local time: every moment is stored in UTC and shown in the site's own timezone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def local_datetime(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def local_today(now: datetime, timezone: str) -> date:
    return local_datetime(now, timezone).date()


def to_utc(local_date: date, local_time: time, timezone: str) -> datetime:
    """A local wall-clock time as UTC; zoneinfo picks the right offset on each side of DST."""
    return datetime.combine(local_date, local_time, tzinfo=ZoneInfo(timezone)).astimezone(UTC)
