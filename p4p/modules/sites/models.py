"""Community sites, the cohorts that meet there, and each cohort's dated meetings."""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from p4p.db import Base, stored_enum


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))  # an IANA name, e.g. America/Chicago
    address: Mapped[str | None] = mapped_column(String(255))

    cohorts: Mapped[list["Cohort"]] = relationship(back_populates="site")


class FacilitatorSite(Base):
    __tablename__ = "facilitator_site"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )


class Cohort(Base):
    __tablename__ = "cohort"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("duration_minutes BETWEEN 15 AND 480", name="duration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    arm: Mapped[str] = mapped_column(String(40))  # a key of the program definition
    name: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[date]
    weekday: Mapped[int]  # Monday = 0, as in Python
    local_start_time: Mapped[time]
    duration_minutes: Mapped[int] = mapped_column(default=90)
    location: Mapped[str | None] = mapped_column(String(255))
    video_link: Mapped[str | None] = mapped_column(String(500))

    site: Mapped[Site] = relationship(back_populates="cohorts")
    meetings: Mapped[list["Meeting"]] = relationship(
        back_populates="cohort", order_by="Meeting.week", cascade="all, delete-orphan"
    )


class MeetingMode(StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("cohort_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    week: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(index=True)  # UTC
    duration_minutes: Mapped[int] = mapped_column(default=90)
    mode: Mapped[str] = mapped_column(
        stored_enum(MeetingMode, "mode", 12), default=MeetingMode.IN_PERSON
    )
    status: Mapped[str] = mapped_column(
        stored_enum(MeetingStatus, "status", 12), default=MeetingStatus.SCHEDULED
    )
    location: Mapped[str | None] = mapped_column(String(255))  # overrides the cohort's
    # The program-fidelity record, kept when the facilitator marks the meeting held or cancelled.
    delivery_notes: Mapped[str | None] = mapped_column(Text)
    actual_minutes: Mapped[int | None]
    sections_covered: Mapped[list | None] = mapped_column(JSON)
    delivery_recorded_at: Mapped[datetime | None]
    delivery_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    cohort: Mapped[Cohort] = relationship(back_populates="meetings")
