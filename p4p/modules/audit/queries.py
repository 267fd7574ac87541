"""Reading the audit trail: filtered, newest first, a page at a time, in people's words.

Events name their entity by type and id. A participant's events are those about the
participant and about their account; a cohort's are those about the cohort, its meetings and
the participants now in it. Labels for the entities on a page come from one query per type.
"""

import json
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
    """A readable name for each entity on the page (study ID, person, cohort, site, meeting).

    One query per kind of entity, run whether or not the page has one, so the page's query
    count never depends on what happened in the study.
    """
    ids: dict[str, set[int]] = {kind: set() for kind in ENTITY_LOOKUPS}
    for event in events:
        if event.entity in ids and event.entity_id and event.entity_id.isdigit():
            ids[event.entity].add(int(event.entity_id))
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


def readable(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list):
        return ", ".join(readable(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None  # None: the event has no old values (something was created)
    new: str


def changes(event: AuditEvent) -> list[Change]:
    """Each field the event names, old → new, in the order it was written."""
    old, new = event.old or {}, event.new or {}
    fields = list(dict.fromkeys([*old, *new]))
    return [
        Change(name, readable(old.get(name)) if event.old else None, readable(new.get(name)))
        for name in fields
    ]


# What each kind of event means, in words (the stored codes never change: exports and
# queries rely on them). A code missing here is shown as it is stored.
WHAT_HAPPENED = {
    ("create", "site"): _l("Added the site"),
    ("update", "site"): _l("Changed the site"),
    ("create", "cohort"): _l("Added the cohort"),
    ("update", "cohort"): _l("Changed the cohort"),
    ("move", "meeting"): _l("Moved the meeting"),
    ("mode", "meeting"): _l("Switched the meeting between video and in person"),
    ("meeting-delivery", "meeting"): _l("Recorded how the meeting went"),
    ("attendance", "participant"): _l("Marked attendance of"),
    ("makeup", "participant"): _l("Recorded a make-up for"),
    ("enrol", "participant"): _l("Enrolled in the study"),
    ("reassign", "participant"): _l("Changed the program or cohort of"),
    ("withdraw", "participant"): _l("Withdrew"),
    ("return", "participant"): _l("Brought back into the study"),
    ("survey-done", "participant"): _l("Marked a follow-up survey done for"),
    ("follow-up-call", "participant"): _l("Recorded a follow-up call to"),
    ("follow-up-dismiss", "participant"): _l(
        "Set aside the follow-up call (until something new happens) for"
    ),
    ("create", "user"): _l("Created the account"),
    ("update", "user"): _l("Changed the name or phone of"),
    ("invite-sent", "user"): _l("Sent an invite link to"),
    ("password-invite", "user"): _l("Password set from an invite link for"),
    ("password-reset", "user"): _l("Password reset for"),
    ("deactivate", "user"): _l("Deactivated the account"),
    ("reactivate", "user"): _l("Reactivated the account"),
    ("sites", "user"): _l("Changed the sites of"),
    ("language", "user"): _l("Changed the language of"),
    ("reminder-preferences", "user"): _l("Changed the reminder settings of"),
    ("calendar-link", "user"): _l("Made or stopped the private calendar link of"),
    ("export", "export"): _l("Exported attendance data"),
}


def what_happened(event: AuditEvent) -> str:
    """The event in words, e.g. "Withdrew"; the template adds whom or what it concerns."""
    words = WHAT_HAPPENED.get((event.action, event.entity))
    return str(words) if words is not None else f"{event.action} · {event.entity}"
