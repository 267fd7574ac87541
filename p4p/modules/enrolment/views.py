"""The coordinator's participant pages: list, enrol, reassign, withdraw and return, invite,
roster import."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from p4p.access import allow
from p4p.clock import now
from p4p.db import session as db
from p4p.forms import ConfirmForm
from p4p.modules.auth.accounts import clean_email, invite_progress, send_invite
from p4p.modules.auth.models import Role
from p4p.modules.curriculum.service import get_program
from p4p.modules.enrolment import queries, roster, service
from p4p.modules.enrolment.forms import (
    LANGUAGE_NAMES,
    AssignmentForm,
    ParticipantFilterForm,
    ParticipantForm,
    ReturnForm,
    RosterForm,
    WithdrawForm,
    stripped,
)
from p4p.modules.sites.queries import all_cohorts, all_sites
from p4p.pagination import requested_page
from p4p.phones import display_phone
from p4p.views import form_page, problems_on

bp = Blueprint("enrolment", __name__, url_prefix="/admin")


def _optional_int(value: str | None) -> int | None:
    return int(value) if value else None


@bp.route("/participants")
@allow(Role.COORDINATOR, Role.ADMIN)
def participants():
    program = get_program()
    form = ParticipantFilterForm(
        request.args, sites=all_sites(db), cohorts=all_cohorts(db), program=program
    )
    if not form.validate():
        return render_template("coordinator/participants.html", form=form, page=None), 422
    filters = queries.ParticipantFilters(
        site_id=_optional_int(form.site.data),
        cohort_id=_optional_int(form.cohort.data),
        arm=form.arm.data or None,
        status=form.status.data or None,
    )
    page = queries.participant_list(db, filters, requested_page())
    invited = invite_progress(db, [participant.user_id for participant in page.items])
    return render_template("coordinator/participants.html", form=form, page=page, invited=invited)


@bp.route("/participants/new", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def new_participant():
    program = get_program()
    form = ParticipantForm(cohorts=all_cohorts(db), program=program)
    if not form.is_submitted():
        preset = queries.cohort_or_none(db, request.args.get("cohort"))
        form.language.data = program.languages[0]
        if preset is not None:
            form.cohort_id.data, form.arm.data = str(preset.id), preset.arm
    if form.validate_on_submit():
        enrolment = service.Enrolment(
            study_id=stripped(form.study_id),
            name=stripped(form.name),
            email=clean_email(form.email.data),
            phone=stripped(form.phone) or None,
            language=form.language.data,
            arm=form.arm.data,
            cohort_id=int(form.cohort_id.data),
        )
        with problems_on(form):
            participant = service.enrol_participant(
                db,
                enrolment,
                program=program,
                actor_id=current_user.id,
                now=now(),
                finished_ok=form.finished_ok.data,
            )
        if not form.errors:
            flash(_("%(id)s is enrolled.", id=participant.study_id), "success")
            return redirect(url_for("enrolment.participant", participant_id=participant.id))
    return form_page("coordinator/participant_form.html", form)


def _participant_page(participant, *, assignment=None, withdraw=None, comeback=None, status=200):
    program = get_program()
    if assignment is None:
        assignment = AssignmentForm(
            formdata=None,
            prefix="assign",
            cohorts=all_cohorts(db),
            program=program,
            arm=participant.arm,
            cohort_id=str(participant.cohort_id),
        )
    return render_template(
        "coordinator/participant.html",
        participant=participant,
        assignment=assignment,
        withdraw=withdraw or WithdrawForm(formdata=None, prefix="withdraw"),
        comeback=comeback or ReturnForm(formdata=None, prefix="return"),
        confirm=ConfirmForm(),
        invited_at=invite_progress(db, [participant.user_id]).get(participant.user_id),
        invite_refusal=service.invite_refusal(participant),
        language_names=LANGUAGE_NAMES,
    ), status


@bp.route("/participants/<int:participant_id>")
@allow(Role.COORDINATOR, Role.ADMIN)
def participant(participant_id: int):
    return _participant_page(queries.participant_or_404(db, participant_id))


@bp.route("/participants/<int:participant_id>/assignment", methods=["POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def reassign(participant_id: int):
    participant = queries.participant_or_404(db, participant_id)
    program = get_program()
    form = AssignmentForm(prefix="assign", cohorts=all_cohorts(db), program=program)
    if form.validate_on_submit():
        with problems_on(form):
            service.change_assignment(
                db,
                participant,
                arm=form.arm.data,
                cohort=form.chosen_cohort,
                reason=form.reason.data,
                program=program,
                actor_id=current_user.id,
                now=now(),
            )
        if not form.errors:
            flash(_("The program and cohort are saved."), "success")
            return redirect(url_for("enrolment.participant", participant_id=participant.id))
    return _participant_page(participant, assignment=form, status=422)


@bp.route("/participants/<int:participant_id>/withdraw", methods=["POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def withdraw(participant_id: int):
    return _change_enrolment(
        participant_id, WithdrawForm(prefix="withdraw"), "withdraw", service.withdraw_participant,
        _("%(id)s is withdrawn. Their records are kept."), "info",
    )  # fmt: skip


@bp.route("/participants/<int:participant_id>/return", methods=["POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def comeback(participant_id: int):
    return _change_enrolment(
        participant_id, ReturnForm(prefix="return"), "comeback", service.return_participant,
        _("%(id)s is back in the study."), "success",
    )  # fmt: skip


def _change_enrolment(participant_id, form, page_form, change, done, category):
    """Withdraw or return: a reason form, the service's checks, and on a refusal the
    participant's page with `form` in the place of its `page_form`."""
    participant = queries.participant_or_404(db, participant_id)
    if form.validate_on_submit():
        with problems_on(form):
            change(db, participant, reason=form.reason.data, actor_id=current_user.id, now=now())
        if not form.errors:
            flash(done % {"id": participant.study_id}, category)
            return redirect(url_for("enrolment.participant", participant_id=participant.id))
    return _participant_page(participant, status=422, **{page_form: form})


@bp.route("/participants/<int:participant_id>/invite", methods=["POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def invite(participant_id: int):
    participant = queries.participant_or_404(db, participant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refusal = service.invite_refusal(participant)
    if refusal:
        flash(str(refusal), "warning")
    else:
        # The coordinator may choose a text for someone with both; anything else: the default.
        chosen = request.form.get("channel") if request.form.get("channel") == "sms" else None
        user = participant.user
        if send_invite(db, user, actor_id=current_user.id, now=now(), channel=chosen) == "sms":
            flash(
                _(
                    "The invite link is on its way by text to %(phone)s.",
                    phone=display_phone(user.phone),
                ),
                "success",
            )
        else:
            flash(_("The invite link to %(email)s is on its way.", email=user.email), "success")
    return redirect(url_for("enrolment.participant", participant_id=participant.id))


@bp.route("/roster", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def roster_import():
    form = RosterForm()
    problems = []
    if form.validate_on_submit():
        try:
            imported = roster.import_roster(
                db,
                form.file.data.read(),
                program=get_program(),
                actor_id=current_user.id,
                now=now(),
                finished_ok=form.finished_ok.data,
            )
        except roster.RosterRefused as refused:
            problems = refused.problems
        else:
            flash(
                ngettext(
                    "%(num)d participant is enrolled.",
                    "%(num)d participants are enrolled.",
                    len(imported),
                ),
                "success",
            )
            return redirect(url_for("enrolment.roster_invites"))
    return form_page(
        "coordinator/roster.html",
        form,
        problems=problems,
        columns=roster.COLUMNS,
        max_rows=roster.MAX_ROWS,
    )


@bp.route("/roster/invites", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def roster_invites():
    form = ConfirmForm()
    if form.validate_on_submit():
        waiting = queries.invite_queue(db)
        queued = service.send_invites(db, waiting, actor_id=current_user.id, now=now())
        message = ngettext(
            "%(num)d invite link is on its way; the participant list shows when each is sent.",
            "%(num)d invite links are on their way; the participant list shows when each is sent.",
            queued,
        )
        flash(message, "success")
        return redirect(url_for("enrolment.roster_invites"))
    waiting = queries.invite_queue(db)
    return form_page(
        "coordinator/roster_invites.html", form, waiting=waiting, batch=service.INVITE_BATCH
    )
