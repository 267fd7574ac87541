"""What should be reminded, and when: pure functions of the schedule, preferences and `now`.

Every reminder has a key naming what it is about; a key that embeds a meeting's
start time changes when the meeting moves, so the old reminder is cancelled and
a new one planned, and neither can be sent twice.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from p4p.modules.reminders.models import MEETING_MOVED, ReminderKind, opt_out_kind


@dataclass(frozen=True)
class Settings:
    eve_hour: int = 18
    soon_hours: int = 0  # 0 switches the "2 hours before" reminder off
    week_open_hour: int = 8
    practice_hour: int = 18
    practice_gap_days: int = 3
    survey_hour: int = 10
    survey_months: tuple[int, ...] = (2, 4, 6)
    survey_window_days: int = 14
    survey_repeat_days: tuple[int, ...] = (0, 4, 9)
    questionnaire_hour: int = 10
    # A second reminder the day before a questionnaire's last day, only when that is at least
    # this many days after it opened (a 3-day weekly window gets one message, not two in a row).
    questionnaire_nudge_after_days: int = 3
    digest_hours: int = 3
    quiet_start: time | None = time(21, 0)
    quiet_end: time | None = time(8, 0)


@dataclass(frozen=True)
class Planned:
    key: str
    user_id: int
    kind: str
    channel: str
    due_at: datetime
    expires_at: datetime
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Recipient:
    """A participant as the rules see them: where to write, in which zone, what they switched off."""

    user_id: int
    participant_id: int
    channels: tuple[str, ...]
    timezone: str
    kinds_off: frozenset[str]
    quiet_start: time | None
    quiet_end: time | None


def at_local(day: date, hour: int, timezone: str) -> datetime:
    """A local wall-clock hour as an aware datetime; it stays at that hour across DST changes."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(timezone))


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    days_in_month = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return date(year, month, min(day.day, days_in_month))


def outside_quiet_hours(
    due: datetime, start: time | None, end: time | None, timezone: str
) -> datetime:
    """Move a due time that falls in quiet hours to the moment they end (local time)."""
    if start is None or end is None or start == end:
        return due
    local = due.astimezone(ZoneInfo(timezone))
    moment = local.time()
    overnight = start > end
    quiet = (moment >= start or moment < end) if overnight else (start <= moment < end)
    if not quiet:
        return due
    end_day = local.date() + timedelta(days=1) if overnight and moment >= start else local.date()
    return datetime.combine(end_day, end, tzinfo=ZoneInfo(timezone))


def for_channels(
    recipient: Recipient, kind: str, target: str, due: datetime, expires: datetime, payload: dict
) -> list[Planned]:
    if opt_out_kind(kind) in recipient.kinds_off:
        return []
    due = outside_quiet_hours(due, recipient.quiet_start, recipient.quiet_end, recipient.timezone)
    if due >= expires:
        return []  # quiet hours push it past its moment: better none than a late one
    return [
        Planned(
            f"{kind}:{target}:u{recipient.user_id}:{channel}",
            recipient.user_id,
            kind,
            channel,
            due,
            expires,
            {"participant_id": recipient.participant_id, **payload},
        )
        for channel in recipient.channels
    ]


def meeting_target(meeting_id: int, starts_at: datetime) -> str:
    return f"m{meeting_id}@{int(starts_at.timestamp())}"


def _local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))


def eve_due(starts_at: datetime, timezone: str, settings: Settings) -> datetime:
    local_day = starts_at.astimezone(ZoneInfo(timezone)).date()
    return at_local(local_day - timedelta(days=1), settings.eve_hour, timezone)


def meeting_reminders(
    recipient: Recipient,
    meeting_id: int,
    week: int,
    starts_at: datetime,
    settings: Settings,
    moved_at: datetime | None = None,
) -> list[Planned]:
    """The evening before (and optionally a few hours before) a meeting.

    The eve reminder says "tomorrow", so it is void from the meeting day's local midnight. A
    meeting moved so late that its eve reminder's time had already passed gets one "your meeting
    moved" notice instead, from the moment of the move (the key holds the new time: once per move).
    """
    target = meeting_target(meeting_id, starts_at)
    payload = {"meeting_id": meeting_id, "week": week, "starts_at": starts_at.isoformat()}
    eve = eve_due(starts_at, recipient.timezone, settings)
    if moved_at is not None and eve <= moved_at < starts_at:
        planned = for_channels(recipient, MEETING_MOVED, target, moved_at, starts_at, payload)
    else:
        meeting_day = _local_midnight(eve.date() + timedelta(days=1), recipient.timezone)
        expires = min(starts_at, meeting_day)
        planned = for_channels(recipient, ReminderKind.MEETING_EVE, target, eve, expires, payload)
    if settings.soon_hours:
        soon = starts_at - timedelta(hours=settings.soon_hours)
        planned += for_channels(
            recipient, ReminderKind.MEETING_SOON, target, soon, starts_at, payload
        )
    return planned


def week_open_reminders(
    recipient: Recipient, meeting_id: int, week: int, starts_at: datetime, settings: Settings
) -> list[Planned]:
    """On the meeting day: the new week's session is open in the app (news only until the
    meeting starts; after it, the group has heard it there)."""
    local_day = starts_at.astimezone(ZoneInfo(recipient.timezone)).date()
    due = at_local(local_day, settings.week_open_hour, recipient.timezone)
    payload = {"meeting_id": meeting_id, "week": week}
    return for_channels(
        recipient,
        ReminderKind.WEEK_OPEN,
        meeting_target(meeting_id, starts_at),
        due,
        starts_at,
        payload,
    )


def practice_windows(opens_on: date, settings: Settings) -> list[tuple[int, date, date]]:
    """(slot, first day, day of the nudge): at most two nudges a week, each after 3 days."""
    gap = settings.practice_gap_days
    return [
        (slot, opens_on + timedelta(days=gap * (slot - 1)), opens_on + timedelta(days=gap * slot))
        for slot in (1, 2)
    ]


def practice_reminders(
    recipient: Recipient, week: int, opens_on: date, practiced: set[date], settings: Settings
) -> list[Planned]:
    planned = []
    for slot, first, nudge_day in practice_windows(opens_on, settings):
        if any(first <= day < nudge_day for day in practiced):
            continue
        due = at_local(nudge_day, settings.practice_hour, recipient.timezone)
        target = f"w{week}s{slot}@{opens_on.isoformat()}"
        payload = {"week": week, "since": first.isoformat(), "until": nudge_day.isoformat()}
        planned += for_channels(
            recipient, ReminderKind.PRACTICE, target, due, due + timedelta(hours=12), payload
        )
    return planned


def survey_reminders(
    recipient: Recipient, program_start: date, done_months: set[int], settings: Settings
) -> list[Planned]:
    """Follow-up surveys at 2, 4 and 6 months after the participant's own program start
    (participants.program_start), repeated until done."""
    planned = []
    for months in settings.survey_months:
        if months in done_months:
            continue
        opens = add_months(program_start, months)
        closes = at_local(
            opens + timedelta(days=settings.survey_window_days),
            settings.survey_hour,
            recipient.timezone,
        )
        for number, offset in enumerate(settings.survey_repeat_days, start=1):
            due = at_local(opens + timedelta(days=offset), settings.survey_hour, recipient.timezone)
            planned += for_channels(
                recipient,
                ReminderKind.SURVEY,
                f"s{months}r{number}",
                due,
                closes,
                {"months": months},
            )
    return planned


def survey_round(key: str) -> tuple[str, int] | None:
    """("survey:s2:u5:email", 1) for the key "survey:s2r1:u5:email": the series a survey
    round belongs to (one person, one channel, one survey) and its number; None for other keys."""
    kind, target, *rest = key.split(":")
    months, marker, number = target[1:].partition("r")
    if kind != ReminderKind.SURVEY or not (marker and months.isdigit() and number.isdigit()):
        return None
    return ":".join([kind, f"s{months}", *rest]), int(number)


def questionnaire_target(instrument: str, occasion: str, opens_on: date) -> str:
    """ "peg.week-3@2026-03-16": the opening day is part of it, so an occasion that moves (its
    week's meeting moved) cancels its unsent reminders and plans new ones."""
    return f"{instrument}.{occasion}@{opens_on.isoformat()}"


def questionnaire_reminders(
    recipient: Recipient,
    instrument: str,
    occasion: str,
    opens_on: date,
    last_day: date,
    settings: Settings,
) -> list[Planned]:
    """A questionnaire's occasion is open (instruments.service.occasions_of): one reminder on
    its first day and, in a long enough window, a nudge the day before its last day. Both are
    void once the window closes (local midnight after its last day)."""
    closes = _local_midnight(last_day + timedelta(days=1), recipient.timezone)
    target = questionnaire_target(instrument, occasion, opens_on)
    rounds = [(1, opens_on)]
    nudge_day = last_day - timedelta(days=1)
    if (nudge_day - opens_on).days >= settings.questionnaire_nudge_after_days:
        rounds.append((2, nudge_day))
    payload = {
        "instrument": instrument,
        "occasion": occasion,
        "opens_on": opens_on.isoformat(),
        "last_day": last_day.isoformat(),
    }
    planned = []
    for number, day in rounds:
        due = at_local(day, settings.questionnaire_hour, recipient.timezone)
        planned += for_channels(
            recipient,
            ReminderKind.QUESTIONNAIRE,
            f"{target}r{number}",
            due,
            closes,
            {**payload, "round": number},
        )
    return planned


def questionnaire_round(key: str) -> tuple[str, int] | None:
    """("questionnaire:peg.week-3:u5:email", 2) for "questionnaire:peg.week-3@2026-03-16r2:u5:email":
    the series (one person, channel, questionnaire and occasion, whatever day it opens) and the
    round's number; None for other keys."""
    kind, target, *rest = key.split(":")
    about, at, day_and_round = target.partition("@")
    _day, marker, number = day_and_round.rpartition("r")
    if kind != ReminderKind.QUESTIONNAIRE or not (at and marker and number.isdigit()):
        return None
    return ":".join([kind, about, *rest]), int(number)


def series_round(key: str) -> tuple[str, int] | None:
    """The series and round number of a survey's or a questionnaire's reminder; None otherwise."""
    return survey_round(key) or questionnaire_round(key)


def digest_reminder(
    facilitator_id: int, meeting_id: int, week: int, starts_at: datetime, settings: Settings
) -> Planned:
    """A short list for the facilitator of who needs follow-up, a few hours before the meeting."""
    return Planned(
        f"{ReminderKind.DIGEST}:{meeting_target(meeting_id, starts_at)}:u{facilitator_id}:email",
        facilitator_id,
        ReminderKind.DIGEST,
        "email",
        starts_at - timedelta(hours=settings.digest_hours),
        starts_at,
        {"meeting_id": meeting_id, "week": week},
    )
