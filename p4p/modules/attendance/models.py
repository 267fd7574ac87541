"""One participant at one meeting."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from p4p.db import Base, stored_enum
from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Meeting, MeetingMode


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    EXCUSED = "excused"
    ABSENT = "absent"


# Statuses that count as having received the session (the dose).
ATTENDED = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY})


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(stored_enum(AttendanceStatus, "status", 12))
    mode: Mapped[str] = mapped_column(
        stored_enum(MeetingMode, "mode", 12), default=MeetingMode.IN_PERSON
    )
    note: Mapped[str | None] = mapped_column(String(500))
    made_up_on: Mapped[date | None]
    made_up_how: Mapped[str | None] = mapped_column(String(20))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]
    # Optimistic locking: a save names the version it read; a stale one is refused.
    version: Mapped[int] = mapped_column(default=1)

    meeting: Mapped[Meeting] = relationship()
    participant: Mapped[Participant] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class CallOutcome(StrEnum):
    REACHED = "reached"
    LEFT_MESSAGE = "left_message"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    OTHER = "other"


class FollowUpCall(Base):
    """A facilitator's call to someone on the follow-up list: when, how it went, a short note."""

    __tablename__ = "follow_up_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    called_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(stored_enum(CallOutcome, "outcome", 16))
    note: Mapped[str | None] = mapped_column(String(300))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]

    recorded_by: Mapped[User | None] = relationship()


class FollowUpDismissal(Base):
    """Someone taken off the follow-up list "until something new happens" (one row per person,
    replaced by the next dismissal). `reasons` keeps the list's reasons at that moment, so a
    reason that was not among them counts as new."""

    __tablename__ = "follow_up_dismissal"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), unique=True
    )
    dismissed_at: Mapped[datetime]
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reasons: Mapped[str] = mapped_column(String(80))  # comma-separated keys of REASONS
