"""What the coordinator's participant pages show, in a fixed number of queries."""

from dataclasses import dataclass

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import NotFound

from p4p.db import parse_id
from p4p.modules.auth.models import AuthToken, TokenPurpose, User
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Cohort
from p4p.pagination import Page, paginate

PAGE_SIZE = 100


@dataclass(frozen=True)
class ParticipantFilters:
    site_id: int | None = None
    cohort_id: int | None = None
    arm: str | None = None
    status: str | None = None  # "active", "withdrawn" or None for both


def _with_account_and_cohort(query: Select) -> Select:
    return query.options(
        joinedload(Participant.user), joinedload(Participant.cohort).joinedload(Cohort.site)
    )


def participant_list(db: Session, filters: ParticipantFilters, page_number: int) -> Page:
    """One page of participants by study ID, with account, cohort and site: two queries."""
    query = select(Participant).join(Participant.cohort).order_by(Participant.study_id)
    if filters.site_id is not None:
        query = query.where(Cohort.site_id == filters.site_id)
    if filters.cohort_id is not None:
        query = query.where(Participant.cohort_id == filters.cohort_id)
    if filters.arm:
        query = query.where(Participant.arm == filters.arm)
    if filters.status == "active":
        query = query.where(Participant.withdrawn_at.is_(None))
    elif filters.status == "withdrawn":
        query = query.where(Participant.withdrawn_at.is_not(None))
    return paginate(db, _with_account_and_cohort(query), page_number, PAGE_SIZE)


def participant_or_404(db: Session, participant_id: int) -> Participant:
    participant = db.scalar(
        _with_account_and_cohort(select(Participant).where(Participant.id == participant_id))
    )
    if participant is None:
        raise NotFound()
    return participant


def cohort_or_none(db: Session, cohort_id: int | str | None) -> Cohort | None:
    cohort_id = parse_id(cohort_id)
    return db.get(Cohort, cohort_id) if cohort_id else None


def invite_queue(db: Session) -> list[Participant]:
    """Participants who can be invited and never were: an email or a phone (their link goes
    by text), active, no password yet."""
    invited = exists().where(
        AuthToken.user_id == Participant.user_id, AuthToken.purpose == TokenPurpose.INVITE
    )
    query = (
        select(Participant)
        .join(Participant.user)
        .where(
            Participant.withdrawn_at.is_(None),
            User.email.is_not(None) | User.phone.is_not(None),
            User.active.is_(True),
            User.password_hash.is_(None),
            ~invited,
        )
        .order_by(Participant.study_id)
    )
    return list(db.scalars(_with_account_and_cohort(query)))
