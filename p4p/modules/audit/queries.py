"""Reading the audit trail: filtered, newest first, a page at a time, in people's words.

Events name their entity by type and id. A participant's events are those about the
participant and about their account; a cohort's are those about the cohort, its meetings and
the participants now in it. Labels for the entities on a page come from one query per type.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from p4p.modules.audit.models import AuditEvent
from p4p.modules.auth.models import Role, User
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Cohort, Meeting, Site
from p4p.pagination import Page, paginate

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditFilters:
    participant: Participant | None = None
    cohort_id: int | None = None
    actor_id: int | None = None
    since: date | None = None  # UTC days, both ends included
    until: date | None = None


def _about(entity: str, ids) -> ColumnElement[bool]:
    return and_(AuditEvent.entity == entity, AuditEvent.entity_id.in_(ids))


def _where(filters: AuditFilters) -> list:
    conditions = []
    if filters.participant is not None:
        participant = filters.participant
        conditions.append(
            or_(
                _about("participant", [str(participant.id)]),
                _about("user", [str(participant.user_id)]),
            )
        )
    if filters.cohort_id is not None:
        meetings = select(cast(Meeting.id, String)).where(Meeting.cohort_id == filters.cohort_id)
        members = select(cast(Participant.id, String)).where(
            Participant.cohort_id == filters.cohort_id
        )
        conditions.append(
            or_(
                _about("cohort", [str(filters.cohort_id)]),
                _about("meeting", meetings),
                _about("participant", members),
            )
        )
    if filters.actor_id is not None:
        conditions.append(AuditEvent.actor_id == filters.actor_id)
    if filters.since is not None:
        conditions.append(AuditEvent.at >= datetime.combine(filters.since, time.min, UTC))
    if filters.until is not None:
        conditions.append(AuditEvent.at <= datetime.combine(filters.until, time.max, UTC))
    return conditions


def trail(db: Session, filters: AuditFilters, page_number: int) -> Page:
    """One page of (event, actor) rows, newest first: two queries."""
    actor = aliased(User)
    query = (
        select(AuditEvent, actor)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(*_where(filters))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    return paginate(db, query, page_number, PAGE_SIZE, rows=True)


def staff_accounts(db: Session) -> list[User]:
    return list(db.scalars(select(User).where(User.role != Role.PARTICIPANT).order_by(User.name)))


def participant_by_study_id(db: Session, study_id: str) -> Participant | None:
    """The participant with this study ID, typed in any case."""
    wanted = study_id.strip().lower()
    return db.scalar(select(Participant).where(func.lower(Participant.study_id) == wanted))


def entity_labels(db: Session, events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """A readable name for each entity on the page (study ID, person, cohort, site, meeting),
    and for the sites its events name in their values.

    One query per kind of entity, run whether or not the page has one, so the page's query
    count never depends on what happened in the study.
    """
    ids: dict[str, set[int]] = {kind: set() for kind in ENTITY_LOOKUPS}
    for event in events:
        if event.entity in ids and event.entity_id and event.entity_id.isdigit():
            ids[event.entity].add(int(event.entity_id))
        for values in (event.old or {}, event.new or {}):  # the sites an event names by id
            named = values.get("site_ids") or [values.get("site_id")]
            ids["site"].update(i for i in named if isinstance(i, int))
    labels = {}
    for kind, lookup in ENTITY_LOOKUPS.items():
        for entity_id, label in db.execute(lookup(ids[kind])):
            labels[(kind, str(entity_id))] = label
    return labels


def _meeting_labels(ids):
    label = Cohort.name.concat(" · ").concat(cast(Meeting.week, String))
    return select(Meeting.id, label).join(Cohort).where(Meeting.id.in_(ids))


ENTITY_LOOKUPS = {
    "participant": lambda ids: select(Participant.id, Participant.study_id).where(
        Participant.id.in_(ids)
    ),
    "user": lambda ids: select(User.id, User.name).where(User.id.in_(ids)),
    "cohort": lambda ids: select(Cohort.id, Cohort.name).where(Cohort.id.in_(ids)),
    "site": lambda ids: select(Site.id, Site.name).where(Site.id.in_(ids)),
    "meeting": _meeting_labels,
}


# What each kind of event means, as a sentence about its subject (the entity's label); the
# stored codes never change (exports and queries rely on them). audit.sentences tells some
# events more fully from their values, and each changed field as a sentence of its own.
WHAT_HAPPENED = {
    ("create", "site"): _l("Added the site %(subject)s."),
    ("update", "site"): _l("Changed the site %(subject)s."),
    ("create", "cohort"): _l("Added the cohort %(subject)s."),
    ("update", "cohort"): _l("Changed the cohort %(subject)s."),
    ("move", "meeting"): _l("Moved the meeting %(subject)s."),
    ("cancel", "meeting"): _l("Cancelled the meeting %(subject)s ahead of time."),
    ("mode", "meeting"): _l("Changed whether the meeting %(subject)s is by video or in person."),
    ("meeting-delivery", "meeting"): _l("Recorded how the meeting %(subject)s went."),
    ("attendance", "participant"): _l("Changed the attendance of %(subject)s."),
    ("makeup", "participant"): _l("Recorded a make-up for %(subject)s."),
    ("enrol", "participant"): _l("Enrolled %(subject)s in the study."),
    ("reassign", "participant"): _l("Changed the program or cohort of %(subject)s."),
    ("withdraw", "participant"): _l("Withdrew %(subject)s from the study."),
    ("return", "participant"): _l("Brought %(subject)s back into the study."),
    ("survey-done", "participant"): _l("Marked a follow-up survey done for %(subject)s."),
    ("follow-up-call", "participant"): _l("Recorded a follow-up call to %(subject)s."),
    ("follow-up-dismiss", "participant"): _l(
        "Took %(subject)s off the follow-up list until something new happens."
    ),
    ("create", "user"): _l("Created the account of %(subject)s."),
    ("update", "user"): _l("Changed the name or phone of %(subject)s."),
    ("invite-sent", "user"): _l("Sent an invite link to %(subject)s."),
    ("password-invite", "user"): _l("%(subject)s set a password from an invite link."),
    ("password-reset", "user"): _l("%(subject)s set a new password from a reset link."),
    ("deactivate", "user"): _l("Deactivated the account of %(subject)s; their sessions ended."),
    ("reactivate", "user"): _l("Reactivated the account of %(subject)s."),
    ("role", "user"): _l("Changed the role of %(subject)s."),
    ("sessions-ended", "user"): _l("Ended every session of %(subject)s."),
    ("sites", "user"): _l("Changed the sites %(subject)s serves."),
    ("language", "user"): _l("Changed the language of %(subject)s."),
    ("reminder-preferences", "user"): _l("Changed the reminder settings of %(subject)s."),
    ("calendar-link", "user"): _l("Changed the private calendar link of %(subject)s."),
    ("contact-change-asked", "user"): _l(
        "Sent a code or link to confirm a new email or phone for %(subject)s."
    ),
    ("contact-changed", "user"): _l("Confirmed a new email or phone for %(subject)s."),
    ("export", "export"): _l("Exported attendance data."),
}
