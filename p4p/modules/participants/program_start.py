"""A participant's own program start: the day their program began, for them.

Someone enrolled late into a cohort starts at the first meeting they could attend (the first
meeting not cancelled that starts at or after their enrolment), not at the cohort's first
meeting; someone enrolled after the cohort's last meeting starts on their enrolment day.
Follow-up surveys count from it, and reports can use the same function.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Meeting, MeetingStatus


def _local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def program_starts(
    db: Session, participants: list[Participant], among: Select | None = None
) -> dict[int, date]:
    """Each participant's own start, as a local date at their site, in one query for them all.

    `among`, a SELECT of exactly these participants' ids, stands in for the list of their ids in
    that query: a list takes one bind parameter per person, more than a database accepts once a
    study is large (PostgreSQL takes 65,535 in one statement)."""
    ids = among if among is not None else [p.id for p in participants]
    first_meetings = (
        dict(
            db.execute(
                select(Participant.id, func.min(Meeting.starts_at))
                .join(Meeting, Meeting.cohort_id == Participant.cohort_id)
                .where(
                    Participant.id.in_(ids),
                    Meeting.status != MeetingStatus.CANCELLED,
                    Meeting.starts_at >= Participant.enrolled_at,
                )
                .group_by(Participant.id)
            ).all()
        )
        if participants
        else {}
    )
    return {
        p.id: _local_day(first_meetings.get(p.id) or p.enrolled_at, p.cohort.site.timezone)
        for p in participants
    }


def program_start(db: Session, participant: Participant) -> date:
    return program_starts(db, [participant])[participant.id]


def program_start_of(meetings, enrolled_at: datetime, timezone: str) -> date:
    """The same start from meetings already loaded (anything with .starts_at and .status)."""
    first = min(
        (
            m.starts_at
            for m in meetings
            if m.status != MeetingStatus.CANCELLED and m.starts_at >= enrolled_at
        ),
        default=None,
    )
    return _local_day(first or enrolled_at, timezone)
