"""Sites, cohorts and their meeting schedule; local times come from the site's timezone."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from p4p.access import visible_site_ids
from p4p.local_time import local_datetime, to_utc
from p4p.modules.audit.service import record, record_change
from p4p.modules.auth.models import User
from p4p.modules.curriculum.models import Program, SessionRhythm
from p4p.modules.sites.checks import (
    cohort_name_problems,
    cohort_weekday_problems,
    site_problems,
    video_link_problems,
)
from p4p.modules.sites.models import Cohort, FacilitatorSite, Meeting, MeetingStatus, Site
from p4p.problems import raise_if_any


def first_meeting_date(start_date: date, weekday: int) -> date:
    """The first day on or after the start date that falls on the cohort's weekday."""
    return start_date + timedelta(days=(weekday - start_date.weekday()) % 7)


def schedule(
    cohort: Cohort, site: Site, weeks, rhythm: SessionRhythm
) -> list[tuple[int, datetime]]:
    """(week, UTC start) for each session: on the arm's rhythm from the first meeting, at the same
    local time across DST changes."""
    first = first_meeting_date(cohort.start_date, cohort.weekday)
    dates = rhythm.dates(first, len(weeks))
    return [
        (week, to_utc(day, cohort.local_start_time, site.timezone))
        for week, day in zip(weeks, dates, strict=True)
    ]


def create_site(
    db: Session,
    *,
    name: str,
    timezone: str,
    address: str | None,
    now: datetime,
    actor_id: int | None = None,
) -> Site:
    """A new site; Problems (name, timezone) before anything is written."""
    raise_if_any(site_problems(db, name, timezone))
    site = Site(name=name.strip(), timezone=timezone, address=address)
    db.add(site)
    db.flush()
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="create",
        entity="site",
        entity_id=site.id,
        new={"name": site.name, "timezone": timezone, "address": address},
    )
    return site


def update_site(
    db: Session,
    site: Site,
    *,
    name: str,
    timezone: str,
    address: str | None,
    now: datetime,
    actor_id: int,
) -> bool:
    """Rename, re-address or correct a site's timezone; audited with old and new values;
    False, and nothing written, when nothing changes.

    A meeting means a local wall-clock time, so on a timezone change every upcoming meeting not
    yet held keeps its local date and time and gets a new UTC instant.
    """
    raise_if_any(site_problems(db, name, timezone, site.id))
    name = name.strip()
    old = {"name": site.name, "timezone": site.timezone, "address": site.address}
    new: dict[str, str | int | None] = {"name": name, "timezone": timezone, "address": address}
    if old == new:
        return False
    if timezone != site.timezone:
        upcoming = db.scalars(
            select(Meeting)
            .join(Cohort)
            .where(
                Cohort.site_id == site.id,
                Meeting.starts_at > now,
                Meeting.status != MeetingStatus.HELD,
            )
        ).all()
        for meeting in upcoming:
            local = local_datetime(meeting.starts_at, site.timezone)
            meeting.starts_at = to_utc(local.date(), local.time(), timezone)
        new["meetings_retimed"] = len(upcoming)
    site.name, site.timezone, site.address = name, timezone, address
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="update",
        entity="site",
        entity_id=site.id,
        old=old,
        new=new,
    )
    db.flush()
    return True


def create_cohort(
    db: Session,
    *,
    program: Program,
    site: Site,
    arm: str,
    name: str,
    start_date: date,
    weekday: int,
    local_start_time: time,
    now: datetime,
    duration_minutes: int | None = None,
    location: str | None = None,
    video_link: str | None = None,
    actor_id: int | None = None,
) -> Cohort:
    """A cohort and its dated meetings, one per week of its arm.

    Cohort names are unique (roster files name the cohort), so a taken name is a Problem.
    """
    arm_def = program.arm(arm)
    raise_if_any(
        {
            **cohort_name_problems(db, name),
            **cohort_weekday_problems(arm_def.rhythm, weekday),
        }
    )
    duration = duration_minutes or program.session_minutes
    cohort = Cohort(
        site=site,
        arm=arm,
        name=name.strip(),
        start_date=start_date,
        weekday=weekday,
        local_start_time=local_start_time,
        duration_minutes=duration,
        location=location,
        video_link=video_link,
    )
    mode = "video" if video_link and not location else "in_person"
    for week, starts_at in schedule(cohort, site, arm_def.weeks, arm_def.rhythm):
        cohort.meetings.append(
            Meeting(week=week, starts_at=starts_at, duration_minutes=duration, mode=mode)
        )
    db.add(cohort)
    db.flush()
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="create",
        entity="cohort",
        entity_id=cohort.id,
        new={
            "name": cohort.name,
            "arm": arm,
            "site_id": site.id,
            "start_date": start_date.isoformat(),
        },
    )
    return cohort


def update_cohort(
    db: Session,
    cohort: Cohort,
    *,
    name: str,
    location: str | None,
    video_link: str | None,
    now: datetime,
    actor_id: int,
) -> bool:
    """Rename a cohort or change where it meets or its video link; audited with old and new;
    False, and nothing written, when nothing changes. The schedule is not changed here: each
    meeting moves on its own, with a reason."""
    raise_if_any(
        {
            **cohort_name_problems(db, name, cohort.id),
            **video_link_problems(cohort, video_link, now),
        }
    )
    name = name.strip()
    old = {"name": cohort.name, "location": cohort.location, "video_link": cohort.video_link}
    new = {"name": name, "location": location, "video_link": video_link}
    cohort.name, cohort.location, cohort.video_link = name, location, video_link
    return record_change(
        db,
        at=now,
        actor_id=actor_id,
        action="update",
        entity="cohort",
        entity_id=cohort.id,
        old=old,
        new=new,
    )


def assign_facilitator(db: Session, user: User, site: Site) -> None:
    exists = db.get(FacilitatorSite, (user.id, site.id))
    if exists is None:
        db.add(FacilitatorSite(user_id=user.id, site_id=site.id))


def cohorts_for(db: Session, user: User) -> list[Cohort]:
    """Cohorts the user may see, with site and meetings loaded (a fixed number of queries)."""
    site_ids = visible_site_ids(db, user)
    query = (
        select(Cohort)
        .options(selectinload(Cohort.site), selectinload(Cohort.meetings))
        .order_by(Cohort.start_date.desc(), Cohort.name)
    )
    if site_ids is not None:
        query = query.where(Cohort.site_id.in_(site_ids))
    return list(db.scalars(query))


class _Scheduled(Protocol):
    """A Meeting, or a row of its columns (the home page's)."""

    @property
    def starts_at(self) -> datetime: ...
    @property
    def duration_minutes(self) -> int: ...
    @property
    def status(self) -> str: ...


_ScheduledT = TypeVar("_ScheduledT", bound=_Scheduled)


def next_meeting(meetings: Sequence[_ScheduledT], now: datetime) -> _ScheduledT | None:
    """The first meeting not yet over and not cancelled."""
    upcoming = [
        m
        for m in meetings
        if m.status != "cancelled" and m.starts_at + timedelta(minutes=m.duration_minutes) > now
    ]
    return min(upcoming, key=lambda m: m.starts_at, default=None)
