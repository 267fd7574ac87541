"""Claim, send, record: each reminder once, however slow a sender is and however many run.

A claim is a lease on one row: `status='sending'`, `claimed_by` = this run's owner token and
`claimed_at` = when the lease was last renewed. A sender claims one due row at a time (FOR
UPDATE SKIP LOCKED on PostgreSQL, a conditional UPDATE with a row-count check everywhere),
renews the lease just before it sends, and records the result with an UPDATE that only matches
while the row is still `sending` under its own token. A lease older than
REMINDER_LEASE_MINUTES is taken back by the next sender, so a sender killed mid-send repeats
at most the one message it had in flight; a slow one loses nothing and repeats nothing.

Leases are timed on `now` plus the time this run has taken, so a run with a fixed `--now`
still ages its claims as it goes.

This is the scheduler's worker, so it owns its transactions; the helpers below only write.
Units of work: send_due commits the sweep (reclaims and expiries) and then each claim, before
anything is sent; deliver commits the renewed lease just before the send and the outcome right
after it. One message per transaction: a crash loses or repeats at most the one in flight.
"""

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from p4p.messaging import SendError
from p4p.modules.reminders import eligibility, timeliness
from p4p.modules.reminders.models import Reminder, ReminderStatus

log = logging.getLogger("p4p.reminders")
BACKOFF_MINUTES = (5, 15, 45, 120, 360)


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    cancelled: int = 0
    reclaimed: int = 0
    lost: int = 0  # claims another sender took back before this one could use them
    lines: list[str] = field(default_factory=list)


class RunClock:
    """`now` as it moves while this run goes on (monotonic, so wall-clock jumps do not matter)."""

    def __init__(self, now: datetime):
        self.start, self.started = now, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started)


def owner_token(worker: str) -> str:
    """This run's name on its claims: the worker (for people reading logs) and a random part
    (so that a restarted process with the same name is not mistaken for the old one)."""
    return f"{worker[:68]}#{secrets.token_hex(5)}"


def _lease(config) -> timedelta:
    return timedelta(minutes=float(config["REMINDER_LEASE_MINUTES"]))


def _reclaim_and_expire(db: Session, now: datetime, config, result: SendResult) -> None:
    cutoff = now - _lease(config)
    stuck = db.execute(
        select(Reminder.id, Reminder.key, Reminder.claimed_by, Reminder.claimed_at).where(
            Reminder.status == ReminderStatus.SENDING, Reminder.claimed_at < cutoff
        )
    ).all()
    for reminder_id, key, owner, claimed_at in stuck:
        # Only if its lease was not renewed meanwhile: a slow sender still holds it.
        taken = db.execute(
            update(Reminder)
            .where(
                Reminder.id == reminder_id,
                Reminder.status == ReminderStatus.SENDING,
                Reminder.claimed_by == owner,
                Reminder.claimed_at < cutoff,
            )
            .values(
                status=ReminderStatus.PLANNED,
                claimed_by=None,
                updated_at=now,
                last_error=f"reclaimed after {owner} stopped mid-send",
            )
        )
        # Session.execute() is typed to return a Result; an UPDATE's is a CursorResult.
        if cast(CursorResult, taken).rowcount == 1:
            log.warning("reclaiming reminder %s claimed by %s at %s", key, owner, claimed_at)
            result.reclaimed += 1
    expired = db.execute(
        update(Reminder)
        .where(Reminder.status == ReminderStatus.PLANNED, Reminder.expires_at <= now)
        .values(status=ReminderStatus.EXPIRED, updated_at=now)
    )
    result.expired += cast(CursorResult, expired).rowcount or 0
    for reminder_id, reason in timeliness.supersede_overdue_rounds(db, now):
        superseded = db.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id, Reminder.status == ReminderStatus.PLANNED)
            .values(status=ReminderStatus.EXPIRED, last_error=reason, updated_at=now)
        )
        result.expired += cast(CursorResult, superseded).rowcount


def claim_due(
    db: Session, now: datetime, owner: str, limit: int = 1, leased_at: datetime | None = None
) -> list[int]:
    """Lease rows due at `now` to `owner` from `leased_at` (default `now`); a row another sender
    took first is skipped, never shared. The caller commits the claim before sending."""
    query = (
        select(Reminder.id)
        .where(
            Reminder.status == ReminderStatus.PLANNED,
            Reminder.due_at <= now,
            (Reminder.next_attempt_at.is_(None)) | (Reminder.next_attempt_at <= now),
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return _claim(db, db.scalars(query).all(), now, owner, leased_at or now)


def _claim(db: Session, reminder_ids, now: datetime, owner: str, leased_at: datetime) -> list[int]:
    """Lease each of these rows that is still planned; the ones taken."""
    claimed = []
    for reminder_id in reminder_ids:
        taken = db.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id, Reminder.status == ReminderStatus.PLANNED)
            .values(
                status=ReminderStatus.SENDING,
                claimed_at=leased_at,
                claimed_by=owner,
                attempts=Reminder.attempts + 1,
                updated_at=now,
            )
        )
        if cast(CursorResult, taken).rowcount == 1:
            claimed.append(reminder_id)
    return claimed


def _if_still_ours(db: Session, reminder_id: int, owner: str, **values) -> bool:
    """Write to a claimed row only while the claim is this owner's; True if it was."""
    written = db.execute(
        update(Reminder)
        .where(
            Reminder.id == reminder_id,
            Reminder.status == ReminderStatus.SENDING,
            Reminder.claimed_by == owner,
        )
        .values(**values)
    )
    return cast(CursorResult, written).rowcount == 1


def deliver(
    db: Session,
    reminder_id: int,
    owner: str,
    clock: RunClock,
    senders,
    program,
    config,
    result: SendResult,
) -> None:
    """Send one claimed reminder and record the outcome, if the claim is still ours."""
    from p4p.modules.reminders.messages import render

    reminder = db.get_one(Reminder, reminder_id, populate_existing=True)
    now = clock()  # wording and purpose are judged at this very moment

    def finish(line: str, **values) -> bool:
        ours = _if_still_ours(db, reminder_id, owner, updated_at=clock(), **values)
        db.commit()  # the outcome of this one message
        if ours:
            result.lines.append(line)
            return True
        result.lost += 1
        result.lines.append(f"lost claim on {reminder.key}")
        log.warning("claim on reminder %s was taken back from %s", reminder.key, owner)
        return False

    reason = timeliness.why_expired(db, reminder, now)
    if reason:
        if finish(
            f"expired {reminder.key}: {reason}", status=ReminderStatus.EXPIRED, last_error=reason
        ):
            result.expired += 1
        return
    reason = eligibility.why_not(db, reminder, now)
    if reason:
        if finish(
            f"cancelled {reminder.key}: {reason}",
            status=ReminderStatus.CANCELLED,
            last_error=reason,
        ):
            result.cancelled += 1
        return
    try:
        message = render(db, reminder, program, now)
        # Renewed just before sending: the lease then only has to outlast one message.
        renewed = _if_still_ours(db, reminder_id, owner, claimed_at=clock())
        db.commit()  # the renewed lease is durable before the message goes
        if not renewed:
            result.lost += 1
            result.lines.append(f"lost claim on {reminder.key}")
            log.warning("claim on reminder %s was taken back before sending", reminder.key)
            return
        provider_id = senders[reminder.channel].send(message)
    except SendError as error:
        if reminder.attempts >= int(config["REMINDER_MAX_ATTEMPTS"]):
            if finish(
                f"failed {reminder.key}: {error}",
                status=ReminderStatus.FAILED,
                last_error=str(error)[:2000],
            ):
                result.failed += 1
            return
        wait = BACKOFF_MINUTES[min(reminder.attempts - 1, len(BACKOFF_MINUTES) - 1)]
        if finish(
            f"retry {reminder.key} in {wait} min: {error}",
            status=ReminderStatus.PLANNED,
            next_attempt_at=clock.start + timedelta(minutes=wait),  # from the run's moment
            last_error=str(error)[:2000],
        ):
            result.retried += 1
        return
    if finish(
        f"sent {reminder.key}",
        status=ReminderStatus.SENT,
        sent_at=clock(),
        provider_id=provider_id,
        last_error=None,
    ):
        result.sent += 1
    else:  # it went, but a reclaimer may send it again: the one message in flight
        result.sent += 1


def send_due(db: Session, program, now: datetime, senders, worker: str, config=None) -> SendResult:
    """Send every reminder due at `now`, one claim at a time."""
    config = config or current_app.config
    clock, owner = RunClock(now), owner_token(worker)
    result = SendResult()
    _reclaim_and_expire(db, now, config, result)
    db.commit()
    while True:
        # Leased on the run's moving clock, so a lease ages while a slow run goes on.
        claimed = claim_due(db, now, owner, leased_at=clock())
        db.commit()  # the claim is durable before anything is sent
        if not claimed:
            return result
        for reminder_id in claimed:
            deliver(db, reminder_id, owner, clock, senders, program, config, result)


def send_these(
    db: Session, reminder_ids: list[int], now: datetime, senders, worker: str, config, program
) -> SendResult:
    """Send these rows now, each one that is still planned (a request's own account links and
    meeting-change notices, right after its response): the same claim and record as send_due,
    so a scheduler sending at the same moment never sends one twice, and what fails waits for
    its retry there."""
    clock, owner = RunClock(now), owner_token(worker)
    result = SendResult()
    for reminder_id in _claim(db, reminder_ids, now, owner, clock()):
        deliver(db, reminder_id, owner, clock, senders, program, config, result)
    return result
