"""The participant's questionnaires: the list, one question a screen, review and submit.

Every screen is a plain form POST that saves and moves on, so it works without JavaScript.
A participant only ever reaches their own responses: the addresses name the questionnaire
and occasion (looked up for the logged-in person), or a response id checked to be theirs.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from p4p.access import allow
from p4p.clock import now
from p4p.db import session as db
from p4p.forms import ConfirmForm
from p4p.modules.auth.models import Role
from p4p.modules.curriculum.service import get_program
from p4p.modules.instruments import service
from p4p.modules.instruments.models import Instrument
from p4p.modules.instruments.shown import answer_rows, language, occasion_label, options, text
from p4p.modules.participants.program_start import program_start
from p4p.modules.participants.service import participant_context
from p4p.problems import Problems

bp = Blueprint("instruments", __name__, url_prefix="/questionnaires")


def _questionnaires():
    program = get_program()
    context = participant_context(db, current_user.id, program, now())
    participant = context.participant
    due, submitted = service.due_questionnaires(
        db, participant, program, context.states, program_start(db, participant), context.today
    )
    return participant, due, submitted


def _due_or_404(key: str, occasion: str):
    participant, due, submitted = _questionnaires()
    found = service.find_due(due, key, occasion)
    if found is None:
        abort(404)  # not open now for this person, or no such questionnaire in their arm
    return participant, found


def _answers_page(due: service.DueQuestionnaire):
    assert due.response is not None
    return redirect(url_for("instruments.answers", response_id=due.response.id))


@bp.route("")
@allow(Role.PARTICIPANT)
def index():
    _participant, due, submitted = _questionnaires()
    program = get_program()
    return render_template(
        "instruments/list.html",
        due=[d for d in due if not d.is_submitted],
        submitted=[(r, program.instruments.get(r.instrument)) for r in submitted],
        text=text,
        occasion_label=occasion_label,
    )


@bp.route("/<key>/<occasion>")
@allow(Role.PARTICIPANT)
def resume(key: str, occasion: str):
    """Start, or carry on at the first question not yet answered."""
    _participant, due = _due_or_404(key, occasion)
    if due.is_submitted:
        return _answers_page(due)
    number = service.first_unanswered(due.instrument, due.response)
    if number is None:
        return redirect(url_for("instruments.review", key=key, occasion=occasion))
    return redirect(url_for("instruments.question", key=key, occasion=occasion, number=number))


def _render_question(due, number: int, *, error=None, sent=None, status=200):
    instrument: Instrument = due.instrument
    item = instrument.items[number - 1]
    answers = service.answers_of(instrument, due.response)
    saved = answers.get(item.name)
    current = sent if sent is not None else None if saved is None else service.shown_answer(saved)
    return render_template(
        "instruments/question.html",
        due=due,
        title=text(instrument.title),
        intro=text(instrument.intro) if number == 1 and instrument.intro else None,
        occasion=occasion_label(due.occasion.occasion),
        item=item,
        item_text=text(item.text),
        options=options(item),
        number_range=(
            (service.shown_number(item.minimum), service.shown_number(item.maximum))
            if item.type == "number" and (item.minimum is not None or item.maximum is not None)
            else None
        ),
        number=number,
        total=len(instrument.items),
        current=current,
        error=error,
        then_review=request.values.get("then") == "review",
        form=ConfirmForm(),
        text=text,
    ), status


@bp.route("/<key>/<occasion>/<int:number>", methods=["GET", "POST"])
@allow(Role.PARTICIPANT)
def question(key: str, occasion: str, number: int):
    participant, due = _due_or_404(key, occasion)
    if not 1 <= number <= len(due.instrument.items):
        abort(404)
    if due.is_submitted:
        if request.method == "POST":
            flash(_("These answers are already sent and cannot be changed."), "info")
        return _answers_page(due)
    if request.method == "GET":
        return _render_question(due, number)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    item = due.instrument.items[number - 1]
    sent = request.form.get(service.ANSWER_FIELD, "")
    try:
        service.save_answer(db, participant, due, item, sent, now())
    except Problems as refused:
        message = str(refused.problems[service.ANSWER_FIELD])
        return _render_question(due, number, error=message, sent=sent, status=422)
    if request.form.get("then") == "review" or number == len(due.instrument.items):
        return redirect(url_for("instruments.review", key=key, occasion=occasion))
    return redirect(url_for("instruments.question", key=key, occasion=occasion, number=number + 1))


def _render_review(due, *, missing=(), status=200):
    instrument = due.instrument
    answers = service.answers_of(instrument, due.response)
    return render_template(
        "instruments/review.html",
        due=due,
        title=text(instrument.title),
        occasion=occasion_label(due.occasion.occasion),
        rows=answer_rows(instrument, answers),
        missing=missing,
        form=ConfirmForm(),
        text=text,
    ), status


@bp.route("/<key>/<occasion>/review", methods=["GET", "POST"])
@allow(Role.PARTICIPANT)
def review(key: str, occasion: str):
    _participant, due = _due_or_404(key, occasion)
    if due.is_submitted:
        if request.method == "POST":
            flash(_("These answers are already sent and cannot be changed."), "info")
        return _answers_page(due)
    if request.method == "GET":
        return _render_review(due)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.submit(db, due, language(), now())
    except Problems:
        missing = service.missing_required(due.instrument, due.response)
        return _render_review(due, missing=[text(item.text) for item in missing], status=422)
    flash(_("Thank you. Your answers are sent."), "success")
    return redirect(url_for("instruments.index"))


@bp.route("/answers/<int:response_id>")
@allow(Role.PARTICIPANT)
def answers(response_id: int):
    """A sent questionnaire, to read back; only one's own."""
    participant = participant_context(db, current_user.id, get_program(), now()).participant
    response = service.own_submitted_or_none(db, participant.id, response_id)
    instrument = get_program().instruments.get(response.instrument) if response else None
    if response is None or instrument is None:
        abort(404)
    return render_template(
        "instruments/answers.html",
        response=response,
        title=text(instrument.title),
        occasion=occasion_label(response.occasion),
        rows=answer_rows(instrument, service.answers_of(instrument, response)),
    )
