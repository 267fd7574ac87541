"""Writing to the audit trail; nothing in the app updates or deletes an event."""

from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from p4p.modules.audit.models import AuditEvent


def record(
    db_session: Session,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id=None,
    old: dict | None = None,
    new: dict | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add an event to the caller's transaction, so it commits or rolls back with the change."""
    audit_event = AuditEvent(
        at=at,
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        old=old,
        new=new,
        reason=reason,
    )
    db_session.add(audit_event)
    return audit_event


def record_change(
    db_session: Session,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id,
    old: dict,
    new: dict,
    reason: str | None = None,
) -> bool:
    """Record only the fields whose value changes, each with its old and new value; False, and
    nothing recorded, when none does."""
    changed = [name for name in new if old.get(name) != new[name]]
    if not changed:
        return False
    record(
        db_session,
        at=at,
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        old={name: old.get(name) for name in changed},
        new={name: new[name] for name in changed},
        reason=reason,
    )
    return True


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(db_session, _flush_context, _instances) -> None:
    # The trail is evidence: an update or delete of an event is a bug, so fail loudly.
    for obj in list(db_session.dirty) + list(db_session.deleted):
        if isinstance(obj, AuditEvent):
            raise PermissionError("audit events are append-only")
