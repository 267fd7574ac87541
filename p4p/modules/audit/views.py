"""The audit trail for coordinators and admins: read-only, filtered, newest first."""

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from p4p.access import allow
from p4p.db import session as db
from p4p.modules.audit import queries
from p4p.modules.audit.forms import AuditFilterForm
from p4p.modules.audit.sentences import Teller
from p4p.modules.auth.models import Role
from p4p.modules.sites.queries import all_cohorts, staff_timezone
from p4p.pagination import requested_page

bp = Blueprint("audit", __name__, url_prefix="/admin")


@bp.route("/audit")
@allow(Role.COORDINATOR, Role.ADMIN)
def trail():
    form = AuditFilterForm(request.args, cohorts=all_cohorts(db), staff=queries.staff_accounts(db))
    valid = form.validate()
    participant = None
    if valid and form.participant.data:
        participant = queries.participant_by_study_id(db, form.participant.data)
        if participant is None:
            form.participant.errors.append(_("No participant has this study ID."))
            valid = False
    if not valid:
        return render_template("audit/trail.html", form=form, page=None), 422
    filters = queries.AuditFilters(
        participant=participant,
        cohort_id=int(form.cohort.data) if form.cohort.data else None,
        actor_id=int(form.actor.data) if form.actor.data else None,
        since=form.since.data,
        until=form.until.data,
    )
    page = queries.trail(db, filters, requested_page())
    labels = queries.entity_labels(db, [event for event, _actor in page.items])
    timezone = staff_timezone(db, current_user, current_app.config["STUDY_TIMEZONE"])
    return render_template(
        "audit/trail.html",
        form=form,
        page=page,
        teller=Teller(labels, timezone),
        timezone=timezone,
    )
