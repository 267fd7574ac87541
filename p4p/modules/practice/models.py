"""Home practice entries, weekly action plans and the weekly self-check."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from p4p.db import Base
from p4p.modules.participants.models import Participant


class PracticeLog(Base):
    __tablename__ = "practice_log"
    __table_args__ = (
        CheckConstraint("minutes BETWEEN 1 AND 240", name="minutes"),
        CheckConstraint("pain_before IS NULL OR pain_before BETWEEN 0 AND 10", name="pain_before"),
        CheckConstraint("pain_after IS NULL OR pain_after BETWEEN 0 AND 10", name="pain_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    participant: Mapped[Participant] = relationship()
    practiced_on: Mapped[date]
    practice_type: Mapped[str] = mapped_column(String(60))  # a key from the week's front matter
    minutes: Mapped[int]
    guided: Mapped[bool]
    pain_before: Mapped[int | None]
    pain_after: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ActionPlan(Base):
    __tablename__ = "action_plan"
    __table_args__ = (
        UniqueConstraint("participant_id", "week"),
        CheckConstraint("confidence BETWEEN 0 AND 10", name="confidence"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('done', 'partly', 'not_done')", name="outcome"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    participant: Mapped[Participant] = relationship()
    week: Mapped[int]
    what: Mapped[str] = mapped_column(String(200))
    how_much: Mapped[str] = mapped_column(String(100))
    when: Mapped[str] = mapped_column(String(100))
    how_often: Mapped[str] = mapped_column(String(100))
    confidence: Mapped[int]
    outcome: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SelfCheck(Base):
    """Three 0-10 ratings of the past week (a PEG-style check); the facilitators of the
    participant's site see them (the participant is told so on the check-in page)."""

    __tablename__ = "self_check"
    __table_args__ = (
        UniqueConstraint("participant_id", "week"),
        CheckConstraint("pain BETWEEN 0 AND 10", name="pain"),
        CheckConstraint("enjoyment BETWEEN 0 AND 10", name="enjoyment"),
        CheckConstraint("activity BETWEEN 0 AND 10", name="activity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    participant: Mapped[Participant] = relationship()
    week: Mapped[int]
    pain: Mapped[int]
    enjoyment: Mapped[int]  # how much pain got in the way of enjoying life
    activity: Mapped[int]  # how much pain got in the way of general activity
    created_at: Mapped[datetime]

    @property
    def score(self) -> float:
        return round((self.pain + self.enjoyment + self.activity) / 3, 1)
