"""Reports for staff: study, site and cohort pages, and the CSV exports.

Coordinators and admins see every site; a facilitator sees the same reports for their own
sites only, and another site's report is a 404, as if it did not exist.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import get_locale
from flask_login import current_user

from p4p.access import allow, visible_site_ids
from p4p.clock import now
from p4p.db import session as db
from p4p.extensions import limiter
from p4p.forms import ConfirmForm
from p4p.modules.attendance.labels import STATUS_LABELS, STATUS_SYMBOLS
from p4p.modules.auth.models import STAFF_ROLES, Role
from p4p.modules.curriculum.service import get_program
from p4p.modules.instruments import shown
from p4p.modules.reports import answers, charts, exports, grid, redcap
from p4p.modules.reports.forms import ExportForm, filter_form
from p4p.modules.reports.outcomes import questionnaire_outcomes
from p4p.modules.reports.summary import summary_report

bp = Blueprint("reports", __name__, url_prefix="/reports")
OUTCOME_ROLES = (Role.COORDINATOR, Role.ADMIN)


def _staff_member() -> str:
    # Limits count per person, not per address: a site's staff may share one office network.
    user_id = getattr(current_user, "id", None)
    return f"user:{user_id}" if user_id is not None else f"address:{request.remote_addr}"


report_limit = limiter.shared_limit(
    lambda: current_app.config["REPORT_RATE_LIMIT"], scope="reports", key_func=_staff_member
)
export_limit = limiter.shared_limit(
    lambda: current_app.config["EXPORT_RATE_LIMIT"], scope="exports", key_func=_staff_member
)


@bp.record_once
def _refuse_bad_settings(state) -> None:
    problems = redcap.settings_problems(state.app.config)
    program = state.app.extensions.get("p4p.program")
    if not problems and program is not None:
        fields = redcap.Fields(program, state.app.config["REDCAP_FIELD_PREFIX"])
        problems = answers.field_name_problems(program, fields)
    if problems:
        raise ValueError("invalid export settings: " + "; ".join(problems))


def _site_ids():
    return visible_site_ids(db, current_user._get_current_object())


def _summary_page(site_id: int | None = None):
    site_ids = _site_ids()
    program = get_program()
    form = filter_form(db, site_ids, request.args, program, fixed_site=site_id)
    site = next((s for s in form.sites if s.id == site_id), None)
    if site_id is not None and site is None:
        abort(404)  # no such site, or not one of the facilitator's: the same answer
    if not form.validate():
        return render_template("reports/summary.html", form=form, report=None, site=site), 422
    moment = now()
    scope = form.scope(site_ids, moment)
    report = summary_report(db, scope, program, moment, current_app.config["COMPLETER_MIN_DOSE"])
    questionnaires = []
    # Outcomes by program are the trial's result: coordinators and admins only, not the
    # facilitators who deliver one program (they see their sites' delivery figures).
    if current_user.role in OUTCOME_ROLES:
        outcomes = questionnaire_outcomes(db, scope, program, moment)
        questionnaires = charts.questionnaire_charts(outcomes, str(get_locale() or "en"))
    return render_template(
        "reports/summary.html",
        form=form,
        site=site,
        report=report,
        attendance_charts=charts.attendance_charts(report),
        dose_charts=charts.dose_charts(report),
        practice_charts=charts.practice_charts(report),
        questionnaires=questionnaires,
        occasion_label=shown.occasion_label,
    )


@bp.route("/")
@allow(*STAFF_ROLES)
@report_limit
def study():
    return _summary_page()


@bp.route("/sites/<int:site_id>")
@allow(*STAFF_ROLES)
@report_limit
def site(site_id: int):
    return _summary_page(site_id)


@bp.route("/cohorts/<int:cohort_id>")
@allow(*STAFF_ROLES)
@report_limit
def cohort(cohort_id: int):
    chosen = grid.cohort_in_scope(db, _site_ids(), cohort_id)
    moment = now()
    report = grid.cohort_grid(db, chosen, get_program(), moment)
    return render_template(
        "reports/cohort.html",
        grid=report,
        attendance_chart=charts.cohort_chart(report),
        min_dose=current_app.config["COMPLETER_MIN_DOSE"],
        now=moment,
        status_labels=STATUS_LABELS,
        status_symbols=STATUS_SYMBOLS,
        export_form=ConfirmForm(),
    )


@bp.route("/exports")
@allow(*STAFF_ROLES)
def export_page():
    form = filter_form(db, _site_ids(), request.args, get_program(), ExportForm)
    return render_template("reports/exports.html", form=form)


@bp.route("/attendance.csv", methods=["GET", "POST"])
@allow(*STAFF_ROLES)
@export_limit
def attendance_csv():
    """The download is a POST with a CSRF token, because it writes to the audit trail; a GET
    (an old link, a bookmark, another site's image) only shows the form, filled in."""
    site_ids = _site_ids()
    program = get_program()
    if request.method == "GET":
        form = filter_form(db, site_ids, request.args, program, ExportForm, meta={"csrf": False})
        if request.args and not form.validate():
            return render_template("reports/exports.html", form=form), 422
        return render_template("reports/exports.html", form=form)
    form = filter_form(db, site_ids, request.form, program, ExportForm)
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return render_template("reports/exports.html", form=form), 422
    moment, fmt = now(), form.format.data
    exports.record_export(
        db,
        fmt=fmt,
        filters=form.filters().as_dict(),
        actor_id=current_user.id,
        via="web",
        now=moment,
    )
    chunks = exports.export_chunks(
        db, form.scope(site_ids, moment), fmt, program, current_app.config
    )
    filename = exports.export_filename(fmt, moment)
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
