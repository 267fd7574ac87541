"""Reminder preferences, stop links, STOP texts, and the staff outbox."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from p4p.access import allow, public
from p4p.clock import now
from p4p.db import session as db
from p4p.extensions import csrf
from p4p.forms import ConfirmForm
from p4p.i18n import LANGUAGE_NAMES
from p4p.messaging.sms import signed_by_provider
from p4p.modules.auth.models import STAFF_ROLES, Role, User
from p4p.modules.auth.service import set_language
from p4p.modules.curriculum.service import get_program
from p4p.modules.reminders import preferences
from p4p.modules.reminders.forms import KIND_LABELS, PreferencesForm
from p4p.modules.reminders.messages import read_stop_token
from p4p.modules.reminders.models import Reminder, ReminderKind, ReminderStatus
from p4p.modules.reminders.queries import outbox_page
from p4p.modules.reminders.service import questionnaire_window_days, retry_failed
from p4p.modules.reminders.surveys import mark_survey_done
from p4p.views import form_page

bp = Blueprint("reminders", __name__)
OUTBOX_PAGE = 200


@bp.route("/preferences", methods=["GET", "POST"])
@allow(Role.PARTICIPANT)
def preferences_page():
    user = current_user._get_current_object()
    saved = preferences.preference_for(db, user.id)
    form = PreferencesForm(obj=saved)
    form.language.choices = [
        SelectChoice(code, LANGUAGE_NAMES.get(code, code))
        for code in current_app.config["LANGUAGES"]
    ]
    hidden = _kinds_switched_off()
    form.kinds_on.choices = [c for c in form.kinds_on.choices if c.value not in hidden]
    if not form.is_submitted():
        form.language.data = user.language
        form.email_on.data = saved.email_on if saved else True
        form.sms_on.data = saved.sms_on if saved else True
        form.kinds_on.data = [
            k for k in KIND_LABELS if not saved or k not in (saved.kinds_off or [])
        ]
    if form.validate_on_submit():
        # The language is the account's (pages, weeks, reminders), audited like the switch's.
        set_language(db, user, form.language.data, now())
        session["language"] = user.language
        preferences.save_preferences(
            db,
            user,
            email_on=form.email_on.data,
            sms_on=form.sms_on.data,
            quiet_start=form.quiet_start.data,
            quiet_end=form.quiet_end.data,
            # A kind not offered (switched off for the study) keeps the person's earlier choice.
            kinds_on=(form.kinds_on.data or [])
            + [k for k in hidden if not saved or k not in (saved.kinds_off or [])],
            now=now(),
        )
        with force_locale(user.language):  # this request was begun in the old language
            flash(_("Your reminder choices are saved."), "success")
        return redirect(url_for("reminders.preferences_page"))
    return form_page("reminders/preferences.html", form, user=user)


def _kinds_switched_off() -> set[str]:
    """Reminder kinds the study does not send now, so not offered as a choice."""
    off = set()
    if not int(current_app.config.get("REMINDER_SOON_HOURS") or 0):
        off.add(str(ReminderKind.MEETING_SOON))
    if not questionnaire_window_days(get_program()):  # the study asks no questionnaire in the app
        off.add(str(ReminderKind.QUESTIONNAIRE))
    return off


@bp.route("/stop/<token>", methods=["GET", "POST"])
@public
def stop(token):
    """The link in every reminder email; it works without logging in, and only for its own user."""
    found = read_stop_token(token)
    user = db.get(User, found[0]) if found else None
    if found is None or user is None:
        abort(404)
    with force_locale(user.language):  # the person's language, whatever the browser says
        return _stop_page(user, found[1])


def _stop_page(user: User, kind: str):
    form = ConfirmForm()
    if form.validate_on_submit():
        everything = request.form.get("scope") == "all-email"
        preferences.stop_kind(db, user, None if everything else kind, now())
        return render_template(
            "reminders/stopped.html", everything=everything, label=KIND_LABELS.get(kind)
        )
    return render_template("reminders/stop.html", form=form, label=KIND_LABELS.get(kind))


@bp.route("/sms/inbound", methods=["POST"])
@public
@csrf.exempt
def sms_inbound():
    """The SMS provider posts replies here (From, Body); STOP switches texts off for that number.
    Only a request signed with P4P_SMS_AUTH_TOKEN (X-Twilio-Signature over P4P_BASE_URL's form of
    this URL and the form) is the provider: no secret in the URL, so none in any log."""
    query = request.query_string.decode()
    url = current_app.config["BASE_URL"].rstrip("/") + request.path + (f"?{query}" if query else "")
    signature = request.headers.get("X-Twilio-Signature")
    if not signed_by_provider(current_app.config["SMS_AUTH_TOKEN"], url, request.form, signature):
        abort(403)
    changed = preferences.handle_sms_reply(
        db, request.form.get("From", ""), request.form.get("Body", ""), now()
    )
    return {"updated": changed}


@bp.route("/staff/outbox")
@allow(Role.COORDINATOR, Role.ADMIN)
def outbox():
    status = request.args.get("status", "planned")
    if status not in set(ReminderStatus):
        abort(404)
    rows, counts = outbox_page(db, status, OUTBOX_PAGE)
    return render_template(
        "reminders/outbox.html",
        rows=rows,
        status=status,
        counts=counts,
        statuses=list(ReminderStatus),
        form=ConfirmForm(),
        page_size=OUTBOX_PAGE,
    )


@bp.route("/staff/outbox/<int:reminder_id>/retry", methods=["POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def retry(reminder_id: int):
    reminder = db.get(Reminder, reminder_id)
    if reminder is None or reminder.status != ReminderStatus.FAILED:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    retry_failed(db, reminder, now())
    flash(_("The reminder will be sent again."), "success")
    return redirect(url_for("reminders.outbox", status="failed"))


@bp.route("/staff/participants/<int:participant_id>/surveys/<int:months>", methods=["POST"])
@allow(*STAFF_ROLES)
def survey_done(participant_id: int, months: int):
    """Mark a follow-up survey done for a participant of the staff member's own sites."""
    from p4p.modules.attendance.service import participant_in_scope

    person = participant_in_scope(db, current_user._get_current_object(), participant_id)
    if months not in [int(m) for m in current_app.config["SURVEY_MONTHS"]]:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mark_survey_done(db, person.id, months, current_user.id, now())
    flash(_("The %(n)d-month survey is marked done. Its reminders stop.", n=months), "success")
    return redirect(url_for("attendance.participant", participant_id=person.id))
