"""Staff start page: the cohorts a staff member may see, with where each one stands."""

from flask import Blueprint, render_template
from flask_login import current_user

from p4p.access import allow
from p4p.clock import now
from p4p.db import session as db
from p4p.modules.auth.models import STAFF_ROLES
from p4p.modules.sites import service as sites

bp = Blueprint("attendance", __name__, url_prefix="/staff")


@bp.route("/")
@allow(*STAFF_ROLES)
def dashboard():
    moment = now()
    cohorts = sites.cohorts_for(db, current_user)
    rows = [(cohort, sites.next_meeting(cohort.meetings, moment)) for cohort in cohorts]
    return render_template("facilitator/dashboard.html", rows=rows, now=moment)
