"""Deny by default, walked: every route x every role x another site's (and participant's) ids.

A facilitator of site A and a participant of site A try every URL of the app with the ids of
site B's objects; nothing of site B may come back, and no object of site B may be changed.
"""

import re
from datetime import UTC, datetime

import pytest
from conftest import login
from sqlalchemy import func, select

from p4p.modules.attendance.models import Attendance, FollowUpCall, FollowUpDismissal
from p4p.modules.audit.models import AuditEvent
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
}
OTHER_PARAMS = {"number": 1, "months": 2, "token": "not-a-token", "practice": "belly-breathing"}


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
        db.commit()
        sites[key] = {
            "site": site,
            "cohort": cohort,
            "people": people,
            "log": log,
            "facilitator": facilitator,
            "reminder": reminder,
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
        **OTHER_PARAMS,
    }


def _markers(other) -> list[str]:
    return [
        other["site"].name,
        other["cohort"].name,
        *[p.user.name for p in other["people"]],
        *[p.study_id for p in other["people"]],
    ]


def _walk(app, client, other, relogin):
    """(method, url, response, has object params) for every non-static route.

    Logging out is tested elsewhere; it is skipped here so that every other request is made
    by the logged-in person. A request bounced to /login is repeated after logging in again.
    """
    values = _values(other)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout"):
            continue
        unknown = set(rule.arguments) - set(values)
        assert not unknown, f"{rule.rule}: teach this test the parameter(s) {unknown}"
        url = app.url_map.bind("localhost").build(
            rule.endpoint, {k: values[k] for k in rule.arguments}
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"status-1": "absent"})
            if response.status_code == 302 and response.headers["Location"].startswith("/login"):
                relogin()
                response = client.open(url, method=method, data={"status-1": "absent"})
            yield method, url, response, bool(set(rule.arguments) & OBJECT_PARAMS)


def _changes(db):
    db.expire_all()
    return (
        db.scalar(select(func.count(Attendance.id))),
        db.scalar(select(func.count(PracticeLog.id))),
        db.scalar(select(func.count(AuditEvent.id))),
        db.scalar(select(func.count(FollowUpCall.id))),
        db.scalar(select(func.count(FollowUpDismissal.id))),
        tuple(db.scalars(select(Reminder.status).order_by(Reminder.id))),
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
    for method, url, response, has_object in _walk(app, client, other, relogin):
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
