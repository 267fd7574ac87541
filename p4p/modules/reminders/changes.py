"""Notices of a change to a meeting, queued by the change itself and sent once it is committed.

A moved or cancelled meeting, or one now held by video (or back in person), is news people need
before they set out, so the notice does not wait for the planner's tick: the request that makes
the change writes one outbox row per person and channel, in its own transaction, and they are
tried right after its response (after_response.send_after_response), with the outbox's usual
claim, second look and retries. Quiet hours hold a notice back, unless the meeting starts within
a day, when waiting for the morning could mean a wasted trip.

Each row's key names the change, so a notice is never sent twice: a move's key holds the new
start (the planner's short-notice move notice has the same key, so it adds nothing), a
cancellation happens once, and a switch of mode is named by its audit event.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.reminders import rules
from p4p.modules.reminders.after_response import send_after_response
from p4p.modules.reminders.models import (
    MEETING_CANCELLED,
    MEETING_MODE,
    MEETING_MOVED,
    Reminder,
    ReminderPreference,
    ReminderStatus,
)
from p4p.modules.reminders.queries import recipient_for
from p4p.modules.sites.models import Cohort, Meeting

# A meeting this close is told of at once, even in quiet hours.
URGENT = timedelta(hours=24)


def _target(kind: str, meeting: Meeting, event_id: int) -> str:
    base = rules.meeting_target(meeting.id, meeting.starts_at)
    if kind == MEETING_MODE:  # the mode can switch and switch back: each switch is news
        return base.replace("@", f"e{event_id}@", 1)
    return base


def notify_meeting_change(
    db: Session,
    meeting: Meeting,
    kind: str,
    event_id: int,
    now: datetime,
    old_starts_at: datetime | None = None,
) -> int:
    """Queue this change's notice for every active participant of the meeting's cohort, on
    their channels and in their language (rendered when sent); the number of rows queued."""
    from p4p.modules.reminders.service import default_quiet_hours  # service imports this module

    assert kind in (MEETING_MOVED, MEETING_CANCELLED, MEETING_MODE)
    if meeting.starts_at <= now:
        return 0  # a change to a meeting already under way is no use to anyone travelling
    participants = db.scalars(
        select(Participant)
        .join(User, User.id == Participant.user_id)
        .where(
            Participant.cohort_id == meeting.cohort_id,
            Participant.enrolled_at <= now,
            Participant.withdrawn_at.is_(None),
            User.active.is_(True),
        )
        .options(
            joinedload(Participant.user), joinedload(Participant.cohort).joinedload(Cohort.site)
        )
    ).all()
    preferences = {
        preference.user_id: preference
        for preference in db.scalars(
            select(ReminderPreference).where(
                ReminderPreference.user_id.in_([p.user_id for p in participants])
            )
        )
    }
    quiet = default_quiet_hours(current_app.config)
    payload = {
        "meeting_id": meeting.id,
        "week": meeting.week,
        "starts_at": meeting.starts_at.isoformat(),
        "mode": meeting.mode,
    }
    if old_starts_at is not None:
        payload["old_starts_at"] = old_starts_at.isoformat()
    target = _target(kind, meeting, event_id)
    planned: list[rules.Planned] = []
    for participant in participants:
        recipient = recipient_for(participant, preferences.get(participant.user_id), quiet)
        if meeting.starts_at - now <= URGENT:
            recipient = replace(recipient, quiet_start=None)
        planned += rules.for_channels(recipient, kind, target, now, meeting.starts_at, payload)
    taken = set(db.scalars(select(Reminder.key).where(Reminder.key.in_([p.key for p in planned]))))
    rows = [
        Reminder(
            key=item.key,
            user_id=item.user_id,
            kind=item.kind,
            channel=item.channel,
            payload=item.payload,
            due_at=item.due_at,
            expires_at=item.expires_at,
            status=ReminderStatus.PLANNED,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        for item in planned
        if item.key not in taken
    ]
    db.add_all(rows)
    db.flush()
    for row in rows:
        if row.due_at <= now:  # held by quiet hours: the scheduler's tick sends it when due
            send_after_response(row.id)
    return len(rows)
