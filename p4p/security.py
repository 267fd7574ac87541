"""Request bodies refused early, security headers, error pages (sessions: auth/sessions.py)."""

import logging

from flask import Request, abort, current_app, g, render_template, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException, InternalServerError

from p4p.extensions import login_manager
from p4p.logs import email_reference

log = logging.getLogger("p4p.security")
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


class BoundedRequest(Request):
    """A form-encoded body is read whole into memory (werkzeug applies MAX_FORM_MEMORY_SIZE only
    to multipart fields), so it is held to that size too: beyond it, 413 before anything reads it."""

    @property
    def max_content_length(self) -> int | None:
        limit = super().max_content_length
        if self.mimetype == "application/x-www-form-urlencoded" and current_app:
            form_limit = current_app.config["MAX_FORM_MEMORY_SIZE"]
            limit = form_limit if limit is None else min(limit, form_limit)
        return limit

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def _refuse_nul_bytes():
    # PostgreSQL cannot store NUL in text; no real form input contains one, so refuse it early.
    for values in (request.args, request.form):
        if any("\x00" in value for value in values.values()):
            abort(400)


# The bodies a browser's form sends (and Twilio's webhook). Nothing in p4p reads JSON or any
# other body, and Flask-WTF would feed a JSON body to a form unchecked, so anything else is
# refused whole before a view sees it.
FORM_BODIES = frozenset({"", "application/x-www-form-urlencoded", "multipart/form-data"})


def _refuse_other_bodies():
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.mimetype not in FORM_BODIES:
        abort(415)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if "_user_id" in session or request.endpoint not in (None, "static"):
        headers.setdefault("Cache-Control", "no-store")
    return response


ERROR_TITLES = {
    400: _l("Something in that request was not right"),
    403: _l("You do not have access to this page"),
    404: _l("We could not find that page"),
    405: _l("That action is not allowed here"),
    410: _l("This link no longer works"),
    413: _l("That upload is too large"),
    415: _l("That page only takes what its own form sends"),
    429: _l("Too many tries"),
    500: _l("Something went wrong on our side"),
}


def _error_page(error):
    # Unhandled exceptions arrive as InternalServerError, already logged by Flask with their
    # traceback ("Exception on /path [GET]"); the page never shows one.
    code = error.code
    if code == 429:  # the limit and where, never the form (it holds the password)
        email = request.form.get("email")
        who = f" for {email_reference(email)}" if email else ""
        log.warning("throttled %s %s%s (%s)", request.method, request.path, who, error.description)
    if code >= 500:
        _recover_database_session()
    title = ERROR_TITLES.get(code, ERROR_TITLES[500])
    return render_template("errors/error.html", code=code, title=title), code


def _recover_database_session():
    """After a database error the request's session needs a rollback before the error page
    can load anything; if even that fails (the database is gone), the page shows no user."""
    db_session = g.get("db_session")
    if db_session is None:
        return
    try:
        db_session.rollback()  # expires the loaded user: reading its role reloads it
        current_user._get_current_object().is_authenticated and current_user.role  # noqa: B018
    except Exception:
        log.exception("the database is unusable while showing an error page")
        g._login_user = login_manager.anonymous_user()


def init_app(app) -> None:
    app.request_class = BoundedRequest
    app.before_request(_refuse_other_bodies)
    app.before_request(_refuse_nul_bytes)
    app.after_request(_security_headers)
    # No handler for every Exception: Flask logs an unhandled one and, under TESTING or the
    # debugger, lets it through; otherwise it becomes the InternalServerError handled here.
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(InternalServerError, _error_page)
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE"))
