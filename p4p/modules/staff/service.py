"""Coordinator and admin accounts, managed by admins: create, role, deactivate, end sessions.

The study must always keep someone who can manage accounts and settings, so nothing here may
leave it without an active admin: not deactivating the last one, not changing their role,
including an admin doing either to themselves. Facilitator accounts are in
p4p.modules.facilitators (they carry sites); participants are enrolled.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from p4p.modules.audit.service import record
from p4p.modules.auth.accounts import create_staff_account, set_account_active
from p4p.modules.auth.models import Role, User
from p4p.modules.auth.service import end_all_sessions
from p4p.problems import Problems

# The roles these pages manage, in the order the role choice offers them.
STAFF_ACCOUNT_ROLES = (Role.COORDINATOR, Role.ADMIN)


def staff_accounts(db: Session) -> list[User]:
    """Every coordinator and admin, active ones first: one query."""
    return list(
        db.scalars(
            select(User)
            .where(User.role.in_(STAFF_ACCOUNT_ROLES))
            .order_by(User.active.desc(), User.name)
        )
    )


def staff_or_404(db: Session, user_id: int) -> User:
    """A coordinator or admin account; any other account or none is 404."""
    user = db.get(User, user_id)
    if user is None or user.role not in STAFF_ACCOUNT_ROLES:
        raise NotFound()
    return user


def create_staff(
    db: Session, *, name: str, email: str, role: Role, actor_id: int, now: datetime
) -> User:
    """A coordinator or admin account, without a password until they use their invite."""
    return create_staff_account(db, name=name, email=email, role=role, actor_id=actor_id, now=now)


def _is_last_active_admin(db: Session, user: User) -> bool:
    """Whether this account is the one active admin left. The active admins' rows are locked
    (on PostgreSQL) until the request commits, so two admins demoting each other at the same
    moment cannot both pass this check."""
    if user.role != Role.ADMIN or not user.active:
        return False
    admins = db.scalars(
        select(User.id).where(User.role == Role.ADMIN, User.active.is_(True)).with_for_update()
    ).all()
    return list(admins) == [user.id]


def set_staff_active(
    db: Session, user: User, active: bool, *, actor_id: int, now: datetime
) -> bool:
    """Deactivate (ending every session) or reactivate; False when nothing changes.
    Problems at the deactivate button for the last active admin."""
    if not active and _is_last_active_admin(db, user):
        raise Problems(
            {"deactivate": _l("This is the last active admin. Make someone else an admin first.")}
        )
    return set_account_active(db, user, active, actor_id=actor_id, now=now)


def set_staff_role(db: Session, user: User, role: Role, *, actor_id: int, now: datetime) -> bool:
    """Make a coordinator an admin or an admin a coordinator; False, nothing written, when it
    already is. The role is read on every request, so it applies from their next page."""
    if user.role == role:
        return False
    if _is_last_active_admin(db, user):
        raise Problems(
            {"role": _l("This is the last active admin. Make someone else an admin first.")}
        )
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="role",
        entity="user",
        entity_id=user.id,
        old={"role": str(user.role)},
        new={"role": role.value},
    )
    user.role = role
    db.flush()
    return True


def end_sessions(db: Session, user: User, *, actor_id: int, now: datetime) -> None:
    """Log the person out everywhere (a lost phone, a shared computer); their password stays."""
    end_all_sessions(db, user)
    record(db, at=now, actor_id=actor_id, action="sessions-ended", entity="user", entity_id=user.id)
    db.flush()
