"""Only coordinators and admins reach /admin, and only admins its settings and staff accounts:
facilitators and participants get 403 on every page and every action, coordinators on the
admin-only ones, visitors are sent to log in, and a missing object is 404."""

import pytest
from coordinator_helpers import (
    ADMIN_ONLY_PAGES,
    ADMIN_ONLY_POSTS,
    ADMIN_PAGES,
    ADMIN_POSTS,
    COORDINATOR_PAGES,
    as_role,
    events,
    small_study,
)
from sqlalchemy import select

from p4p.access import ROLES_ATTR
from p4p.modules.auth.models import Role, User


@pytest.fixture
def ids(factory):
    return small_study(factory)


# Admins only: the staff accounts and the sites' settings (see the README's roles section).
ADMIN_ONLY_ENDPOINTS = {"sites.new_site", "sites.edit_site"}


def _admin_only(endpoint: str) -> bool:
    return endpoint in ADMIN_ONLY_ENDPOINTS or endpoint.startswith("staff.")


def test_every_admin_route_is_for_coordinators_and_admins_and_settings_for_admins_only(app):
    admin_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]
    assert len(admin_rules) >= 20
    for rule in admin_rules:
        roles = getattr(app.view_functions[rule.endpoint], ROLES_ATTR)
        expected = {Role.ADMIN} if _admin_only(rule.endpoint) else {Role.COORDINATOR, Role.ADMIN}
        assert roles == expected, rule.rule
    admin_only = {rule.endpoint for rule in admin_rules if _admin_only(rule.endpoint)}
    assert len(admin_only) == 9  # the lists of pages and posts below name each of them


def test_coordinators_get_403_on_every_admin_only_page_and_action_and_change_nothing(
    db, factory, client, ids
):
    as_role(factory, client, "coordinator")
    for path in ADMIN_ONLY_PAGES:
        assert client.get(path.format(**ids)).status_code == 403, path
    before = len(events(db))
    for path in ADMIN_ONLY_POSTS:
        data = {"name": "x", "email": "x@example.org", "role": "admin", "timezone": "UTC"}
        assert client.post(path.format(**ids), data=data).status_code == 403, path
    assert len(events(db)) == before
    db.expire_all()
    assert db.scalar(select(User.role).where(User.id == ids["coordinator"])) == "coordinator"


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


@pytest.mark.parametrize(
    ("role", "pages"), [("coordinator", COORDINATOR_PAGES), ("admin", ADMIN_PAGES)]
)
def test_coordinators_open_the_study_work_and_admins_every_admin_page(
    factory, client, ids, role, pages
):
    as_role(factory, client, role)
    for path in pages:
        assert client.get(path.format(**ids)).status_code == 200, path


def test_only_admins_see_the_settings_in_navigation_and_on_the_sites_page(app, factory, client):
    as_role(factory, client, "coordinator")
    page = client.get("/admin/sites").get_data(as_text=True)
    assert "/admin/staff" not in page and "/admin/sites/new" not in page
    page = as_role(factory, app.test_client(), "admin").get("/admin/sites").get_data(as_text=True)
    assert 'href="/admin/staff"' in page and 'href="/admin/sites/new"' in page


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
    "/admin/staff/999",
    "/admin/facilitators/999",
    "/admin/cohorts/999",
    "/admin/meetings/999/move",
    "/admin/participants/999",
]


def test_a_missing_object_is_404(factory, client):
    as_role(factory, client, "admin")
    for path in MISSING:
        assert client.get(path).status_code == 404, path
    for path in ("/admin/meetings/999/mode", "/admin/participants/999/withdraw"):
        assert client.post(path, data={"reason": "x"}).status_code == 404, path


def test_a_coordinator_account_is_not_a_facilitator_page(factory, client):
    coordinator = factory.user("coordinator")
    as_role(factory, client, "admin")
    assert client.get(f"/admin/facilitators/{coordinator.id}").status_code == 404
    assert client.post(f"/admin/facilitators/{coordinator.id}/deactivate").status_code == 404
