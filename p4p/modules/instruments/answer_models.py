"""A participant's answers to a questionnaire, in the database (the questionnaire itself is a file).

One response per participant, instrument and occasion ("week-3", "month-2", "enrolment"); it
is started at the first saved answer and closed for good when submitted, with its scores
computed then from the instrument file of that moment.
"""

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from p4p.db import Base
from p4p.modules.participants.models import Participant


class InstrumentResponse(Base):
    __tablename__ = "instrument_response"
    __table_args__ = (UniqueConstraint("participant_id", "instrument", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    instrument: Mapped[str] = mapped_column(String(40))  # the instrument file's key
    occasion: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    # score name -> value (None: too few answers for it); set at submit
    scores: Mapped[dict | None] = mapped_column(JSON)

    participant: Mapped[Participant] = relationship()
    answers: Mapped[list["InstrumentAnswer"]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="InstrumentAnswer.id"
    )

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class InstrumentAnswer(Base):
    """One item's answer: a number (choice code, 0-10, yes 1 / no 0, number) or a text."""

    __tablename__ = "instrument_answer"
    __table_args__ = (UniqueConstraint("response_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("instrument_response.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String(26))  # the item's name (a REDCap variable name)
    number: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(String(2000))
    answered_at: Mapped[datetime]

    response: Mapped[InstrumentResponse] = relationship(back_populates="answers")
