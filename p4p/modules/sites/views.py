"""Sites, cohorts and meetings. Coordinators and admins run cohorts and meetings; adding or
editing a site (its time zone retimes every upcoming meeting) is a study setting, for admins."""

from babel.dates import get_day_names
from babel.lists import format_list
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from p4p.access import allow
from p4p.clock import now
from p4p.db import session as db
from p4p.local_time import local_datetime, to_utc
from p4p.modules.auth.models import Role
from p4p.modules.curriculum.service import get_program
from p4p.modules.sites import meetings, queries, service
from p4p.modules.sites.checks import suggested_timezones
from p4p.modules.sites.forms import (
    CancelMeetingForm,
    CohortDetailsForm,
    CohortFilterForm,
    CohortForm,
    MeetingModeForm,
    MoveMeetingForm,
    SiteForm,
)
from p4p.modules.sites.models import MeetingMode
from p4p.pagination import requested_page
from p4p.views import form_page, problems_on

bp = Blueprint("sites", __name__, url_prefix="/admin")


@bp.context_processor
def _day_names():
    # Monday is 0 in both Python and Babel, as in Cohort.weekday.
    locale = str(get_locale() or "en")
    names = get_day_names("wide", locale=locale)

    def meeting_days(cohort) -> str:
        """ "Tuesday", or "Monday and Thursday" for a cohort of an arm that meets on those."""
        days = get_program().arm(cohort.arm).rhythm.weekdays or (cohort.weekday,)
        return format_list([names[day] for day in days], locale=locale)

    return {"day_names": names, "meeting_days": meeting_days}


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


@bp.route("/sites")
@allow(Role.COORDINATOR, Role.ADMIN)
def sites():
    counts = queries.cohort_counts_by_site(db)
    return render_template("coordinator/sites.html", sites=queries.all_sites(db), counts=counts)


def _site_page(form, site=None):
    return form_page("coordinator/site_form.html", form, site=site, timezones=suggested_timezones())


@bp.route("/sites/new", methods=["GET", "POST"])
@allow(Role.ADMIN)  # study settings: see README, Roles
def new_site():
    form = SiteForm()
    if form.validate_on_submit():
        with problems_on(form):
            service.create_site(
                db,
                name=form.name.data,
                timezone=form.timezone.data.strip(),
                address=_text(form.address.data),
                now=now(),
                actor_id=current_user.id,
            )
        if not form.errors:
            flash(_("The site is saved."), "success")
            return redirect(url_for("sites.sites"))
    return _site_page(form)


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)  # study settings: see README, Roles
def edit_site(site_id: int):
    site = queries.site_or_404(db, site_id)
    form = SiteForm(obj=site)
    if form.validate_on_submit():
        with problems_on(form):
            changed = service.update_site(
                db,
                site,
                name=form.name.data,
                timezone=form.timezone.data.strip(),
                address=_text(form.address.data),
                now=now(),
                actor_id=current_user.id,
            )
        if not form.errors:
            flash(_("The site is saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("sites.sites"))
    return _site_page(form, site)


@bp.route("/cohorts")
@allow(Role.COORDINATOR, Role.ADMIN)
def cohorts():
    arms = get_program().arms.values()
    form = CohortFilterForm(request.args, sites=queries.all_sites(db), arms=arms)
    valid = form.validate()
    page = None
    if valid:
        site_id = int(form.site.data) if form.site.data else None
        page = queries.cohort_rows(db, site_id, form.arm.data or None, requested_page())
    return render_template("coordinator/cohorts.html", form=form, page=page), 200 if valid else 422


@bp.route("/cohorts/new", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def new_cohort():
    program = get_program()
    form = CohortForm(
        sites=queries.all_sites(db),
        arms=program.arms.values(),
        duration_minutes=program.session_minutes,
    )
    if form.validate_on_submit():
        with problems_on(form):
            cohort = service.create_cohort(
                db,
                program=program,
                site=queries.site_or_404(db, form.site_id.data),
                arm=form.arm.data,
                name=form.name.data,
                start_date=form.start_date.data,
                weekday=form.weekday.data,
                local_start_time=form.local_start_time.data,
                duration_minutes=form.duration_minutes.data,
                location=_text(form.location.data),
                video_link=_text(form.video_link.data),
                now=now(),
                actor_id=current_user.id,
            )
        if not form.errors:
            flash(_("The cohort and its meetings are saved."), "success")
            return redirect(url_for("sites.cohort", cohort_id=cohort.id))
    return form_page("coordinator/cohort_form.html", form)


@bp.route("/cohorts/<int:cohort_id>")
@allow(Role.COORDINATOR, Role.ADMIN)
def cohort(cohort_id: int):
    page = queries.cohort_page(db, cohort_id)
    return render_template("coordinator/cohort.html", page=page, now=now())


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def edit_cohort(cohort_id: int):
    cohort = queries.cohort_or_404(db, cohort_id)
    form = CohortDetailsForm(obj=cohort)
    if form.validate_on_submit():
        with problems_on(form):
            changed = service.update_cohort(
                db,
                cohort,
                name=form.name.data,
                location=_text(form.location.data),
                video_link=_text(form.video_link.data),
                now=now(),
                actor_id=current_user.id,
            )
        if not form.errors:
            flash(_("The cohort is saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("sites.cohort", cohort_id=cohort.id))
    return form_page("coordinator/cohort_edit.html", form, cohort=cohort)


def _meeting_page(meeting, move_form=None, mode_form=None, cancel_form=None, status=200):
    local = local_datetime(meeting.starts_at, meeting.cohort.site.timezone)
    move_form = move_form or MoveMeetingForm(
        formdata=None, prefix="move", date=local.date(), time=local.time().replace(tzinfo=None)
    )
    other_mode = MeetingMode.IN_PERSON if meeting.mode == MeetingMode.VIDEO else MeetingMode.VIDEO
    mode_form = mode_form or MeetingModeForm(
        formdata=None, prefix="mode", mode=other_mode.value, video_link=meeting.cohort.video_link
    )
    cancel_form = cancel_form or CancelMeetingForm(formdata=None, prefix="cancel")
    return render_template(
        "coordinator/meeting.html",
        meeting=meeting,
        move_form=move_form,
        mode_form=mode_form,
        cancel_form=cancel_form,
        started=meeting.starts_at <= now(),
    ), status


@bp.route("/meetings/<int:meeting_id>/move", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def move_meeting(meeting_id: int):
    meeting = queries.meeting_or_404(db, meeting_id)
    form = MoveMeetingForm(prefix="move")
    if form.validate_on_submit():
        starts_at = to_utc(form.date.data, form.time.data, meeting.cohort.site.timezone)
        with problems_on(form):
            meetings.move_meeting(db, meeting, starts_at, form.reason.data, current_user.id, now())
        if not form.errors:
            flash(_("Week %(n)d is moved.", n=meeting.week), "success")
            return redirect(url_for("sites.cohort", cohort_id=meeting.cohort_id))
    if not form.is_submitted():
        return _meeting_page(meeting)
    return _meeting_page(meeting, move_form=form, status=422)


@bp.route("/meetings/<int:meeting_id>/mode", methods=["POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def meeting_mode(meeting_id: int):
    meeting = queries.meeting_or_404(db, meeting_id)
    form = MeetingModeForm(prefix="mode")
    if form.validate_on_submit():
        with problems_on(form):
            meetings.set_meeting_mode(
                db,
                meeting,
                form.mode.data,
                form.reason.data,
                current_user.id,
                now(),
                video_link=_text(form.video_link.data),
            )
        if not form.errors:
            flash(_("Week %(n)d's meeting mode is changed.", n=meeting.week), "success")
            return redirect(url_for("sites.cohort", cohort_id=meeting.cohort_id))
    return _meeting_page(meeting, mode_form=form, status=422)


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@allow(Role.COORDINATOR, Role.ADMIN)
def cancel_meeting(meeting_id: int):
    meeting = queries.meeting_or_404(db, meeting_id)
    form = CancelMeetingForm(prefix="cancel")
    if form.validate_on_submit():
        with problems_on(form):
            meetings.cancel_meeting(db, meeting, form.reason.data, current_user.id, now())
        if not form.errors:
            flash(
                _("Week %(n)d's meeting is cancelled; its participants are told.", n=meeting.week),
                "success",
            )
            return redirect(url_for("sites.cohort", cohort_id=meeting.cohort_id))
    return _meeting_page(meeting, cancel_form=form, status=422)
