"""The second look at send time: a reminder planned earlier may no longer be wanted."""

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from p4p.modules.auth import links
from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.participants.models import Participant
from p4p.modules.practice.models import PracticeLog
from p4p.modules.reminders.models import (
    ACCOUNT_LINK_KINDS,
    MEETING_CANCELLED,
    MEETING_MODE,
    Reminder,
    ReminderKind,
    ReminderPreference,
    SurveyCompletion,
    opt_out_kind,
)
from p4p.modules.reminders.timeliness import MEETING_KINDS, is_for_meeting_time
from p4p.modules.sites.models import Meeting


def _meeting_still_there(db: Session, reminder: Reminder) -> str | None:
    meeting = db.get(Meeting, reminder.payload.get("meeting_id"))
    if reminder.kind == MEETING_CANCELLED:  # the one notice about a meeting that is off
        return None if meeting is not None and meeting.status == "cancelled" else "not cancelled"
    if meeting is None or meeting.status == "cancelled":
        return "meeting cancelled"
    if not is_for_meeting_time(reminder, meeting):
        return "meeting moved"
    if reminder.kind == MEETING_MODE and meeting.mode != reminder.payload.get("mode"):
        return "mode changed again"  # the later switch's own notice tells it
    return None


def why_not(db: Session, reminder: Reminder, now: datetime) -> str | None:
    """None when the reminder should go now; otherwise the reason it should not."""
    if reminder.kind in ACCOUNT_LINK_KINDS:  # no preference or quiet hours holds these back
        return links.why_not(db, reminder)
    user = reminder.user
    if not user.active:
        return "account inactive"
    if reminder.kind in MEETING_KINDS or reminder.kind == MEETING_CANCELLED:
        reason = _meeting_still_there(db, reminder)
        if reason:
            return reason
    preference = db.get(ReminderPreference, user.id)
    if preference is not None and opt_out_kind(reminder.kind) in (preference.kinds_off or []):
        return "opted out of this kind"
    if reminder.kind == ReminderKind.DIGEST:
        return None
    participant = db.get(Participant, reminder.payload.get("participant_id"))
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
        practiced = db.scalar(
            select(PracticeLog.id)
            .where(
                PracticeLog.participant_id == participant.id,
                PracticeLog.practiced_on >= since,
                PracticeLog.practiced_on < until,
            )
            .limit(1)
        )
        if practiced:
            return "practice logged since planning"
    if (
        reminder.kind == ReminderKind.SURVEY
        and db.get(SurveyCompletion, (participant.id, reminder.payload["months"])) is not None
    ):
        return "survey done"
    if reminder.kind == ReminderKind.QUESTIONNAIRE and _questionnaire_sent(
        db, participant, reminder
    ):
        return "questionnaire sent since planning"
    return None


def _questionnaire_sent(db: Session, participant: Participant, reminder: Reminder) -> bool:
    """The participant sent this questionnaire's answers for this occasion (a started, unsent
    one still gets its reminder)."""
    return (
        db.scalar(
            select(InstrumentResponse.id).where(
                InstrumentResponse.participant_id == participant.id,
                InstrumentResponse.instrument == reminder.payload["instrument"],
                InstrumentResponse.occasion == reminder.payload["occasion"],
                InstrumentResponse.submitted_at.is_not(None),
            )
        )
        is not None
    )
