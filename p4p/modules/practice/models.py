"""Home practice entries and weekly action plans (the weekly check-in is the PEG questionnaire:
p4p/modules/instruments)."""

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
