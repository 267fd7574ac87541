"""Which meetings a person's feed holds, and how often each has changed."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from p4p.modules.audit.models import AuditEvent
from p4p.modules.auth.models import Role, User
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Cohort, FacilitatorSite, Meeting

# The audited meeting changes a calendar app must notice (sites/meetings.py, attendance/delivery.py).
CHANGE_ACTIONS = ("move", "mode", "meeting-delivery")


def feed_meetings(db: Session, user: User) -> list[Meeting]:
    """A participant's cohort's meetings; a facilitator's sites' cohorts' meetings; else none."""
    query = select(Meeting).options(joinedload(Meeting.cohort).joinedload(Cohort.site))
    if user.role == Role.PARTICIPANT:
        query = query.join(Participant, Participant.cohort_id == Meeting.cohort_id).where(
            Participant.user_id == user.id, Participant.withdrawn_at.is_(None)
        )
    elif user.role == Role.FACILITATOR:
        query = (
            query.join(Cohort, Cohort.id == Meeting.cohort_id)
            .join(FacilitatorSite, FacilitatorSite.site_id == Cohort.site_id)
            .where(FacilitatorSite.user_id == user.id)
        )
    else:
        return []
    return list(db.scalars(query.order_by(Meeting.starts_at, Meeting.id)).unique())


def change_counts(db: Session, meetings: list[Meeting]) -> dict[int, int]:
    """Audited changes per meeting: the event's SEQUENCE, so it only ever goes up."""
    if not meetings:
        return {}
    rows = db.execute(
        select(AuditEvent.entity_id, func.count())
        .where(
            AuditEvent.entity == "meeting",
            AuditEvent.action.in_(CHANGE_ACTIONS),
            AuditEvent.entity_id.in_([str(meeting.id) for meeting in meetings]),
        )
        .group_by(AuditEvent.entity_id)
    )
    # The filter above matched only these meetings' ids, so no entity_id here is None.
    return {int(entity_id or 0): count for entity_id, count in rows}
