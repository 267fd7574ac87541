"""What the coordinator's site, cohort and meeting pages show, in a fixed number of queries."""

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from werkzeug.exceptions import NotFound

from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.sites.checks import timezone_names
from p4p.modules.sites.models import Cohort, FacilitatorSite, Meeting, Site
from p4p.pagination import Page, paginate


def all_sites(db: Session) -> list[Site]:
    return list(db.scalars(select(Site).order_by(Site.name)))


def staff_timezone(db: Session, user: User, study_timezone: str | None) -> str:
    """The time zone a staff member reads times in: a facilitator's (first) site's; for
    coordinators and admins the study's (STUDY_TIMEZONE), else the first site's, else UTC."""
    query = select(Site.timezone).order_by(Site.id).limit(1)
    if user.role == "facilitator":
        query = query.join(FacilitatorSite).where(FacilitatorSite.user_id == user.id)
    elif study_timezone in timezone_names():  # a mistyped setting falls back, not a 500
        return study_timezone
    return db.scalar(query) or "UTC"


def cohort_counts_by_site(db: Session) -> dict[int, int]:
    rows = db.execute(select(Cohort.site_id, func.count(Cohort.id)).group_by(Cohort.site_id))
    return {site_id: count for site_id, count in rows}


def site_or_404(db: Session, site_id: int) -> Site:
    site = db.get(Site, site_id)
    if site is None:
        raise NotFound()
    return site


def all_cohorts(db: Session) -> list[Cohort]:
    """Every cohort with its site, for choosing one in a form or a filter: one query."""
    return list(db.scalars(select(Cohort).options(joinedload(Cohort.site)).order_by(Cohort.name)))


@dataclass(frozen=True)
class CohortRow:
    cohort: Cohort
    first_meeting: datetime | None
    last_meeting: datetime | None
    active: int
    withdrawn: int


# A coordinator scans a screenful; the rest are a page away (a national study has thousands).
COHORTS_PER_PAGE = 50


def cohort_rows(
    db: Session, site_id: int | None = None, arm: str | None = None, page_number: int = 1
) -> Page:
    """One page of cohorts (filtered by site and arm), newest first, as CohortRows with their
    first and last meeting and head counts: three queries, and no meetings loaded."""
    dates = (
        select(
            Meeting.cohort_id,
            func.min(Meeting.starts_at).label("first"),
            func.max(Meeting.starts_at).label("last"),
        )
        .group_by(Meeting.cohort_id)
        .subquery()
    )
    query = (
        select(Cohort, dates.c.first, dates.c.last)
        .outerjoin(dates, dates.c.cohort_id == Cohort.id)
        .options(joinedload(Cohort.site))
        .order_by(Cohort.start_date.desc(), Cohort.name)
    )
    if site_id is not None:
        query = query.where(Cohort.site_id == site_id)
    if arm:
        query = query.where(Cohort.arm == arm)
    page = paginate(db, query, page_number, COHORTS_PER_PAGE, rows=True)
    counts = _head_counts(db, [cohort.id for cohort, _first, _last in page.items])
    rows = [
        CohortRow(cohort, first, last, *counts.get(cohort.id, (0, 0)))
        for cohort, first, last in page.items
    ]
    return replace(page, items=rows)


def _head_counts(db: Session, cohort_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not cohort_ids:
        return {}
    withdrawn = func.sum(case((Participant.withdrawn_at.is_not(None), 1), else_=0))
    rows = db.execute(
        select(Participant.cohort_id, func.count(Participant.id), withdrawn)
        .where(Participant.cohort_id.in_(cohort_ids))
        .group_by(Participant.cohort_id)
    )
    return {cohort_id: (total - int(gone or 0), int(gone or 0)) for cohort_id, total, gone in rows}


@dataclass(frozen=True)
class CohortPage:
    cohort: Cohort
    roster: list[Participant]
    facilitators: list[User]


def cohort_page(db: Session, cohort_id: int) -> CohortPage:
    """A cohort with its site, meetings, roster and the site's facilitators: four queries."""
    cohort = db.scalar(
        select(Cohort)
        .where(Cohort.id == cohort_id)
        .options(joinedload(Cohort.site), selectinload(Cohort.meetings))
    )
    if cohort is None:
        raise NotFound()
    roster = db.scalars(
        select(Participant)
        .where(Participant.cohort_id == cohort.id)
        .options(joinedload(Participant.user))
        .order_by(Participant.withdrawn_at.is_not(None), Participant.study_id)
    ).all()
    facilitators = db.scalars(
        select(User)
        .join(FacilitatorSite, FacilitatorSite.user_id == User.id)
        .where(FacilitatorSite.site_id == cohort.site_id)
        .order_by(User.name)
    ).all()
    return CohortPage(cohort, list(roster), list(facilitators))


def cohort_or_404(db: Session, cohort_id: int) -> Cohort:
    cohort = db.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound()
    return cohort


def meeting_or_404(db: Session, meeting_id: int) -> Meeting:
    """A meeting with its cohort, site and the cohort's other meetings (its neighbours)."""
    meeting = db.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .options(
            joinedload(Meeting.cohort).joinedload(Cohort.site),
            joinedload(Meeting.cohort).selectinload(Cohort.meetings),
        )
    )
    if meeting is None:
        raise NotFound()
    return meeting
