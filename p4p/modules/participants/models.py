"""A participant's enrolment and their progress through the weeks of their arm."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from p4p.db import Base
from p4p.modules.auth.models import User
from p4p.modules.sites.models import Cohort


class Participant(Base):
    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    study_id: Mapped[str] = mapped_column(String(40), unique=True)  # the trial's record ID
    # The arm is the randomisation result; the cohort must be of the same arm.
    arm: Mapped[str] = mapped_column(String(40))
    # active_history: a move's old cohort is known at flush even when it was never loaded, so
    # the reminder planner hears of both groups (reminders.replanning).
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True, active_history=True)
    enrolled_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    cohort: Mapped[Cohort] = relationship()

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class WeekProgress(Base):
    """A week the participant marked done (a row exists only while it is marked)."""

    __tablename__ = "week_progress"
    __table_args__ = (UniqueConstraint("participant_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    week: Mapped[int]
    completed_at: Mapped[datetime]

    participant: Mapped[Participant] = relationship()
