"""The admin's staff accounts: coordinators and admins (list, create, role, access, sessions)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from p4p.access import allow
from p4p.clock import now
from p4p.db import session as db
from p4p.forms import ConfirmForm
from p4p.modules.auth.accounts import invite_progress, invite_refusal, send_invite
from p4p.modules.auth.models import Role
from p4p.modules.auth.service import normalise_email
from p4p.modules.staff import service
from p4p.modules.staff.forms import DeactivateForm, RoleForm, StaffForm
from p4p.views import form_page, form_status, problems_on

bp = Blueprint("staff", __name__, url_prefix="/admin/staff")


@bp.route("")
@allow(Role.ADMIN)
def accounts():
    users = service.staff_accounts(db)
    invited = invite_progress(db, [user.id for user in users])
    return render_template("staff/accounts.html", users=users, invited=invited)


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_account():
    form = StaffForm()
    if form.validate_on_submit():
        with problems_on(form):
            user = service.create_staff(
                db,
                name=form.name.data,
                email=normalise_email(form.email.data),
                role=Role(form.role.data),
                actor_id=current_user.id,
                now=now(),
            )
        if not form.errors:
            send_invite(db, user, actor_id=current_user.id, now=now())
            flash(
                _(
                    "The account for %(name)s is saved; their invite link is on its way.",
                    name=user.name,
                ),
                "success",
            )
            return redirect(url_for("staff.account", user_id=user.id))
    return form_page("staff/account_form.html", form)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def account(user_id: int):
    """The account page; its main form changes the person's role."""
    user = service.staff_or_404(db, user_id)
    form = RoleForm(data={"role": user.role})
    if form.validate_on_submit():
        with problems_on(form):
            changed = service.set_staff_role(
                db, user, Role(form.role.data), actor_id=current_user.id, now=now()
            )
        if not form.errors:
            flash(_("The role is saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("staff.account", user_id=user.id))
    return _account_page(user, role=form, status=form_status(form))


def _account_page(user, *, role=None, access=None, status=200):
    return render_template(
        "staff/account.html",
        user=user,
        form=role or RoleForm(formdata=None, data={"role": user.role}),
        access=access or DeactivateForm(formdata=None),
        confirm=ConfirmForm(),
        invited_at=invite_progress(db, [user.id]).get(user.id),
        invite_refusal=invite_refusal(user),
        is_self=user.id == current_user.id,
    ), status


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@allow(Role.ADMIN)
def deactivate(user_id: int):
    user = service.staff_or_404(db, user_id)
    form = DeactivateForm()
    if not form.validate_on_submit():
        abort(400)
    with problems_on(form):
        service.set_staff_active(db, user, False, actor_id=current_user.id, now=now())
    if form.errors:
        return _account_page(user, access=form, status=422)
    flash(_("%(name)s can no longer log in; their sessions have ended.", name=user.name), "info")
    return redirect(url_for("staff.account", user_id=user.id))


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@allow(Role.ADMIN)
def reactivate(user_id: int):
    user = _confirmed(user_id)
    service.set_staff_active(db, user, True, actor_id=current_user.id, now=now())
    flash(_("%(name)s can log in again.", name=user.name), "success")
    return redirect(url_for("staff.account", user_id=user.id))


@bp.route("/<int:user_id>/sessions", methods=["POST"])
@allow(Role.ADMIN)
def end_sessions(user_id: int):
    user = _confirmed(user_id)
    service.end_sessions(db, user, actor_id=current_user.id, now=now())
    flash(_("Every session of %(name)s has ended; they log in again.", name=user.name), "info")
    return redirect(url_for("staff.account", user_id=user.id))


@bp.route("/<int:user_id>/invite", methods=["POST"])
@allow(Role.ADMIN)
def invite(user_id: int):
    user = _confirmed(user_id)
    if refusal := invite_refusal(user):
        flash(str(refusal), "warning")
    else:
        send_invite(db, user, actor_id=current_user.id, now=now())
        flash(_("The invite link to %(email)s is on its way.", email=user.email), "success")
    return redirect(url_for("staff.account", user_id=user.id))


def _confirmed(user_id: int):
    user = service.staff_or_404(db, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return user
