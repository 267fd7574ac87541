"""When a meeting may carry attendance and a delivery record, and for whom.

Dose is what a trial measures, so it cannot be recorded ahead: a meeting takes marks, make-ups
and a "held" record only once its start has passed (the site's local start, which is the
same instant as the stored UTC one) and while it is not cancelled. A meeting that started
before a participant's enrolment is "not yet enrolled" for them: it is not on their sheet, not
in their denominator and takes no mark of theirs. The services check these rules, so the web,
the command line and the scheduler share them; the reports apply the same tests in SQL
(`countable_mark`) so that old rows written before the rules are never counted.
"""

from datetime import datetime

from flask_babel import format_date, format_time
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_

from p4p.local_time import local_datetime
from p4p.modules.sites.models import Meeting, MeetingStatus
from p4p.problems import Problems


def closed_reason(meeting: Meeting, now: datetime):
    """Why this meeting takes no attendance or held record now (a translated message), or None."""
    if meeting.status == MeetingStatus.CANCELLED:
        return _l("This meeting was cancelled, so it has no attendance.")
    if meeting.starts_at > now:
        local = local_datetime(meeting.starts_at, meeting.cohort.site.timezone)
        return _l(
            "This meeting has not started yet — attendance opens at %(time)s on %(day)s.",
            time=format_time(local, "short", rebase=False),
            day=format_date(local.date(), "full"),
        )
    return None


def require_open(meeting: Meeting, now: datetime, field: str = "meeting") -> None:
    """Refuse (Problems, nothing written) a record for a meeting that is closed now."""
    reason = closed_reason(meeting, now)
    if reason is not None:
        raise Problems({field: reason})


def not_yet_enrolled(enrolled_at: datetime, meeting: Meeting) -> bool:
    """The meeting started before the person enrolled: it is not theirs to attend."""
    return meeting.starts_at < enrolled_at


def countable_mark(now: datetime, meeting=Meeting, participant=None):
    """SQL: a mark the reports count (its meeting started, is not cancelled and, given the
    participant entity, did not start before their enrolment). Needs `meeting` in the query."""
    conditions = [meeting.status != MeetingStatus.CANCELLED, meeting.starts_at <= now]
    if participant is not None:
        conditions.append(meeting.starts_at >= participant.enrolled_at)
    return and_(*conditions)
