import logging
from urllib.parse import urlsplit

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
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from p4p.access import allow, public
from p4p.clock import now
from p4p.db import session as db
from p4p.extensions import limiter
from p4p.forms import ConfirmForm
from p4p.logs import email_reference
from p4p.modules.auth import contact, devices, links, service
from p4p.modules.auth.forms import (
    ContactCodeForm,
    ContactEmailForm,
    ContactPhoneForm,
    LoginForm,
    NewPasswordForm,
    RequestResetForm,
)
from p4p.modules.auth.models import ContactField, Role, TokenPurpose
from p4p.modules.reminders.after_response import run_after_response
from p4p.views import form_status, problems_on

bp = Blueprint("auth", __name__)
log = logging.getLogger("p4p.auth")
ALL_ROLES = tuple(Role)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _device_limit() -> str:
    return current_app.config["LOGIN_DEVICE_RATE_LIMIT"]


def _safe_next(target: str | None) -> str | None:
    """Only a plain path on this site, so a crafted link cannot send people elsewhere after
    login, nor put a line break (a header of its own) into the redirect."""
    if not target or not target.isprintable() or not target.isascii():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target:  # browsers take a backslash for a slash
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
# Per address, every try; per account, failures from unknown browsers; per known device (the
# account's own cookie, see devices.py), its own failures, and nothing else ever blocks it.
@limiter.limit(_login_limit, methods=["POST"], exempt_when=devices.is_known)
@limiter.limit(
    _account_limit,
    key_func=devices.account_key,
    methods=["POST"],
    exempt_when=devices.is_known,
    deduct_when=devices.failed,
)
@limiter.limit(
    _device_limit,
    key_func=devices.device_key,
    methods=["POST"],
    exempt_when=devices.is_unknown,
    deduct_when=devices.failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(db, form.email.data, form.password.data)
        if user is None:
            log.warning("failed login for %s", email_reference(form.email.data))
            devices.note_failure()
            form.password.errors.append(
                _("That email or phone number and password do not match an account.")
            )
        else:
            session.clear()  # a fresh session at login, so an old cookie cannot be fixed on
            login_user(user)
            session.permanent = True
            session["login_at"] = now().timestamp()
            service.record_login(db, user, now())
            response = redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
            devices.remember(response, user)
            return response
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(*ALL_ROLES)
def logout():
    service.end_all_sessions(db, current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def _password_page(token: str, purpose: TokenPurpose, template: str):
    found = service.find_valid_token(db, token, purpose, now())
    if found is None:
        return render_template("auth/link_invalid.html", purpose=purpose), 410
    form = NewPasswordForm(email=found.user.email)
    if form.validate_on_submit():
        if service.set_password_with_token(db, found, form.password.data, now()) is None:
            # Another request used the link a moment ago.
            return render_template("auth/link_invalid.html", purpose=purpose), 410
        logout_user()
        session.clear()
        flash(_("Your password is set. Please log in."), "success")
        response = redirect(url_for("auth.login"))
        devices.remember(response, found.user)  # the emailed link proved it is theirs
        return response
    return render_template(template, form=form, user=found.user)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept_invite(token):
    return _password_page(token, TokenPurpose.INVITE, "auth/accept_invite.html")


@bp.route("/i/<token>", methods=["GET", "POST"])
@public
def short_invite(token):
    """The invite link as texted: short, so the message fits one SMS (links.render)."""
    return _password_page(token, TokenPurpose.INVITE, "auth/accept_invite.html")


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token):
    return _password_page(token, TokenPurpose.RESET, "auth/reset_password.html")


@bp.route("/r/<token>", methods=["GET", "POST"])
@public
def short_reset(token):
    return _password_page(token, TokenPurpose.RESET, "auth/reset_password.html")


@bp.route("/reset", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def request_reset():
    form = RequestResetForm()
    if form.validate_on_submit():
        # All of it after the response, so its timing does not tell who has an account.
        run_after_response(links.reset_after_response, form.email.data, now())
        # The same answer either way, so the page does not reveal who has an account (a phone
        # number gets words of its own: which kind was typed is no secret).
        if service.phone_of(form.email.data):
            flash(_("If that phone number has an account, we texted it a link."), "info")
        else:
            flash(_("If that email has an account, we sent it a link. Check your email."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/request_reset.html", form=form)


@bp.route("/language", methods=["POST"])
@public
def change_language():
    """The language switch: kept in the session, and on the account when logged in."""
    language = request.form.get("language", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    session["language"] = language
    if current_user.is_authenticated:
        service.set_language(db, current_user._get_current_object(), language, now())
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))


def _contact_page(email_form=None, phone_form=None, code_form=None, status=200):
    user = current_user._get_current_object()
    moment = now()
    return render_template(
        "auth/contact.html",
        user=user,
        email_form=email_form or ContactEmailForm(formdata=None, prefix="email"),
        phone_form=phone_form or ContactPhoneForm(formdata=None, prefix="phone"),
        code_form=code_form or ContactCodeForm(formdata=None, prefix="code"),
        email_waiting=contact.pending_change(db, user, ContactField.EMAIL, moment),
        phone_waiting=contact.pending_change(db, user, ContactField.PHONE, moment),
    ), status


@bp.route("/account/contact")
@allow(Role.PARTICIPANT)
def contact_details():
    return _contact_page()


def _ask_change(form, field: str, done: str, prefix: str):
    if form.validate_on_submit():
        with problems_on(form):
            contact.request_change(
                db, current_user._get_current_object(), field, form[prefix].data, now()
            )
        if not form.errors:
            flash(done, "info")
            return redirect(url_for("auth.contact_details"))
    return _contact_page(**{f"{prefix}_form": form}, status=form_status(form))


@bp.route("/account/contact/email", methods=["POST"])
@allow(Role.PARTICIPANT)
def change_email():
    return _ask_change(
        ContactEmailForm(prefix="email"),
        ContactField.EMAIL,
        _("We sent a link to your new email address. Open it to confirm the change."),
        "email",
    )


@bp.route("/account/contact/phone", methods=["POST"])
@allow(Role.PARTICIPANT)
def change_phone():
    return _ask_change(
        ContactPhoneForm(prefix="phone"),
        ContactField.PHONE,
        _("We texted a code to your new number. Type it below to confirm the change."),
        "phone",
    )


@bp.route("/account/contact/code", methods=["POST"])
@allow(Role.PARTICIPANT)
def confirm_phone():
    form = ContactCodeForm(prefix="code")
    if form.validate_on_submit():
        outcome = contact.confirm_code(
            db, current_user._get_current_object(), form.code.data, now()
        )
        if outcome == "confirmed":
            flash(_("Your phone number is changed."), "success")
            return redirect(url_for("auth.contact_details"))
        form.code.errors = [
            {
                "wrong": _("That code is not right. Check the text and try again."),
                "no tries": _(
                    "That code is not right, and that was the last try. Ask for a new code."
                ),
                "expired": _("That code has expired. Ask for a new code."),
            }[outcome]
        ]
        if outcome != "expired":
            # Not a 422: an error status rolls the request back (p4p.db), and the try it used
            # must be counted, as the login form's failures are, or tries would be unlimited.
            return _contact_page(code_form=form, status=200)
    return _contact_page(code_form=form, status=422)


@bp.route("/contact/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email(token):
    """The link mailed to a new address. Opening it shows a button: mail scanners that follow
    links do not confirm anything; the person does, logged in or not (the link proves it)."""
    change = contact.find_email_change(db, token, now())
    if change is None:
        return render_template("auth/contact_link_invalid.html"), 410
    form = ConfirmForm()
    if form.validate_on_submit():
        if not contact.confirm_email(db, change, now()):
            return render_template("auth/contact_link_invalid.html"), 410
        flash(_("Your email address is changed."), "success")
        if current_user.is_authenticated:
            return redirect(url_for("auth.contact_details"))
        return redirect(url_for("auth.login"))
    return render_template("auth/contact_confirm_email.html", form=form, change=change)
