"""The coordinator's facilitator accounts: list, create, sites, deactivate, invite."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from p4p.access import allow
from p4p.clock import now
from p4p.db import session as db
from p4p.forms import ConfirmForm
from p4p.modules.auth.accounts import (
    invite_progress,
    invite_refusal,
    send_invite,
    set_account_active,
)
from p4p.modules.auth.models import Role
from p4p.modules.auth.service import normalise_email
from p4p.modules.facilitators import service
from p4p.modules.facilitators.forms import DetailsForm, FacilitatorForm, SitesForm
from p4p.modules.sites.queries import all_sites
from p4p.phones import display_phone
from p4p.views import form_page, form_status, problems_on

bp = Blueprint("facilitators", __name__, url_prefix="/admin/facilitators")


def _send_invite(user) -> None:
    send_invite(db, user, actor_id=current_user.id, now=now())
    flash(_("The invite link to %(email)s is on its way.", email=user.email), "success")


@bp.route("")
@allow(Role.COORDINATOR, Role.ADMIN)
def facilitators():
    rows = service.facilitator_rows(db)
    invited = invite_progress(db, [row.user.id for row in rows])
    return render_template("coordinator/facilitators.html", rows=rows, invited=invited)


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def new_facilitator():
    form = FacilitatorForm(sites=all_sites(db))
    if form.validate_on_submit():
        with problems_on(form):
            user = service.create_facilitator(
                db,
                name=form.name.data.strip(),
                email=normalise_email(form.email.data),  # required by the form
                phone=(form.phone.data or "").strip() or None,
                site_ids=form.site_ids.data or [],
                actor_id=current_user.id,
                now=now(),
            )
        if not form.errors:
            flash(_("The account for %(name)s is saved.", name=user.name), "success")
            if form.send_invite.data:
                _send_invite(user)
            return redirect(url_for("facilitators.facilitator", user_id=user.id))
    return form_page("coordinator/facilitator_form.html", form)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def facilitator(user_id: int):
    """The account page; its main form changes the sites the facilitator serves."""
    user = service.facilitator_or_404(db, user_id)
    form = SitesForm(sites=all_sites(db))
    if not form.is_submitted():
        form.site_ids.data = service.site_ids_of(db, user.id)
    elif form.validate():
        changed = service.set_facilitator_sites(
            db, user, form.site_ids.data or [], actor_id=current_user.id, now=now()
        )
        flash(_("The sites are saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("facilitators.facilitator", user_id=user.id))
    return _facilitator_page(user, sites=form, status=form_status(form))


@bp.route("/<int:user_id>/details", methods=["POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def details(user_id: int):
    user = service.facilitator_or_404(db, user_id)
    form = DetailsForm(prefix="details")
    if not form.validate_on_submit():
        return _facilitator_page(user, details=form, status=422)
    changed = service.update_facilitator_details(
        db,
        user,
        name=form.name.data,
        phone=(form.phone.data or "").strip() or None,
        actor_id=current_user.id,
        now=now(),
    )
    flash(_("The name and phone are saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("facilitators.facilitator", user_id=user.id))


def _facilitator_page(user, *, sites=None, details=None, status=200):
    if sites is None:
        sites = SitesForm(formdata=None, sites=all_sites(db))
        sites.site_ids.data = service.site_ids_of(db, user.id)
    return render_template(
        "coordinator/facilitator.html",
        user=user,
        form=sites,
        details=details or _details_form(user),
        confirm=ConfirmForm(),
        invited_at=invite_progress(db, [user.id]).get(user.id),
        invite_refusal=invite_refusal(user),
    ), status


def _details_form(user) -> DetailsForm:
    form = DetailsForm(formdata=None, prefix="details", obj=user)
    form.phone.data = display_phone(user.phone)  # typed the way it is shown, not in E.164
    return form


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def reactivate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = service.facilitator_or_404(db, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    set_account_active(db, user, active, actor_id=current_user.id, now=now())
    if active:
        flash(_("%(name)s can log in again.", name=user.name), "success")
    else:
        flash(
            _("%(name)s can no longer log in; their sessions have ended.", name=user.name), "info"
        )
    return redirect(url_for("facilitators.facilitator", user_id=user.id))


@bp.route("/<int:user_id>/invite", methods=["POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def invite(user_id: int):
    user = service.facilitator_or_404(db, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refusal = invite_refusal(user)
    if refusal:
        flash(str(refusal), "warning")
    else:
        _send_invite(user)
    return redirect(url_for("facilitators.facilitator", user_id=user.id))
