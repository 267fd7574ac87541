"""The front door (send each role to its own start page) and the health check."""

from flask import Blueprint, jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from p4p.access import public
from p4p.db import session as db
from p4p.modules.auth.models import Role

bp = Blueprint("home", __name__)


@bp.route("/")
@public
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == Role.PARTICIPANT:
        return redirect(url_for("participants.this_week"))
    return redirect(url_for("attendance.dashboard"))


@bp.route("/healthz")
@public
def healthz():
    try:
        db.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        reason = type(error).__name__
        return jsonify(status="error", database="unreachable", reason=reason), 503
    return jsonify(status="ok", database="ok")
