"""The second look at send time: a reminder planned earlier may no longer be wanted."""

from datetime import date, datetime

from sqlalchemy.orm import Session

from p4p.modules.auth import links
from p4p.modules.reminders.facts import Facts
from p4p.modules.reminders.models import (
    ACCOUNT_LINK_KINDS,
    MEETING_CANCELLED,
    MEETING_MODE,
    Reminder,
    ReminderKind,
    opt_out_kind,
)
from p4p.modules.reminders.timeliness import MEETING_KINDS, is_for_meeting_time


def _meeting_still_there(facts: Facts, reminder: Reminder) -> str | None:
    meeting = facts.meeting(reminder)
    if reminder.kind == MEETING_CANCELLED:  # the one notice about a meeting that is off
        return None if meeting is not None and meeting.status == "cancelled" else "not cancelled"
    if meeting is None or meeting.status == "cancelled":
        return "meeting cancelled"
    if not is_for_meeting_time(reminder, meeting):
        return "meeting moved"
    if reminder.kind == MEETING_MODE and meeting.mode != reminder.payload.get("mode"):
        return "mode changed again"  # the later switch's own notice tells it
    return None


def why_not(db: Session, facts: Facts, reminder: Reminder, now: datetime) -> str | None:
    """None when the reminder should go now; otherwise the reason it should not. Read from the
    batch's facts; an account link looks up its own token or contact change in `db`."""
    if reminder.kind in ACCOUNT_LINK_KINDS:  # no preference or quiet hours holds these back
        return links.why_not(db, reminder)
    user = reminder.user
    if not user.active:
        return "account inactive"
    if reminder.kind in MEETING_KINDS or reminder.kind == MEETING_CANCELLED:
        reason = _meeting_still_there(facts, reminder)
        if reason:
            return reason
    preference = facts.preference(user.id)
    if preference is not None and opt_out_kind(reminder.kind) in (preference.kinds_off or []):
        return "opted out of this kind"
    if reminder.kind == ReminderKind.DIGEST:
        return None
    participant = facts.participant(reminder)
    if participant is None or participant.withdrawn_at is not None:
        return "withdrawn"
    if preference is not None and not (
        preference.email_on if reminder.channel == "email" else preference.sms_on
    ):
        return f"{reminder.channel} switched off"
    if not (user.email if reminder.channel == "email" else user.phone):
        return f"no {reminder.channel} contact"
    if reminder.kind == ReminderKind.PRACTICE:
        since, until = (date.fromisoformat(reminder.payload[k]) for k in ("since", "until"))
        if facts.practiced(participant.id, since, until):
            return "practice logged since planning"
    if (
        reminder.kind == ReminderKind.SURVEY
        and (participant.id, reminder.payload["months"]) in facts.surveys_done
    ):
        return "survey done"
    if (
        reminder.kind == ReminderKind.QUESTIONNAIRE
        # a started, unsent questionnaire still gets its reminder
        and (participant.id, reminder.payload["instrument"], reminder.payload["occasion"])
        in facts.questionnaires_sent
    ):
        return "questionnaire sent since planning"
    return None
