"""The calendar page (make, replace or stop a feed link) and the feed itself, which calendar
apps fetch without logging in: the token in the link is the key."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from p4p.access import allow, public
from p4p.clock import now
from p4p.db import session as db
from p4p.forms import ConfirmForm
from p4p.modules.calendars import service
from p4p.modules.curriculum.service import get_program

bp = Blueprint("calendars", __name__)


def _user():
    return current_user._get_current_object()


def _links(token: str) -> dict[str, str]:
    https = current_app.config["BASE_URL"].rstrip("/") + url_for("calendars.feed", token=token)
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


@bp.route("/calendar")
@allow(*service.FEED_ROLES)
def page():
    return render_template(
        "calendar/page.html", has_feed=service.has_feed(db, _user()), form=ConfirmForm(), links=None
    )


@bp.route("/calendar/new", methods=["POST"])
@allow(*service.FEED_ROLES)
def new():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = service.new_feed(db, _user(), now())
    # Shown on this page only: the database keeps just the token's hash.
    return render_template(
        "calendar/page.html", has_feed=True, form=ConfirmForm(), links=_links(token)
    )


@bp.route("/calendar/stop", methods=["POST"])
@allow(*service.FEED_ROLES)
def stop():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if service.revoke_feed(db, _user(), now()):
        flash(
            _("Your calendar link is stopped. Calendars that used it get no more updates."), "info"
        )
    return redirect(url_for("calendars.page"))


@bp.route("/calendar/<token>.ics")
@public
def feed(token: str):
    user = service.user_for_token(db, token)
    if user is None:
        abort(404)
    body = service.feed_bytes(db, user, get_program(), current_app.config["BASE_URL"], now())
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = 'inline; filename="sessions.ics"'
    return response
