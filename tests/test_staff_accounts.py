"""Admins manage coordinator and admin accounts on the web: create (an invite in the outbox),
deactivate (sessions end), reactivate, change the role, end sessions; each audited, and the
study is never left without an active admin."""

import pytest
from conftest import login
from coordinator_helpers import events
from flask.testing import FlaskClient
from sqlalchemy import select

from p4p.modules.auth.models import User
from p4p.modules.reminders.models import INVITE_LINK, Reminder


@pytest.fixture
def admin(factory):
    return factory.user("admin")


@pytest.fixture
def admin_client(admin, client):
    assert login(client, admin.email).status_code == 302
    return client


def _user(db, email) -> User:
    db.expire_all()
    return db.scalar(select(User).where(User.email == email))


def test_an_admin_creates_deactivates_reactivates_and_promotes_a_coordinator(
    app, db, factory, admin_client
):
    response = admin_client.post(
        "/admin/staff/new",
        data={"name": "Kim Park", "email": "Kim.Park@example.org", "role": "coordinator"},
    )
    assert response.status_code == 302
    kim = _user(db, "kim.park@example.org")
    assert (kim.role, kim.password_hash, kim.active) == ("coordinator", None, True)
    assert response.headers["Location"] == f"/admin/staff/{kim.id}"
    outbox = db.scalars(select(Reminder).where(Reminder.user_id == kim.id)).all()
    assert [row.kind for row in outbox] == [INVITE_LINK]
    (created,) = events(db, "create", "user")[-1:]
    assert (created.entity_id, created.new["role"]) == (str(kim.id), "coordinator")
    assert len(events(db, "invite-sent", "user")) == 1
    assert "Kim Park" in admin_client.get("/admin/staff").get_data(as_text=True)

    # Kim logs in (her password set elsewhere); deactivating her ends that session.
    kim_client = FlaskClient(app)
    kim_with_password = factory.user("coordinator", email="kim2@example.org")
    assert login(kim_client, kim_with_password.email).status_code == 302
    assert kim_client.get("/admin/participants").status_code == 200
    assert admin_client.post(f"/admin/staff/{kim_with_password.id}/deactivate").status_code == 302
    assert kim_client.get("/admin/participants").status_code == 302  # sent to log in
    assert _user(db, "kim2@example.org").active is False
    assert login(kim_client, kim_with_password.email).status_code != 302

    assert admin_client.post(f"/admin/staff/{kim_with_password.id}/reactivate").status_code == 302
    assert _user(db, "kim2@example.org").active is True
    assert login(kim_client, kim_with_password.email).status_code == 302

    assert kim_client.get("/admin/staff").status_code == 403  # a coordinator: no accounts
    response = admin_client.post(f"/admin/staff/{kim_with_password.id}", data={"role": "admin"})
    assert response.status_code == 302
    assert _user(db, "kim2@example.org").role == "admin"
    assert kim_client.get("/admin/staff").status_code == 200  # her next page, as an admin
    (changed,) = events(db, "role", "user")
    assert (changed.old, changed.new) == ({"role": "coordinator"}, {"role": "admin"})
    assert [e.action for e in events(db, entity="user")][-3:] == [
        "deactivate",
        "reactivate",
        "role",
    ]


def test_ending_sessions_logs_the_person_out_everywhere_and_keeps_their_password(
    app, db, factory, admin_client
):
    coordinator = factory.user("coordinator")
    phone, laptop = FlaskClient(app), FlaskClient(app)
    for device in (phone, laptop):
        assert login(device, coordinator.email).status_code == 302
    assert admin_client.post(f"/admin/staff/{coordinator.id}/sessions").status_code == 302
    for device in (phone, laptop):
        assert device.get("/admin/participants").status_code == 302
    assert login(phone, coordinator.email).status_code == 302
    assert len(events(db, "sessions-ended", "user")) == 1


def test_the_last_active_admin_cannot_be_deactivated_or_demoted_even_by_themselves(
    db, factory, admin, admin_client
):
    before = len(events(db))
    response = admin_client.post(f"/admin/staff/{admin.id}/deactivate")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This is the last active admin" in page and 'id="deactivate-error"' in page
    response = admin_client.post(f"/admin/staff/{admin.id}", data={"role": "coordinator"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This is the last active admin" in page and 'id="role-error"' in page
    assert len(events(db)) == before
    assert (_user(db, admin.email).role, _user(db, admin.email).active) == ("admin", True)

    # With a second active admin, either may step down; then the other is the last one.
    other = factory.user("admin")
    assert admin_client.post(f"/admin/staff/{other.id}/deactivate").status_code == 302
    assert admin_client.post(f"/admin/staff/{admin.id}/deactivate").status_code == 422
    assert admin_client.post(f"/admin/staff/{other.id}/reactivate").status_code == 302
    response = admin_client.post(f"/admin/staff/{admin.id}", data={"role": "coordinator"})
    assert response.status_code == 302
    assert _user(db, admin.email).role == "coordinator"
    assert admin_client.get("/admin/staff").status_code == 403  # demoted themselves


def test_a_taken_email_or_a_missing_role_is_a_field_message_and_saves_nothing(
    db, factory, admin_client
):
    taken = factory.user("facilitator")
    before = len(events(db))
    response = admin_client.post(
        "/admin/staff/new", data={"name": "A", "email": taken.email.upper(), "role": "admin"}
    )
    assert response.status_code == 422
    assert "Another account has this email." in response.get_data(as_text=True)
    response = admin_client.post(
        "/admin/staff/new", data={"name": "A", "email": "a@example.org", "role": "participant"}
    )
    assert response.status_code == 422
    assert _user(db, "a@example.org") is None
    assert len(events(db)) == before


def test_staff_pages_manage_only_coordinators_and_admins(factory, client, admin_client):
    facilitator, participant = factory.user("facilitator"), factory.participant()
    for user_id in (facilitator.id, participant.user_id):
        assert admin_client.get(f"/admin/staff/{user_id}").status_code == 404
        assert admin_client.post(f"/admin/staff/{user_id}/deactivate").status_code == 404


def test_the_spanish_page_and_its_refusal(db, factory, client):
    admin = factory.user("admin", language="es")
    assert login(client, admin.email).status_code == 302
    page = client.get(f"/admin/staff/{admin.id}").get_data(as_text=True)
    assert "Cuentas del personal" in page
    response = client.post(f"/admin/staff/{admin.id}/deactivate")
    assert "Es el último administrador activo" in response.get_data(as_text=True)
