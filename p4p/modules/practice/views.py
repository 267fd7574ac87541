"""Home practice log: the participant's records, which their group leader (facilitator) and
the study team also see; and the old address of the weekly check-in (now a questionnaire)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from p4p.access import allow
from p4p.clock import now
from p4p.db import session as db
from p4p.forms import ConfirmForm
from p4p.local_time import local_today
from p4p.modules.auth.models import Role
from p4p.modules.curriculum.service import get_program
from p4p.modules.instruments import service as instruments
from p4p.modules.participants.program_start import program_start_of
from p4p.modules.participants.service import participant_context
from p4p.modules.practice import service
from p4p.modules.practice.forms import PracticeForm
from p4p.pagination import requested_page
from p4p.views import form_page

bp = Blueprint("practice", __name__)


def _context():
    return participant_context(db, current_user.id, get_program(), now())


def _practice_form(context, obj=None) -> PracticeForm:
    participant = context.participant
    enrolled_on = local_today(participant.enrolled_at, participant.cohort.site.timezone)
    form = PracticeForm(obj=obj, earliest=enrolled_on, today=context.today)
    arm = get_program().arm(participant.arm)
    # Types from every week opened so far (week 1's before the program starts).
    weeks = context.open_weeks or list(arm.weeks[:1])
    types = arm.practice_types(reversed(weeks), str(get_locale() or "en"))
    form.practice_type.choices = [SelectChoice(t.key, t.label) for t in types]
    if obj is not None and obj.practice_type not in {t.key for t in types}:
        form.practice_type.choices.append(SelectChoice(obj.practice_type, obj.practice_type))
    if obj is None and form.practiced_on.data is None:
        form.practiced_on.data = context.today
    if obj is not None and not form.is_submitted():
        form.guided.data = "guided" if obj.guided else "self"
    return form


def _entry(form: PracticeForm) -> service.PracticeEntry:
    return service.PracticeEntry(
        practiced_on=form.practiced_on.data,
        practice_type=form.practice_type.data,
        minutes=form.minutes.data,
        guided=form.guided.data == "guided",
        pain_before=form.pain_before.data,
        pain_after=form.pain_after.data,
        note=(form.note.data or "").strip() or None,
    )


def _type_labels(context) -> dict[str, str]:
    arm = get_program().arm(context.participant.arm)
    return {t.key: t.label for t in arm.practice_types(arm.weeks, str(get_locale() or "en"))}


@bp.route("/practice", methods=["GET", "POST"])
@allow(Role.PARTICIPANT)
def log():
    context = _context()
    form = _practice_form(context)
    if form.validate_on_submit():
        service.add_practice(db, context.participant, _entry(form), now())
        flash(_("Your practice is saved. Nice work!"), "success")
        return redirect(url_for("practice.log"))
    return form_page(
        "practice/log.html",
        form,
        context=context,
        page=service.practice_page(db, context.participant.id, requested_page()),
        labels=_type_labels(context),
    )


@bp.route("/practice/<int:log_id>/edit", methods=["GET", "POST"])
@allow(Role.PARTICIPANT)
def edit(log_id: int):
    context = _context()
    entry = service.own_log_or_none(db, context.participant.id, log_id)
    if entry is None:
        abort(404)
    form = _practice_form(context, obj=entry)
    if form.validate_on_submit():
        service.update_practice(db, entry, _entry(form), now())
        flash(_("Your changes are saved."), "success")
        return redirect(url_for("practice.log"))
    return form_page("practice/edit.html", form, context=context, entry=entry)


@bp.route("/practice/<int:log_id>/delete", methods=["GET", "POST"])
@allow(Role.PARTICIPANT)
def delete(log_id: int):
    """GET asks first (a slip of the thumb on a phone must not lose an entry); POST deletes."""
    context = _context()
    entry = service.own_log_or_none(db, context.participant.id, log_id)
    if entry is None:
        abort(404)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template(
            "practice/delete.html", entry=entry, labels=_type_labels(context), form=form
        )
    if not form.validate_on_submit():
        abort(400)
    service.delete_practice(db, entry)
    flash(_("The entry is deleted."), "info")
    return redirect(url_for("practice.log"))


@bp.route("/check-in")
@allow(Role.PARTICIPANT)
def check_in():
    """The weekly check-in is the PEG questionnaire now: an old link (in a message sent
    earlier, a bookmark) goes to this week's while it is open, else to the questionnaires."""
    context = _context()
    program = get_program()
    participant = context.participant
    start = program_start_of(  # from the meetings already loaded: no query
        participant.cohort.meetings, participant.enrolled_at, participant.cohort.site.timezone
    )
    due, _sent = instruments.due_questionnaires(
        db, participant, program, context.states, start, context.today
    )
    if context.current is not None:
        occasion = instruments.week_occasion(context.current.number)
        if instruments.find_due(due, instruments.CHECK_IN, occasion) is not None:
            return redirect(
                url_for("instruments.resume", key=instruments.CHECK_IN, occasion=occasion)
            )
    return redirect(url_for("instruments.index"))
