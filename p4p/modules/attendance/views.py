"""The facilitator's screens: dashboard, attendance sheet, delivery record, make-ups, a participant."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from p4p.access import allow
from p4p.clock import now
from p4p.db import session as db
from p4p.forms import ConfirmForm
from p4p.local_time import local_datetime, local_today, to_utc
from p4p.modules.attendance import queries, service
from p4p.modules.attendance.forms import (
    CALL_OUTCOME_LABELS,
    CallForm,
    DeliveryForm,
    MakeupForm,
    read_sheet,
)
from p4p.modules.attendance.labels import MODE_LABELS, STATUS_LABELS, STATUS_SYMBOLS
from p4p.modules.attendance.rules import closed_reason
from p4p.modules.auth.models import STAFF_ROLES
from p4p.modules.curriculum.service import get_program
from p4p.modules.instruments.shown import occasion_label, text
from p4p.modules.sites.models import Cohort
from p4p.problems import Problems, show_on_form
from p4p.views import form_page, form_status

bp = Blueprint("attendance", __name__, url_prefix="/staff")
CLEAR_CHOICE = SelectChoice("scheduled", _l("Not recorded yet (clear this record)"))


def _user():
    return current_user._get_current_object()


def _language() -> str:
    return str(get_locale() or "en")


def _week(arm: str, number: int):
    """The week's content in the viewer's language (titles and section headings)."""
    return get_program().arm(arm).week(number, _language())


def _language_words() -> dict[str, str]:
    # In the viewer's language ("inglés"), unlike the language switch's own-name list.
    return {"en": _("English"), "es": _("Spanish")}


@bp.route("/")
@allow(*STAFF_ROLES)
def dashboard():
    moment = now()
    board = queries.dashboard(db, _user(), moment)
    follow_ups = queries.follow_up_list(db, _user(), moment, get_program())
    return render_template(
        "facilitator/dashboard.html",
        board=board,
        follow_ups=follow_ups,
        now=moment,
        week_title=lambda arm, number: _week(arm, number).title,
        language_words=_language_words(),
        outcome_labels=CALL_OUTCOME_LABELS,
        confirm=ConfirmForm(),
        occasion_label=occasion_label,
        text=text,
    )


def _render_sheet(meeting, form, *, values=None, errors=None, conflict=None, status=200):
    rows = service.sheet(db, meeting)
    return render_template(
        "facilitator/sheet.html",
        meeting=meeting,
        rows=rows,
        closed=closed_reason(meeting, now()),
        form=form,
        values=values or {},
        errors=errors or {},
        conflict=conflict,
        status_labels=STATUS_LABELS,
        status_symbols=STATUS_SYMBOLS,
        mode_labels=MODE_LABELS,
        content=_week(meeting.cohort.arm, meeting.week),
    ), status


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@allow(*STAFF_ROLES)
def sheet(meeting_id: int):
    meeting = service.meeting_in_scope(db, _user(), meeting_id)
    form = ConfirmForm()
    if request.method == "GET":
        return _render_sheet(meeting, form)
    if not form.validate_on_submit():
        abort(400)
    ids = [p.id for p, _a in service.sheet(db, meeting)]
    marks, errors = read_sheet(
        request.form, ids, fill_present=request.form.get("action") == "all-present"
    )
    if errors:
        return _render_sheet(meeting, form, values=marks, errors=errors, status=422)
    try:
        changed = service.save_sheet(db, meeting, marks, _user(), now())
    except Problems as refused:  # not started, cancelled, or someone not enrolled at it
        return _render_sheet(meeting, form, values=marks, errors=refused.problems, status=422)
    except service.SheetConflict as conflict:
        # Keep what this person chose, show what the other save changed, let them save again.
        return _render_sheet(meeting, form, values=marks, conflict=conflict, status=409)
    flash(_("Attendance saved (%(n)d changed).", n=changed), "success")
    return redirect(url_for("attendance.sheet", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/print")
@allow(*STAFF_ROLES)
def printable(meeting_id: int):
    meeting = service.meeting_in_scope(db, _user(), meeting_id)
    return render_template(
        "facilitator/print_sheet.html",
        meeting=meeting,
        rows=service.sheet(db, meeting),
        status_labels=STATUS_LABELS,
    )


@bp.route("/meetings/<int:meeting_id>/delivery", methods=["GET", "POST"])
@allow(*STAFF_ROLES)
def delivery(meeting_id: int):
    meeting = service.meeting_in_scope(db, _user(), meeting_id)
    week = _week(meeting.cohort.arm, meeting.week)
    form = DeliveryForm(
        status=meeting.status if meeting.status != "scheduled" else None,
        actual_minutes=meeting.actual_minutes,
        sections=meeting.sections_covered or [],
        note=meeting.delivery_notes,
    )
    form.sections.choices = [SelectChoice(s.id, s.heading) for s in week.sections]
    if meeting.status != "scheduled":  # a record made by mistake can be cleared
        form.status.choices = [*form.status.choices, CLEAR_CHOICE]
    marks_to_remove = None
    if form.validate_on_submit():
        try:
            service.record_delivery(
                db,
                meeting,
                status=form.status.data,
                actual_minutes=form.actual_minutes.data,
                sections=form.sections.data,
                note=(form.note.data or "").strip() or None,
                actor=_user(),
                now=now(),
                remove_marks=request.form.get("remove_marks") == "1",
            )
        except Problems as refused:
            show_on_form(form, refused)
        except service.CancelNeedsConfirmation as asked:
            marks_to_remove = asked.marks
        else:
            flash(_("The meeting record is saved."), "success")
            return redirect(url_for("attendance.sheet", meeting_id=meeting.id))
    page = render_template(
        "facilitator/delivery.html",
        meeting=meeting,
        form=form,
        week=week,
        closed=closed_reason(meeting, now()),
        marks_to_remove=marks_to_remove,
    )
    return page, 409 if marks_to_remove else form_status(form)


@bp.route("/participants/<int:participant_id>")
@allow(*STAFF_ROLES)
def participant(participant_id: int):
    person = service.participant_in_scope(db, _user(), participant_id)
    detail = queries.participant_detail(db, person, get_program(), now())
    from p4p.modules.reminders.surveys import surveys_done

    return render_template(
        "facilitator/participant.html",
        person=person,
        detail=detail,
        status_labels=STATUS_LABELS,
        status_symbols=STATUS_SYMBOLS,
        surveys=[
            (int(m), int(m) in surveys_done(db, person.id))
            for m in current_app.config["SURVEY_MONTHS"]
        ],
        confirm=ConfirmForm(),
        calls=queries.call_history(db, person.id),
        outcome_labels=CALL_OUTCOME_LABELS,
    )


@bp.route("/participants/<int:participant_id>/call", methods=["GET", "POST"])
@allow(*STAFF_ROLES)
def call(participant_id: int):
    person = service.participant_in_scope(db, _user(), participant_id)
    moment = now()
    timezone = person.cohort.site.timezone
    local_now = local_datetime(moment, timezone)
    form = CallForm(today=local_now.date())
    if request.method == "GET":
        form.called_on.data = local_now.date()
        form.called_time.data = local_now.time().replace(second=0, microsecond=0)
    if form.validate_on_submit():
        try:
            service.record_call(
                db,
                person,
                called_at=to_utc(form.called_on.data, form.called_time.data, timezone),
                outcome=form.outcome.data,
                note=form.note.data or None,
                actor=_user(),
                now=moment,
            )
        except Problems as refused:
            show_on_form(form, refused)
        else:
            flash(_("The call is recorded."), "success")
            return redirect(url_for("attendance.participant", participant_id=person.id))
    return form_page("facilitator/call.html", form, person=person)


@bp.route("/participants/<int:participant_id>/follow-up/dismiss", methods=["POST"])
@allow(*STAFF_ROLES)
def dismiss_follow_up(participant_id: int):
    person = service.participant_in_scope(db, _user(), participant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    moment = now()
    flagged = queries.follow_up_reasons(db, moment, [Cohort.id == person.cohort_id]).get(person.id)
    if flagged is None:
        flash(_("%(name)s is not on the follow-up list now.", name=person.user.name), "info")
    else:
        service.dismiss_follow_up(db, person, flagged.reasons, actor=_user(), now=moment)
        flash(
            _(
                "%(name)s is off the follow-up list until something new happens.",
                name=person.user.name,
            ),
            "success",
        )
    return redirect(url_for("attendance.dashboard"))


@bp.route("/participants/<int:participant_id>/makeup", methods=["GET", "POST"])
@allow(*STAFF_ROLES)
def makeup(participant_id: int):
    person = service.participant_in_scope(db, _user(), participant_id)
    moment = now()
    timezone = person.cohort.site.timezone
    detail = queries.participant_detail(db, person, get_program(), moment)
    missed = service.missed_meetings(
        person.cohort.meetings, detail.attendance, moment, person.enrolled_at
    )
    form = MakeupForm(
        today=local_today(moment, timezone),
        meeting_dates={m.id: local_datetime(m.starts_at, timezone).date() for m in missed},
    )
    form.meeting_id.choices = [SelectChoice(m.id, _("Week %(n)d", n=m.week)) for m in missed]
    status = form_status(form)
    if form.validate_on_submit():
        meeting = next(m for m in missed if m.id == form.meeting_id.data)
        try:
            service.record_makeup(
                db,
                person,
                meeting,
                made_up_on=form.made_up_on.data,
                how=form.how.data,
                actor=_user(),
                now=moment,
            )
        except service.MakeupConflict:
            # As a stale sheet: nothing saved, the person's choices kept, and a look first.
            form.meeting_id.errors = [
                _(
                    "Someone else recorded this week for this person just now. Check the record, then save again if it is still needed."
                )
            ]
            status = 409
        else:
            flash(_("The make-up is recorded."), "success")
            return redirect(url_for("attendance.participant", participant_id=person.id))
    page = render_template("facilitator/makeup.html", person=person, form=form, missed=missed)
    return page, status
