"""Plan, claim, send: reminders that are never sent twice and never lost.

APScheduler is only the clock; the truth is the `reminder` table:
- plan(now) inserts every reminder that should exist (a second insert of a key does nothing)
  and cancels planned ones that no longer should (withdrawn, opted out, meeting moved);
- send_due(now) claims due rows with a conditional UPDATE (and FOR UPDATE SKIP LOCKED on
  PostgreSQL), commits the claim, checks eligibility again, sends, then records the result.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from p4p.messaging import SendError
from p4p.modules.reminders import eligibility, rules
from p4p.modules.reminders.models import Reminder, ReminderStatus
from p4p.modules.reminders.queries import planning_data

log = logging.getLogger("p4p.reminders")
BACKOFF_MINUTES = (5, 15, 45, 120, 360)


def settings_from(config) -> rules.Settings:
    return rules.Settings(
        eve_hour=int(config["REMINDER_EVE_HOUR"]),
        soon_hours=int(config["REMINDER_SOON_HOURS"]),
        week_open_hour=int(config["REMINDER_WEEK_OPEN_HOUR"]),
        practice_hour=int(config["REMINDER_PRACTICE_HOUR"]),
        survey_months=tuple(int(m) for m in config["SURVEY_MONTHS"]),
        survey_window_days=int(config["SURVEY_WINDOW_DAYS"]),
        digest_hours=int(config["REMINDER_DIGEST_HOURS"]),
    )


def default_quiet_hours(config) -> tuple[time | None, time | None]:
    """Quiet hours for participants who have not chosen their own ("" switches them off)."""
    start, end = config["QUIET_HOURS_START"], config["QUIET_HOURS_END"]
    if not start or not end:
        return None, None
    return time.fromisoformat(start), time.fromisoformat(end)


def desired(data, settings: rules.Settings, program) -> list[rules.Planned]:
    """Every reminder the schedule and preferences call for (before the time window is applied)."""
    planned: list[rules.Planned] = []
    for meeting in data.meetings:
        cohort = meeting.cohort
        arm_weeks = program.arm(cohort.arm).weeks if cohort.arm in program.arms else ()
        for participant in data.participants_by_cohort.get(cohort.id, []):
            recipient = data.recipients[participant.id]
            planned += rules.meeting_reminders(
                recipient, meeting.id, meeting.week, meeting.starts_at, settings
            )
            if meeting.week in arm_weeks:
                planned += rules.week_open_reminders(
                    recipient, meeting.id, meeting.week, meeting.starts_at, settings
                )
                opens_on = meeting.starts_at.astimezone(ZoneInfo(recipient.timezone)).date()
                planned += rules.practice_reminders(
                    recipient, meeting.week, opens_on, data.practiced[participant.id], settings
                )
        for facilitator_id in data.facilitators_by_site.get(cohort.site_id, []):
            planned.append(
                rules.digest_reminder(
                    facilitator_id, meeting.id, meeting.week, meeting.starts_at, settings
                )
            )
    for cohort in data.survey_cohorts:
        for participant in data.participants_by_cohort.get(cohort.id, []):
            planned += rules.survey_reminders(
                data.recipients[participant.id],
                cohort.start_date,
                data.done_surveys[participant.id],
                settings,
            )
    return planned


@dataclass
class PlanResult:
    inserted: int = 0
    cancelled: int = 0
    keys: list[str] = field(default_factory=list)


def _insert_ignoring_existing(db: Session, rows: list[dict]) -> int:
    if not rows:
        return 0
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING counts what went in; rowcount is not reliable for multi-row inserts on every driver.
    statement = insert(Reminder).values(rows).on_conflict_do_nothing(index_elements=["key"])
    return len(db.execute(statement.returning(Reminder.id)).all())


def plan(db: Session, program, now: datetime, config) -> PlanResult:
    """Insert what should exist within the horizon; cancel planned rows that should not."""
    settings = settings_from(config)
    horizon = timedelta(hours=int(config["REMINDER_HORIZON_HOURS"]))
    reach = max(settings.survey_months, default=0) * 31 + settings.survey_window_days
    data = planning_data(db, now, horizon, reach, default_quiet_hours(config))
    wanted = {
        p.key: p
        for p in desired(data, settings, program)
        if p.expires_at > now and p.due_at <= now + horizon
    }
    rows = [
        dict(
            key=p.key,
            user_id=p.user_id,
            kind=p.kind,
            channel=p.channel,
            payload=p.payload,
            due_at=p.due_at,
            expires_at=p.expires_at,
            status=ReminderStatus.PLANNED,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        for p in wanted.values()
    ]
    result = PlanResult()
    for start in range(0, len(rows), 500):
        result.inserted += _insert_ignoring_existing(db, rows[start : start + 500])
    stale = db.scalars(
        select(Reminder).where(
            Reminder.status == ReminderStatus.PLANNED, Reminder.due_at <= now + horizon
        )
    ).all()
    for reminder in stale:
        if reminder.key not in wanted:
            reminder.status, reminder.updated_at = ReminderStatus.CANCELLED, now
            reminder.last_error = "no longer wanted when planned"
            result.cancelled += 1
            result.keys.append(reminder.key)
    db.commit()
    return result


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    cancelled: int = 0
    reclaimed: int = 0
    lines: list[str] = field(default_factory=list)


def _reclaim_and_expire(db: Session, now: datetime, config, result: SendResult) -> None:
    lease = timedelta(minutes=int(config["REMINDER_LEASE_MINUTES"]))
    stuck = db.scalars(
        select(Reminder).where(
            Reminder.status == ReminderStatus.SENDING, Reminder.claimed_at < now - lease
        )
    ).all()
    for reminder in stuck:
        # The process that claimed it died between claim and send; it is tried once more.
        log.warning(
            "reclaiming reminder %s claimed by %s at %s",
            reminder.key,
            reminder.claimed_by,
            reminder.claimed_at,
        )
        reminder.status, reminder.updated_at = ReminderStatus.PLANNED, now
        reminder.last_error = f"reclaimed after {reminder.claimed_by} stopped mid-send"
        result.reclaimed += 1
    expired = db.execute(
        update(Reminder)
        .where(Reminder.status == ReminderStatus.PLANNED, Reminder.expires_at <= now)
        .values(status=ReminderStatus.EXPIRED, updated_at=now)
    )
    result.expired += expired.rowcount or 0
    db.commit()


def claim_due(db: Session, now: datetime, worker: str, limit: int = 100) -> list[int]:
    """Take due rows for this worker; a row another worker took first is skipped, never shared."""
    query = (
        select(Reminder.id)
        .where(
            Reminder.status == ReminderStatus.PLANNED,
            Reminder.due_at <= now,
            (Reminder.next_attempt_at.is_(None)) | (Reminder.next_attempt_at <= now),
        )
        .order_by(Reminder.due_at)
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for reminder_id in db.scalars(query).all():
        taken = db.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id, Reminder.status == ReminderStatus.PLANNED)
            .values(
                status=ReminderStatus.SENDING,
                claimed_at=now,
                claimed_by=worker,
                attempts=Reminder.attempts + 1,
                updated_at=now,
            )
        )
        if taken.rowcount == 1:
            claimed.append(reminder_id)
    db.commit()  # the claim is durable before anything is sent
    return claimed


def deliver(
    db: Session, reminder_id: int, now: datetime, senders, program, config, result: SendResult
):
    """Send one claimed reminder and record the outcome."""
    from p4p.modules.reminders.messages import render

    reminder = db.get(Reminder, reminder_id)
    if reminder.expires_at <= now:
        reminder.status, reminder.updated_at = ReminderStatus.EXPIRED, now
        result.expired += 1
        result.lines.append(f"expired {reminder.key}")
        db.commit()
        return
    reason = eligibility.why_not(db, reminder, now)
    if reason:
        reminder.status, reminder.last_error, reminder.updated_at = (
            ReminderStatus.CANCELLED,
            reason,
            now,
        )
        result.cancelled += 1
        result.lines.append(f"cancelled {reminder.key}: {reason}")
        db.commit()
        return
    try:
        message = render(db, reminder, program, now)
        reminder.provider_id = senders[reminder.channel].send(message)
    except SendError as error:
        reminder.last_error = str(error)[:2000]
        if reminder.attempts >= int(config["REMINDER_MAX_ATTEMPTS"]):
            reminder.status = ReminderStatus.FAILED
            result.failed += 1
            result.lines.append(f"failed {reminder.key}: {error}")
        else:
            wait = BACKOFF_MINUTES[min(reminder.attempts - 1, len(BACKOFF_MINUTES) - 1)]
            reminder.status, reminder.next_attempt_at = (
                ReminderStatus.PLANNED,
                now + timedelta(minutes=wait),
            )
            result.retried += 1
            result.lines.append(f"retry {reminder.key} in {wait} min: {error}")
    else:
        reminder.status, reminder.sent_at, reminder.last_error = ReminderStatus.SENT, now, None
        result.sent += 1
        result.lines.append(f"sent {reminder.key}")
    reminder.updated_at = now
    db.commit()


def send_due(db: Session, program, now: datetime, senders, worker: str, config=None) -> SendResult:
    config = config or current_app.config
    result = SendResult()
    _reclaim_and_expire(db, now, config, result)
    while True:
        claimed = claim_due(db, now, worker)
        if not claimed:
            return result
        for reminder_id in claimed:
            deliver(db, reminder_id, now, senders, program, config, result)


def retry_failed(db: Session, reminder: Reminder, now: datetime) -> None:
    """Staff send a failed reminder again: it gets a fresh set of tries, if its moment has not passed."""
    reminder.status, reminder.attempts, reminder.next_attempt_at = ReminderStatus.PLANNED, 0, None
    reminder.updated_at = now
    db.commit()
