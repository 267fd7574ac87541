"""Only coordinators and admins reach /admin: facilitators and participants get 403 on every
page and every action, visitors are sent to log in, and a missing object is 404."""

import pytest
from coordinator_helpers import ADMIN_PAGES, ADMIN_POSTS, as_role, events, small_study
from sqlalchemy import select

from p4p.access import ROLES_ATTR
from p4p.modules.auth.models import Role, User


@pytest.fixture
def ids(factory):
    return small_study(factory)


def test_every_admin_route_is_for_coordinators_and_admins_only(app):
    admin_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]
    assert len(admin_rules) >= 20
    for rule in admin_rules:
        roles = getattr(app.view_functions[rule.endpoint], ROLES_ATTR)
        assert roles == {Role.COORDINATOR, Role.ADMIN}, rule.rule


@pytest.mark.parametrize("role", ["facilitator", "participant"])
def test_facilitators_and_participants_get_403_on_every_admin_page(factory, client, ids, role):
    as_role(factory, client, role)
    for path in ADMIN_PAGES:
        assert client.get(path.format(**ids)).status_code == 403, path


@pytest.mark.parametrize("role", ["facilitator", "participant"])
def test_facilitators_and_participants_get_403_on_every_admin_action_and_change_nothing(
    db, factory, client, ids, role
):
    as_role(factory, client, role)
    before = len(events(db))
    for path in ADMIN_POSTS:
        response = client.post(path.format(**ids), data={"reason": "x", "name": "x"})
        assert response.status_code == 403, path
    assert len(events(db)) == before
    db.expire_all()
    assert db.scalar(select(User.active).where(User.id == ids["facilitator"])) is True


def test_visitors_are_sent_to_log_in(client, ids):
    for path in ADMIN_PAGES:
        response = client.get(path.format(**ids))
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login")
    for path in ADMIN_POSTS:
        assert client.post(path.format(**ids)).status_code == 302, path


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_admins_open_every_admin_page(factory, client, ids, role):
    as_role(factory, client, role)
    for path in ADMIN_PAGES:
        assert client.get(path.format(**ids)).status_code == 200, path


def test_coordinator_navigation_lists_the_admin_screens(factory, client):
    as_role(factory, client, "coordinator")
    page = client.get("/admin/participants").get_data(as_text=True)
    for label in ("Participants", "Cohorts", "Sites", "Facilitators", "Roster import", "Audit"):
        assert f">{label}" in page
    assert 'href="/admin/participants" aria-current="page"' in page


def test_facilitators_do_not_see_the_coordinator_navigation(factory, client):
    as_role(factory, client, "facilitator")
    page = client.get("/staff/").get_data(as_text=True)
    assert "/admin/" not in page


MISSING = [
    "/admin/sites/999/edit",
    "/admin/facilitators/999",
    "/admin/cohorts/999",
    "/admin/meetings/999/move",
    "/admin/participants/999",
]


def test_a_missing_object_is_404(factory, client):
    as_role(factory, client, "coordinator")
    for path in MISSING:
        assert client.get(path).status_code == 404, path
    for path in ("/admin/meetings/999/mode", "/admin/participants/999/withdraw"):
        assert client.post(path, data={"reason": "x"}).status_code == 404, path


def test_a_coordinator_account_is_not_a_facilitator_page(factory, client):
    coordinator = factory.user("coordinator")
    as_role(factory, client, "admin")
    assert client.get(f"/admin/facilitators/{coordinator.id}").status_code == 404
    assert client.post(f"/admin/facilitators/{coordinator.id}/deactivate").status_code == 404
