"""The staff's questionnaire pages: the cohorts and people a staff member may see, and one sent
response of theirs. Deny by default: another site's cohort or response is None (the view's 404)."""

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from p4p.access import visible_site_ids
from p4p.modules.auth.models import User
from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Cohort


def participants_of(db: Session, cohort_ids: list[int]) -> list[Participant]:
    """The cohorts' participants (withdrawn ones too), with their accounts, in one query; their
    cohorts, sites and meetings are the ones the caller loaded."""
    return list(
        db.scalars(
            select(Participant)
            .where(Participant.cohort_id.in_(cohort_ids))
            .options(joinedload(Participant.user))
            .order_by(Participant.study_id)
        )
    )


def cohort_in_scope(db: Session, user: User, cohort_id: int) -> Cohort | None:
    """The cohort with its site and meetings, if it is at one of the user's sites."""
    cohort = db.scalar(
        select(Cohort)
        .where(Cohort.id == cohort_id)
        .options(joinedload(Cohort.site), selectinload(Cohort.meetings))
    )
    site_ids = visible_site_ids(db, user)
    if cohort is None or (site_ids is not None and cohort.site_id not in site_ids):
        return None
    return cohort


def response_in_scope(db: Session, user: User, response_id: int) -> InstrumentResponse | None:
    """A sent response, with its answers and its participant, for staff of the participant's
    site and the study team; None for anyone else, and for a response not yet sent."""
    response = db.scalar(
        select(InstrumentResponse)
        .where(InstrumentResponse.id == response_id, InstrumentResponse.submitted_at.is_not(None))
        .options(
            selectinload(InstrumentResponse.answers),
            joinedload(InstrumentResponse.participant)
            .joinedload(Participant.cohort)
            .joinedload(Cohort.site),
            joinedload(InstrumentResponse.participant).joinedload(Participant.user),
        )
    )
    site_ids = visible_site_ids(db, user)
    if response is None or (
        site_ids is not None and response.participant.cohort.site_id not in site_ids
    ):
        return None
    return response
