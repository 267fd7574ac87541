"""Claim, send, record: each reminder once, however slow a sender is and however many run.

A claim is a lease on a row: `status='sending'`, `claimed_by` = this run's owner token and
`claimed_at` = when the lease was last renewed. A sender claims a batch of due rows
(REMINDER_SEND_BATCH) in one statement, an `UPDATE ... WHERE id IN (the first due rows, chosen
once in a materialized WITH) AND status='planned' RETURNING id`, whose SELECT takes `FOR UPDATE
SKIP LOCKED` on PostgreSQL, so several senders on one or more hosts take disjoint batches; on
SQLite the one statement is atomic by itself. It commits the claim, then loads what the batch's
checks and words need in a fixed number of queries (p4p.modules.reminders.facts), judges and
renders each row again from those facts at the moment it goes, sends it, and records the
outcome with one UPDATE that only matches while the row is still `sending` under its own
token, committed right after the send. So a message costs about one query and one commit; the
batch's few more are shared among its rows. The facts are read when the batch starts: a STOP,
an opt-out or a withdrawal that lands while a batch is going (a few seconds for 50 messages)
holds from the next batch on, where it used to hold from the next message.

Leases. A lease older than REMINDER_LEASE_MINUTES is taken back by the next sender. Before
each message, once the batch's lease is older than a quarter of that, the sender renews every
claim the batch still has in one `UPDATE ... RETURNING id`, and sends only the rows that came
back as still its own: a row another sender took back meanwhile is never sent by this one (it
counts as lost). Each message therefore starts with at least three quarters of a lease to go.
A sender stalled longer than that (paused, or one message slower than the rest of the lease)
loses the rest of its batch to the sender that takes the rows back, which sends each of them
once; only the message it had in flight may go twice, as a sender killed mid-send repeats at
most that one message: its lease runs out, and the next sender reclaims the row and, not
knowing whether it went, sends it. A crash between messages repeats nothing and loses nothing.

Leases are timed on `now` plus the time this run has taken, so a run with a fixed `--now`
still ages its claims as it goes.

This is the scheduler's worker, so it owns its transactions; the helpers below only write.
Units of work: send_due commits the sweep (reclaims and expiries) and then each batch's claim,
before anything is sent; deliver commits each renewal of the batch's leases before the next
message goes and each message's outcome right after it.
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
from p4p.modules.reminders import eligibility, facts, timeliness
from p4p.modules.reminders.models import Reminder, ReminderStatus

log = logging.getLogger("p4p.reminders")
BACKOFF_MINUTES = (5, 15, 45, 120, 360)
# The sender's UPDATEs name their rows by id; the ORM need not look for them among the objects in
# the session (matching each UPDATE against a batch's objects cost a tenth of the sending).
UNSYNCHRONIZED = {"synchronize_session": False}


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
    """Lease up to `limit` rows due at `now` to `owner` from `leased_at` (default `now`), in one
    statement; a row another sender took first is skipped, never shared. The caller commits the
    claim before sending."""
    due = (
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
        due = due.with_for_update(skip_locked=True)
    # Chosen once, in a materialized WITH: as a bare subquery of IN, PostgreSQL may run it again
    # for rows it has just updated, each run skipping the rows the last one locked, and claim
    # more than `limit`.
    chosen = due.cte("due").prefix_with("MATERIALIZED")
    return _claim(db, select(chosen.c.id), now, owner, leased_at or now)


def _claim(db: Session, reminder_ids, now: datetime, owner: str, leased_at: datetime) -> list[int]:
    """Lease each of these rows (ids, or a SELECT of them) that is still planned, in one
    statement; the ones taken."""
    claimed = db.scalars(
        update(Reminder)
        .where(Reminder.id.in_(reminder_ids), Reminder.status == ReminderStatus.PLANNED)
        .values(
            status=ReminderStatus.SENDING,
            claimed_at=leased_at,
            claimed_by=owner,
            attempts=Reminder.attempts + 1,
            updated_at=now,
        )
        .returning(Reminder.id),
        execution_options=UNSYNCHRONIZED,
    )
    return list(claimed)


def _renew(db: Session, reminder_ids: list[int], owner: str, at: datetime) -> set[int]:
    """Renew this owner's leases on these rows, in one statement; the ids still ours."""
    renewed = db.scalars(
        update(Reminder)
        .where(
            Reminder.id.in_(reminder_ids),
            Reminder.status == ReminderStatus.SENDING,
            Reminder.claimed_by == owner,
        )
        .values(claimed_at=at)
        .returning(Reminder.id),
        execution_options=UNSYNCHRONIZED,
    )
    return set(renewed)


def _if_still_ours(db: Session, reminder_id: int, owner: str, **values) -> bool:
    """Write to a claimed row only while the claim is this owner's; True if it was."""
    written = db.execute(
        update(Reminder)
        .where(
            Reminder.id == reminder_id,
            Reminder.status == ReminderStatus.SENDING,
            Reminder.claimed_by == owner,
        )
        .values(**values),
        execution_options=UNSYNCHRONIZED,  # deliver() expires the batch's objects at its end
    )
    return cast(CursorResult, written).rowcount == 1


def _lost(reminder: Reminder, owner: str, result: SendResult, when: str) -> None:
    result.lost += 1
    result.lines.append(f"lost claim on {reminder.key}")
    log.warning("claim on reminder %s was taken back from %s %s", reminder.key, owner, when)


def deliver(
    db: Session,
    reminder_ids: list[int],
    owner: str,
    clock: RunClock,
    senders,
    program,
    config,
    result: SendResult,
    leased_at: datetime | None = None,
) -> None:
    """Send a batch of claimed reminders and record each outcome while the claim is still ours.
    `leased_at` is when the claims were made (None: not known, so they are renewed first)."""
    batch = facts.for_ids(db, reminder_ids)
    renew_after = _lease(config) / 4
    ours = {reminder.id for reminder in batch.reminders}
    for index, reminder in enumerate(batch.reminders):
        if leased_at is None or clock() - leased_at > renew_after:
            leased_at = clock()
            waiting = [r for r in batch.reminders[index:] if r.id in ours]
            ours = _renew(db, [r.id for r in waiting], owner, leased_at)
            db.commit()  # the renewed leases are durable before the next message goes
            for taken in (r for r in waiting if r.id not in ours):
                _lost(taken, owner, result, "before sending")
        if reminder.id in ours:
            _deliver_one(db, batch, reminder, owner, clock, senders, program, config, result)
    for reminder in batch.reminders:  # the session reads what was recorded, should it look
        db.expire(reminder)


def _deliver_one(
    db: Session,
    batch: facts.Facts,
    reminder: Reminder,
    owner: str,
    clock: RunClock,
    senders,
    program,
    config,
    result: SendResult,
) -> None:
    from p4p.modules.reminders.messages import render

    now = clock()  # wording and purpose are judged at this very moment

    def finish(line: str, **values) -> bool:
        ours = _if_still_ours(db, reminder.id, owner, updated_at=clock(), **values)
        db.commit()  # the outcome of this one message
        if ours:
            result.lines.append(line)
            return True
        _lost(reminder, owner, result, "before its outcome was recorded")
        return False

    reason = timeliness.why_expired(batch, reminder, now)
    if reason:
        if finish(
            f"expired {reminder.key}: {reason}", status=ReminderStatus.EXPIRED, last_error=reason
        ):
            result.expired += 1
        return
    reason = eligibility.why_not(db, batch, reminder, now)
    if reason:
        if finish(
            f"cancelled {reminder.key}: {reason}",
            status=ReminderStatus.CANCELLED,
            last_error=reason,
        ):
            result.cancelled += 1
        return
    try:
        message = render(db, reminder, program, now, batch)
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
    sent_at = clock()
    batch.note_went(reminder, sent_at)
    finish(
        f"sent {reminder.key}",
        status=ReminderStatus.SENT,
        sent_at=sent_at,
        provider_id=provider_id,
        last_error=None,
    )
    result.sent += 1  # even with the claim lost: it went (a reclaimer may send it again)


def send_due(db: Session, program, now: datetime, senders, worker: str, config=None) -> SendResult:
    """Send every reminder due at `now`, a batch of claims at a time."""
    config = config or current_app.config
    clock, owner = RunClock(now), owner_token(worker)
    result = SendResult()
    _reclaim_and_expire(db, now, config, result)
    db.commit()
    size = int(config["REMINDER_SEND_BATCH"])
    while True:
        # Leased on the run's moving clock, so a lease ages while a slow run goes on.
        leased_at = clock()
        claimed = claim_due(db, now, owner, limit=size, leased_at=leased_at)
        db.commit()  # the claims are durable before anything is sent
        if not claimed:
            return result
        deliver(db, claimed, owner, clock, senders, program, config, result, leased_at)


def send_these(
    db: Session, reminder_ids: list[int], now: datetime, senders, worker: str, config, program
) -> SendResult:
    """Send these rows now, each one that is still planned (a request's own account links and
    meeting-change notices, right after its response): the same claim, batch and record as
    send_due, so a scheduler sending at the same moment never sends one twice, and what fails
    waits for its retry there."""
    clock, owner = RunClock(now), owner_token(worker)
    result = SendResult()
    size = int(config["REMINDER_SEND_BATCH"])
    for start in range(0, len(reminder_ids), size):
        leased_at = clock()
        claimed = _claim(db, reminder_ids[start : start + size], now, owner, leased_at)
        db.commit()  # the claims are durable before anything is sent
        if claimed:
            deliver(db, claimed, owner, clock, senders, program, config, result, leased_at)
    return result
