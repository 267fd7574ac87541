"""Deny by default: every view declares who may use it, or nobody may.

`@allow("participant")` or `@public` sits on each view; a before_request hook
refuses any endpoint without a declaration, so a forgotten decorator fails
closed. Object scope (own site, own data) is checked in each module's queries, from the
sites a staff member may see (`visible_site_ids`).
"""

from collections.abc import Callable

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from p4p.extensions import login_manager
from p4p.modules.auth.models import Role, User
from p4p.modules.sites.models import FacilitatorSite

PUBLIC = frozenset({"*"})
ROLES_ATTR = "_p4p_roles"


def allow(*roles: str) -> Callable:
    def mark(view):
        setattr(view, ROLES_ATTR, frozenset(roles))
        return view

    return mark


def public(view):
    setattr(view, ROLES_ATTR, PUBLIC)
    return view


def roles_of(endpoint: str) -> frozenset | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ROLES_ATTR, None)


def enforce_access():
    if request.endpoint is None:
        return None  # no route matched: Flask answers 404 or 405 itself
    if request.endpoint == "static":
        return None
    roles = roles_of(request.endpoint)
    if roles is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
    if roles is PUBLIC or roles == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in roles:
        abort(403)
    return None


def visible_site_ids(db: Session, user: User) -> list[int] | None:
    """The sites a staff member may see: None means all (coordinators and admins)."""
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        return None
    if user.role == Role.FACILITATOR:
        return list(
            db.scalars(select(FacilitatorSite.site_id).where(FacilitatorSite.user_id == user.id))
        )
    return []


def init_app(app) -> None:
    app.before_request(enforce_access)
