"""Sessions that end: the user loader (a changed nonce ends every session of the account) and
the idle and absolute timeouts, checked before each request."""

from datetime import timedelta

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import logout_user
from sqlalchemy import bindparam, select

from p4p.clock import now
from p4p.db import session as db
from p4p.extensions import login_manager
from p4p.modules.auth.models import User

_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))  # built once: every request


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The cookie holds "<id>:<nonce>"; a changed nonce (logout, deactivation) ends the session."""
    user_id, _sep, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    user = db.scalar(_USER_BY_ID, {"user_id": int(user_id)})
    if user is None or not user.active or user.session_nonce != nonce:
        return None
    return user


def expire_old_sessions():
    if "_user_id" not in session:
        return
    config = current_app.config
    current = now().timestamp()
    login_at = session.get("login_at", 0)
    seen_at = session.get("seen_at", login_at)
    too_old = current - login_at > timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]).total_seconds()
    idle = current - seen_at > timedelta(minutes=config["SESSION_IDLE_MINUTES"]).total_seconds()
    if too_old or idle:
        logout_user()
        session.clear()
        return
    # Refreshed at most once a minute: rewriting (and re-signing) the cookie on every request
    # costs time on every page, and a minute is nothing against an hour's idle timeout.
    if current - seen_at >= 60:
        session["seen_at"] = current


def init_app(app) -> None:
    """Before the access rules run (access.init_app comes after), so an expired session is
    already logged out when a page asks who is there."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(expire_old_sessions)
