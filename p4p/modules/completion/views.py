"""Questionnaire completion for staff: by site and cohort, then each person's occasions (done,
due, missed), and a sent response's answers and scores.

Participants are told "Your group leader and the study team can see your answers. Nobody else
can." (templates/instruments/_who_sees.html): a facilitator sees their own sites' people only,
coordinators and admins the study's; anything else is a 404.
"""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from p4p.access import allow
from p4p.clock import now
from p4p.db import session as db
from p4p.modules.auth.models import STAFF_ROLES
from p4p.modules.completion import queries
from p4p.modules.completion.service import completion
from p4p.modules.curriculum.service import get_program
from p4p.modules.instruments.service import answers_of
from p4p.modules.instruments.shown import answer_rows, occasion_label, text
from p4p.modules.sites.service import cohorts_for

bp = Blueprint("completion", __name__, url_prefix="/staff/questionnaires")


def _user():
    return current_user._get_current_object()


@bp.route("")
@allow(*STAFF_ROLES)
def index():
    """Counts by site and by cohort, for the user's sites."""
    cohorts = cohorts_for(db, _user())
    participants = queries.participants_of(db, [c.id for c in cohorts])
    found = completion(db, participants, get_program(), now())
    sites = {c.site_id: c.site for c in cohorts}
    return render_template(
        "completion/index.html",
        cohorts=cohorts,
        sites=sorted(sites.values(), key=lambda site: site.name),
        found=found,
        asked=any(instrument.schedule for instrument in get_program().instruments.values()),
    )


@bp.route("/cohorts/<int:cohort_id>")
@allow(*STAFF_ROLES)
def cohort(cohort_id: int):
    """Each participant of the cohort and each occasion that has opened for them."""
    found_cohort = queries.cohort_in_scope(db, _user(), cohort_id)
    if found_cohort is None:
        abort(404)
    participants = queries.participants_of(db, [found_cohort.id])
    found = completion(db, participants, get_program(), now())
    return render_template(
        "completion/cohort.html",
        cohort=found_cohort,
        participants=participants,
        found=found,
        occasion_label=occasion_label,
        text=text,
    )


@bp.route("/responses/<int:response_id>")
@allow(*STAFF_ROLES)
def response(response_id: int):
    """A sent questionnaire's answers and scores."""
    found = queries.response_in_scope(db, _user(), response_id)
    instrument = get_program().instruments.get(found.instrument) if found else None
    if found is None or instrument is None:
        abort(404)
    scores = [(score.name, (found.scores or {}).get(score.name)) for score in instrument.scores]
    return render_template(
        "completion/response.html",
        response=found,
        person=found.participant,
        title=text(instrument.title),
        occasion=occasion_label(found.occasion),
        rows=answer_rows(instrument, answers_of(instrument, found)),
        scores=scores,
    )
