"""What stops a change to a site, cohort or meeting, by form field.

The services raise these as Problems before writing anything; the views show each message at
its field. Rules that need the database (a taken name) or the schedule (a meeting's
neighbours) live here rather than in the forms.
"""

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import get_day_names
from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from p4p.modules.curriculum.models import SessionRhythm
from p4p.modules.sites.models import Cohort, Meeting, MeetingMode, MeetingStatus, Site

# Files in the zoneinfo folder that are not places: never a site's timezone.
NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


@cache
def timezone_names() -> frozenset[str]:
    """The IANA names zoneinfo knows here (path-like or made-up names are not among them)."""
    return frozenset(available_timezones()) - NOT_PLACES


@cache
def suggested_timezones() -> list[str]:
    """Region/City names (and UTC), offered as suggestions; older aliases are still accepted."""
    regions = ("Africa/", "America/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Pacific/")
    return ["UTC", *sorted(name for name in timezone_names() if name.startswith(regions))]


def local_label(moment: datetime, timezone: str) -> str:
    """A UTC moment as the site's wall-clock time, for audit events people read."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def site_problems(db: Session, name: str, timezone: str, site_id: int | None = None) -> dict:
    """A name another site has (any case), or a timezone zoneinfo does not know."""
    problems = {}
    if not name.strip():  # the service's own guard: forms strip, other callers may not
        problems["name"] = _l("Enter the site's name.")
    same_name = select(Site.id).where(func.lower(Site.name) == name.strip().lower())
    if site_id is not None:
        same_name = same_name.where(Site.id != site_id)
    if db.scalar(same_name) is not None:
        problems["name"] = _l("Another site already has this name.")
    if timezone not in timezone_names():
        problems["timezone"] = _l("Enter a timezone name from the list, like America/Chicago.")
    return problems


def cohort_name_problems(db: Session, name: str, cohort_id: int | None = None) -> dict:
    """Cohort names are unique in the study, because roster files name the cohort."""
    if not name.strip():
        return {"name": _l("Enter a name for the cohort.")}
    taken = select(Cohort.id).where(func.lower(Cohort.name) == name.strip().lower())
    if cohort_id is not None:
        taken = taken.where(Cohort.id != cohort_id)
    if db.scalar(taken) is not None:
        return {"name": _l("Another cohort already has this name.")}
    return {}


def cohort_weekday_problems(rhythm: SessionRhythm, weekday: int) -> dict:
    """A cohort of an arm that meets on named weekdays starts on one of them (its first meeting
    is on the chosen weekday, and the rest follow the arm's days)."""
    if not rhythm.weekdays or weekday in rhythm.weekdays:
        return {}
    names = get_day_names("wide", locale=str(get_locale() or "en"))
    days = format_list([names[day] for day in rhythm.weekdays], locale=str(get_locale() or "en"))
    return {"weekday": _("This program meets on %(days)s: choose one of those days.", days=days)}


def video_link_problems(cohort: Cohort, video_link: str | None, now: datetime) -> dict:
    """A cohort whose upcoming meetings are by video cannot lose its video link."""
    by_video = [
        m
        for m in cohort.meetings
        if m.mode == MeetingMode.VIDEO and m.status == MeetingStatus.SCHEDULED and m.starts_at > now
    ]
    if video_link is None and by_video:
        message = _l(
            "Upcoming meetings are by video and need this link. Switch them to in person first."
        )
        return {"video_link": message}
    return {}


def move_problems(meeting: Meeting, starts_at: datetime, timezone: str) -> dict:
    """A held meeting stays where it was; a moved one stays between its neighbours.

    Weeks open on their meeting's local date, so week 3 may not open on or before week 2's
    day, nor on or after week 4's.
    """
    if meeting.status == MeetingStatus.HELD:
        return {
            "date": _l(
                "This meeting was recorded as held, so it cannot be moved. If that record is "
                "wrong, clear it on the meeting record first."
            )
        }
    if meeting.status == MeetingStatus.CANCELLED:
        return {"date": _l("This meeting is cancelled, so it cannot be moved.")}
    if starts_at == meeting.starts_at:
        return {"date": _l("The meeting is already at that date and time.")}
    zone = ZoneInfo(timezone)
    new_day = starts_at.astimezone(zone).date()
    for other in meeting.cohort.meetings:
        other_day = other.starts_at.astimezone(zone).date()
        if other.week < meeting.week and other_day >= new_day:
            message = _l("Week %(n)d must stay after week %(m)d.", n=meeting.week, m=other.week)
            return {"date": message}
        if other.week > meeting.week and other_day <= new_day:
            message = _l("Week %(n)d must stay before week %(m)d.", n=meeting.week, m=other.week)
            return {"date": message}
    return {}


def mode_problems(meeting: Meeting, mode: str, video_link: str | None) -> dict:
    """A real change of mode; a video meeting needs a link to send people."""
    if mode not in set(MeetingMode):
        return {"mode": _l("Choose video or in person.")}
    if meeting.status == MeetingStatus.CANCELLED:
        return {"mode": _l("This meeting is cancelled.")}
    if mode == meeting.mode:
        return {"mode": _l("The meeting is already held this way.")}
    if mode == MeetingMode.VIDEO and not video_link:
        return {"video_link": _l("Add the cohort's video link for a video meeting.")}
    return {}
