"""The participant's own pages: this week, all weeks, one week, progress."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from p4p.access import allow
from p4p.charts import bar_chart, line_chart
from p4p.clock import now
from p4p.db import session as db
from p4p.forms import ConfirmForm
from p4p.modules.auth.models import Role
from p4p.modules.curriculum.service import AUDIO_TYPES, audio_path, content_dir_of, get_program
from p4p.modules.instruments import queries as instrument_queries
from p4p.modules.instruments import service as instruments
from p4p.modules.instruments.shown import occasion_label
from p4p.modules.instruments.shown import text as in_reader_language
from p4p.modules.participants import queries, service
from p4p.modules.practice import service as practice
from p4p.modules.practice.forms import ActionPlanForm, PlanOutcomeForm

bp = Blueprint("participants", __name__)


def _context():
    return service.participant_context(db, current_user.id, get_program(), now())


def _language() -> str:
    return str(get_locale() or "en")


@bp.route("/home")
@allow(Role.PARTICIPANT)
def this_week():
    """Rendered from the database on every visit: one query for the page, one for the week's
    practice (besides the user loader's)."""
    program = get_program()
    moment = now()
    home = service.home_page(queries.home_rows(db, current_user.id), program, moment)
    if home is None:
        abort(404)  # a participant account without a participant record
    current, week_practice = home.current, None
    if current is not None and current.opens_on is not None and current.ends_on is not None:
        week_practice = queries.practice_between(
            db, home.participant_id, current.opens_on, min(current.ends_on, home.today)
        )
    arm = program.arm(home.arm)
    return render_template(
        "participants/this_week.html",
        questionnaires_open=instruments.unanswered_count_for_home(db, home, program),
        check_in=instruments.check_in_for_home(home, program),
        check_in_key=instruments.CHECK_IN,
        home=home,
        arm=arm,
        content=arm.week(current.number, _language()) if current else None,
        week_practice=week_practice,
        changes=queries.meeting_changes(db, home.participant_id, moment),
    )


@bp.route("/weeks")
@allow(Role.PARTICIPANT)
def weeks():
    context = _context()
    arm = get_program().arm(context.participant.arm)
    return render_template(
        "participants/weeks.html", context=context, arm=arm, language=_language()
    )


def _open_state_or_404(context, number: int):
    state = context.state(number)
    if state is None or not state.is_open:
        abort(404)  # no such week in the participant's own arm, or not open yet
    return state


def _render_week(context, number: int, *, plan_form=None, outcome_form=None, status=200):
    arm = get_program().arm(context.participant.arm)
    plans = practice.plans_by_week(db, context.participant.id)
    plan, previous = plans.get(number), plans.get(number - 1)
    page = render_template(
        "participants/week.html",
        context=context,
        state=context.state(number),
        content=arm.week(number, _language()),
        plan=plan,
        plan_form=plan_form or ActionPlanForm(obj=plan),
        previous_plan=previous,
        outcome_form=outcome_form
        or PlanOutcomeForm(outcome=previous.outcome if previous else None),
        done_form=ConfirmForm(),
        confident_enough=practice.CONFIDENT_ENOUGH,
        safety_note_kind=arm.safety_notes.get(number),
        changes=queries.meeting_changes(db, context.participant.id, now()),
    )
    return page, status


@bp.route("/weeks/<int:number>")
@allow(Role.PARTICIPANT)
def week(number: int):
    context = _context()
    state = context.state(number)
    if state is None:
        abort(404)  # the participant's own arm has no such week; the other arm is never looked at
    if not state.is_open:
        title = get_program().arm(context.participant.arm).week(number, _language()).title
        return render_template(
            "participants/week_locked.html", context=context, state=state, title=title
        )
    return _render_week(context, number)


@bp.route("/weeks/<int:number>/audio/<practice>")
@allow(Role.PARTICIPANT)
def guide_audio(number: int, practice: str):
    """The study's recording of a guide, from the participant's own arm and open weeks only.

    send_file answers Range requests (206), so a phone can seek and resume the recording.
    """
    context = _context()
    _open_state_or_404(context, number)
    week = get_program().arm(context.participant.arm).week(number, _language())
    audio = next((g.audio for g in week.guides if g.practice == practice and g.audio), None)
    if audio is None:
        abort(404)
    path = audio_path(content_dir_of(current_app), audio)
    if not path.is_file():
        abort(404)  # removed after start-up; `curriculum check` reports it
    return send_file(path, mimetype=AUDIO_TYPES[path.suffix.lower()], conditional=True, max_age=0)


@bp.route("/weeks/<int:number>/plan", methods=["POST"])
@allow(Role.PARTICIPANT)
def save_plan(number: int):
    context = _context()
    _open_state_or_404(context, number)
    form = ActionPlanForm()
    if not form.validate_on_submit():
        return _render_week(context, number, plan_form=form, status=422)
    plan = practice.save_action_plan(db, context.participant, number, form.data, now())
    if plan.confidence < practice.CONFIDENT_ENOUGH:
        flash(
            _(
                "Your plan is saved. You gave it %(n)d out of 10: try making it a bit smaller, "
                "so you feel sure you can do it.",
                n=plan.confidence,
            ),
            "warning",
        )
    else:
        flash(_("Your plan is saved. You can do this!"), "success")
    return redirect(url_for("participants.week", number=number, _anchor="action-plan"))


@bp.route("/weeks/<int:number>/plan/outcome", methods=["POST"])
@allow(Role.PARTICIPANT)
def save_plan_outcome(number: int):
    """At week n, say how the plan of week n-1 went."""
    context = _context()
    _open_state_or_404(context, number)
    previous = practice.plans_by_week(db, context.participant.id).get(number - 1)
    if previous is None:
        abort(404)
    form = PlanOutcomeForm()
    if not form.validate_on_submit():
        return _render_week(context, number, outcome_form=form, status=422)
    practice.set_plan_outcome(db, previous, form.outcome.data, now())
    flash(_("Thank you. Your answer is saved."), "success")
    return redirect(url_for("participants.week", number=number, _anchor="last-plan"))


@bp.route("/weeks/<int:number>/done", methods=["POST"])
@allow(Role.PARTICIPANT)
def mark_done(number: int):
    context = _context()
    _open_state_or_404(context, number)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    done = request.form.get("done") == "1"
    service.set_week_done(db, context.participant, number, done, now())
    flash(
        _("Week %(n)d is marked done. Well done!", n=number)
        if done
        else _("Week %(n)d is no longer marked done.", n=number),
        "success",
    )
    return redirect(url_for("participants.week", number=number))


@bp.route("/help")
@allow(Role.PARTICIPANT)
def help_page():
    """What the app is, who sees what, how to reach the study team and stop reminders; then the
    "When to get help" block. Linked from home and every page's footer."""
    phone = current_app.config.get("STUDY_PHONE") or None
    return render_template(
        "participants/help.html",
        study_phone=phone,
        study_phone_link=_dialable(phone) if phone else None,
        study_email=current_app.config.get("STUDY_EMAIL") or None,
    )


def _dialable(phone: str) -> str:
    """A tel: link's number: a phone dials digits (and a leading +), not the spaces or dashes
    a coordinator types to make the number readable."""
    digits = "".join(c for c in phone if c.isdigit())
    return f"+{digits}" if phone.strip().startswith("+") else digits


@bp.route("/progress")
@allow(Role.PARTICIPANT)
def progress():
    context = _context()
    arm = get_program().arm(context.participant.arm)
    language = _language()
    by_week = queries.practice_by_week(db, context.participant.id, context.states)
    responses = instruments.responses_by_occasion(db, context.participant.id)
    checks = instrument_queries.check_in_scores(responses)
    attendance = queries.attendance_by_week(db, context.participant.id, now())
    attended, made_up = queries.meetings_attended(attendance)
    shown = [s for s in context.states if s.is_open] or context.states[:1]
    week_label = _("Wk %(n)d")
    minutes_chart = bar_chart(
        _("Practice minutes by week"),
        _("minutes"),
        [(week_label % {"n": s.number}, by_week[s.number].minutes) for s in shown],
        floor=30,
        target=None,
    )
    check_chart = line_chart(
        _("Your weekly check: average score"),
        _("score 0 to 10"),
        [(week_label % {"n": s.number}, checks.get(s.number)) for s in shown],
        maximum=10,
    )
    return render_template(
        "participants/progress.html",
        context=context,
        arm=arm,
        language=language,
        by_week=by_week,
        checks=checks,
        attendance=attendance,
        attended=attended,
        made_up=made_up,
        done_count=sum(1 for s in context.states if s.is_done),
        minutes_chart=minutes_chart,
        check_chart=check_chart,
        total_minutes=sum(p.minutes for p in by_week.values()),
        questionnaires=instrument_queries.occasion_history(
            context.participant, get_program(), context.states, context.today, responses
        ),
        occasion_label=occasion_label,
        title_of=lambda instrument: in_reader_language(instrument.title),
    )
