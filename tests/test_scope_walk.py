"""Deny by default, walked: every route x every role x another site's (and participant's) ids.

A facilitator of site A and a participant of site A try every URL of the app with the ids of
site B's objects; nothing of site B may come back, and no object of site B may be changed.
"""

import re
from datetime import UTC, datetime

import pytest
from conftest import login
from sqlalchemy import func, select

from p4p.access import PUBLIC, ROLES_ATTR
from p4p.modules.attendance.models import Attendance, FollowUpCall, FollowUpDismissal
from p4p.modules.audit.models import AuditEvent
from p4p.modules.auth.models import Role
from p4p.modules.instruments.answer_models import InstrumentAnswer, InstrumentResponse
from p4p.modules.practice.models import PracticeLog
from p4p.modules.reminders.models import Reminder

OBJECT_PARAMS = {
    "meeting_id",
    "participant_id",
    "cohort_id",
    "site_id",
    "log_id",
    "user_id",
    "facilitator_id",
    "reminder_id",
    "response_id",
}
OTHER_PARAMS = {
    "number": 1,
    "months": 2,
    "token": "not-a-token",
    "practice": "belly-breathing",
    "key": "peg",
    "occasion": "week-3",
}


@pytest.fixture
def two_sites(factory, db, clock):
    sites = {}
    for key in ("a", "b"):
        site = factory.site(f"Site {key.upper()} Center")
        cohort = factory.cohort(site=site, name=f"Group {key.upper()}")
        people = [factory.participant(cohort) for _ in range(2)]
        for index, person in enumerate(people):
            person.user.name = f"Person {key.upper()}{index}"
        log = PracticeLog(
            participant_id=people[0].id,
            practiced_on=clock().date(),
            practice_type="body-scan",
            minutes=10,
            guided=False,
            created_at=clock(),
            updated_at=clock(),
        )
        db.add(log)
        facilitator = factory.facilitator(site)
        reminder = Reminder(
            key=f"survey:s2r1:u{people[0].user_id}:email",
            user_id=people[0].user_id,
            kind="survey",
            channel="email",
            payload={"participant_id": people[0].id, "months": 2},
            due_at=clock(),
            expires_at=datetime(2030, 1, 1, tzinfo=UTC),
            status="failed",
            attempts=6,
            created_at=clock(),
            updated_at=clock(),
        )
        db.add(reminder)
        response = InstrumentResponse(  # a questionnaire sent, with its answer and score
            participant_id=people[0].id,
            instrument="peg",
            occasion="week-2",
            started_at=clock(),
            submitted_at=clock(),
            scores={"peg_score": 5.0},
        )
        response.answers.append(InstrumentAnswer(item="peg_pain", number=5, answered_at=clock()))
        db.add(response)
        db.commit()
        sites[key] = {
            "site": site,
            "cohort": cohort,
            "people": people,
            "log": log,
            "facilitator": facilitator,
            "reminder": reminder,
            "response": response,
            "meeting": next(m for m in cohort.meetings if m.week == 2),
        }
    return sites


def _values(other) -> dict:
    return {
        "meeting_id": other["meeting"].id,
        "participant_id": other["people"][0].id,
        "cohort_id": other["cohort"].id,
        "site_id": other["site"].id,
        "log_id": other["log"].id,
        "user_id": other["facilitator"].id,
        "facilitator_id": other["facilitator"].id,
        "reminder_id": other["reminder"].id,
        "response_id": other["response"].id,
        **OTHER_PARAMS,
    }


def _markers(other) -> list[str]:
    return [
        other["site"].name,
        other["cohort"].name,
        *[p.user.name for p in other["people"]],
        *[p.study_id for p in other["people"]],
    ]


def _walk(app, client, other, relogin, user_ids=None):
    """(method, url, response, has object params, endpoint) for every non-static route;
    `user_ids` gives a blueprint's routes another account's id (the staff pages' accounts).

    Logging out is tested elsewhere; it is skipped here so that every other request is made
    by the logged-in person. A request bounced to /login is repeated after logging in again.
    """
    values = _values(other)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout"):
            continue
        unknown = set(rule.arguments) - set(values)
        assert not unknown, f"{rule.rule}: teach this test the parameter(s) {unknown}"
        arguments = {k: values[k] for k in rule.arguments}
        blueprint = rule.endpoint.partition(".")[0]
        if "user_id" in arguments and blueprint in (user_ids or {}):
            arguments["user_id"] = user_ids[blueprint]
        url = app.url_map.bind("localhost").build(rule.endpoint, arguments)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"status-1": "absent"})
            if response.status_code == 302 and response.headers["Location"].startswith("/login"):
                relogin()
                response = client.open(url, method=method, data={"status-1": "absent"})
            yield method, url, response, bool(set(rule.arguments) & OBJECT_PARAMS), rule.endpoint


def roles_of_endpoint(app, endpoint: str) -> frozenset:
    return getattr(app.view_functions[endpoint], ROLES_ATTR)


def _changes(db):
    db.expire_all()
    return (
        db.scalar(select(func.count(Attendance.id))),
        db.scalar(select(func.count(PracticeLog.id))),
        db.scalar(select(func.count(AuditEvent.id))),
        db.scalar(select(func.count(FollowUpCall.id))),
        db.scalar(select(func.count(FollowUpDismissal.id))),
        tuple(db.scalars(select(Reminder.status).order_by(Reminder.id))),
        db.scalar(select(func.count(InstrumentAnswer.id))),
    )


@pytest.mark.parametrize("role", ["facilitator", "participant"])
def test_no_route_leaks_or_changes_another_sites_objects(app, client, db, two_sites, role):
    mine, other = two_sites["a"], two_sites["b"]
    email = mine["facilitator"].email if role == "facilitator" else mine["people"][0].user.email

    def relogin():
        assert login(client, email).status_code == 302

    relogin()
    before = _changes(db)
    leaks, statuses = [], set()
    for method, url, response, has_object, _endpoint in _walk(app, client, other, relogin):
        statuses.add(response.status_code)
        body = response.get_data(as_text=True)
        if has_object and response.status_code not in (403, 404, 405, 410):
            leaks.append(f"{method} {url}: {response.status_code}")
        shown = [m for m in _markers(other) if re.search(rf"\b{re.escape(m)}\b", body)]
        if shown and response.status_code < 400:
            leaks.append(f"{method} {url}: shows {shown}")
    assert leaks == [], "\n".join(leaks)
    assert {403, 404} <= statuses and 200 in statuses  # the walk reached refusals and pages
    after = _changes(db)
    assert after[0] == before[0] and after[3] == before[3]  # no attendance or reminder changed
    assert after[6] == before[6]  # and no questionnaire answer written


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_are_refused_exactly_the_admins_routes_and_admins_none_of_staffs(
    app, client, db, factory, two_sites, role
):
    """Walked both ways: a coordinator gets 403 on every admin-only route (settings, staff
    accounts) and nowhere else a coordinator is allowed; an admin is refused no staff route."""
    me = factory.user(role)
    coordinator = factory.user("coordinator")  # the account the staff pages are walked with

    def relogin():
        assert login(client, me.email).status_code == 302

    relogin()
    wrong, admin_only_seen = [], 0
    walk = _walk(app, client, two_sites["b"], relogin, user_ids={"staff": coordinator.id})
    for method, url, response, _has_object, endpoint in walk:
        roles = roles_of_endpoint(app, endpoint)
        if roles == PUBLIC:
            continue
        admin_only_seen += roles == {Role.ADMIN}
        refused = response.status_code == 403
        if refused != (role not in roles):
            wrong.append(f"{method} {url}: {response.status_code}")
    assert wrong == [], "\n".join(wrong)
    assert admin_only_seen >= 12  # the staff pages and site settings were walked
