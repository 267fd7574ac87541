"""The outbox (one row per reminder, with a unique key) and each participant's preferences."""

from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from p4p.db import Base, stored_enum
from p4p.modules.auth.models import User


class ReminderStatus(StrEnum):
    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class ReminderKind(StrEnum):
    MEETING_EVE = "meeting-eve"
    MEETING_SOON = "meeting-soon"
    WEEK_OPEN = "week-open"
    PRACTICE = "practice"
    SURVEY = "survey"
    QUESTIONNAIRE = "questionnaire"  # a questionnaire of the app (instruments) is open to answer
    DIGEST = "digest"


# Notices of a change to a meeting, sent at once (p4p.modules.reminders.changes): it moved, it is
# cancelled, or it is now by video (or back in person). Not ReminderKinds: nobody chooses them on
# their own (the preferences list every ReminderKind); they follow the eve reminder's choice, the
# one a person makes about hearing of their meetings, so its stop link stays true.
MEETING_MOVED = "meeting-moved"
MEETING_CANCELLED = "meeting-cancelled"
MEETING_MODE = "meeting-mode"
CHANGE_NOTICE_KINDS = frozenset({MEETING_MOVED, MEETING_CANCELLED, MEETING_MODE})


# Invite and reset links (p4p.modules.auth.links) go through the same outbox, with the same
# claim, send and retry. Not ReminderKinds either: nobody opts out of them, and neither quiet
# hours nor preferences hold them back (a person who asked for a reset wants it now).
INVITE_LINK = "invite-link"
RESET_LINK = "reset-link"
# A code (by text) or link (by email) confirming a person's new phone or email
# (p4p.modules.auth.contact): sent to the new address, not to the account's current one.
CONTACT_CODE = "contact-code"
CONTACT_LINK = "contact-link"
ACCOUNT_LINK_KINDS = frozenset({INVITE_LINK, RESET_LINK, CONTACT_CODE, CONTACT_LINK})


def opt_out_kind(kind: str) -> str:
    """The kind a person switches off to stop this one: a meeting's change notice follows the
    eve reminder's choice (and its stop link switches the eve reminder off)."""
    return ReminderKind.MEETING_EVE if kind in CHANGE_NOTICE_KINDS else kind


# What a participant may switch off on the preferences page (digests go to staff).
PARTICIPANT_KINDS = (
    ReminderKind.MEETING_EVE,
    ReminderKind.MEETING_SOON,
    ReminderKind.WEEK_OPEN,
    ReminderKind.PRACTICE,
    ReminderKind.SURVEY,
    ReminderKind.QUESTIONNAIRE,
)


class Reminder(Base):
    """A planned message. The key makes planning idempotent; the status makes sending at most once."""

    __tablename__ = "reminder"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'sms')", name="channel"),
        Index("ix_reminder_due", "status", "due_at"),
        # The planner re-plans a few cohorts at a time and looks up only their planned rows.
        Index("ix_reminder_cohort_status", "cohort_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(8))
    # The cohort whose planning made it (None for what a request queued: account links, notices).
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="SET NULL"))
    payload: Mapped[dict] = mapped_column(JSON)
    due_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(
        stored_enum(ReminderStatus, "status", 12), default=ReminderStatus.PLANNED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    sent_at: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class ReminderPreference(Base):
    """A participant's channels, quiet hours and switched-off kinds (no row means the defaults)."""

    __tablename__ = "reminder_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    email_on: Mapped[bool] = mapped_column(default=True)
    sms_on: Mapped[bool] = mapped_column(default=True)
    quiet_start: Mapped[time | None]
    quiet_end: Mapped[time | None]
    kinds_off: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]


class SurveyCompletion(Base):
    """Staff mark a follow-up survey done, which stops its reminders."""

    __tablename__ = "survey_completion"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    months: Mapped[int] = mapped_column(primary_key=True)
    done_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ReminderPlanState(Base):
    """When the planner last planned a cohort's reminders, and when that cohort's turn comes again.

    No row: never planned (a new cohort), so its turn is now."""

    __tablename__ = "reminder_plan_state"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True
    )
    planned_at: Mapped[datetime]
    replan_at: Mapped[datetime] = mapped_column(index=True)


class ReplanRequest(Base):
    """A change that may alter a cohort's reminders, queued in the transaction that made it
    (reminders.replanning) and taken by the next planning tick."""

    __tablename__ = "reminder_replan_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
