"""Coordinators manage facilitator accounts: create with sites, change sites, deactivate (which
ends every session) and reactivate, send the invite link; each change audited."""

import re

import pytest
from conftest import PASSWORD, login
from coordinator_helpers import as_role, events, invited_facilitator, real_smtp, smtp_down
from flask.testing import FlaskClient
from sqlalchemy import func, select

from p4p.modules.auth.models import AuthToken, User
from p4p.modules.sites.models import FacilitatorSite


@pytest.fixture
def coordinator(factory, client):
    return as_role(factory, client, "coordinator")


def _form(sites, **changes):
    data = {
        "name": "Dana Lee",
        "email": "Dana.Lee@example.org",
        "phone": "+1 312 555 0100",
        "site_ids": [str(site.id) for site in sites],
    }
    data.update(changes)
    return data


def _facilitator(db, email="dana.lee@example.org") -> User | None:
    db.expire_all()
    return db.scalar(select(User).where(User.email == email))


def test_a_new_facilitator_gets_sites_and_an_invite_link_by_email(app, db, factory, coordinator):
    north, south, _east = factory.site("North"), factory.site("South"), factory.site("East")
    with real_smtp(app) as smtp:
        response = coordinator.post(
            "/admin/facilitators/new", data=_form([north, south], send_invite="y")
        )
        response.close()  # the response is delivered: the invite goes now
    assert response.status_code == 302
    user = _facilitator(db)
    assert (user.role, user.name, user.phone, user.password_hash) == (
        "facilitator",
        "Dana Lee",
        "+13125550100",  # typed +1 312 555 0100: stored in E.164
        None,
    )
    sites = db.scalars(select(FacilitatorSite.site_id).where(FacilitatorSite.user_id == user.id))
    assert sorted(sites) == sorted([north.id, south.id])
    (created,) = events(db, "create", "user")[-1:]
    assert created.new["site_ids"] == sorted([north.id, south.id])
    assert created.new["role"] == "facilitator"
    assert [m["To"] for m in smtp.messages] == ["dana.lee@example.org"]
    link = re.search(r"http://p4p.test(/invite/\S+)", smtp.messages[0].get_content()).group(1)
    assert len(events(db, "invite-sent", "user")) == 1
    visitor = FlaskClient(app)
    form = {"password": "a long garden path", "confirm": "a long garden path"}
    assert visitor.post(link, data=form).status_code == 302
    assert login(visitor, "dana.lee@example.org", "a long garden path").status_code == 302
    assert visitor.get("/staff/").status_code == 200


def test_the_invite_can_wait_until_later(db, factory, coordinator):
    response = coordinator.post("/admin/facilitators/new", data=_form([factory.site()]))
    assert response.status_code == 302
    user = _facilitator(db)
    assert db.scalar(select(func.count(AuthToken.id)).where(AuthToken.user_id == user.id)) == 0
    page = coordinator.get("/admin/facilitators").get_data(as_text=True)
    assert "Dana Lee" in page and "Not invited yet" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the facilitator"),
        ({"email": ""}, "email", "Enter an email address."),
        ({"email": "dana@"}, "email", "like name@example.org"),
        ({"email": "TAKEN@example.org"}, "email", "Another account has this email."),
        ({"phone": "call me"}, "phone", "Enter a valid phone number"),
        ({"phone": "12"}, "phone", "Enter a valid phone number"),
        ({"site_ids": ["999"]}, "site_ids", "Choose only from the options shown."),
        ({"site_ids": ["north"]}, "site_ids", ""),
    ],
)
def test_bad_facilitator_input_gets_a_field_message_and_saves_nothing(
    db, factory, coordinator, changes, field, message
):
    factory.user("facilitator", email="taken@example.org")
    response = coordinator.post("/admin/facilitators/new", data=_form([factory.site()], **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    db.expire_all()
    assert db.scalar(select(func.count(User.id)).where(User.role == "facilitator")) == 1


def test_changing_sites_changes_what_the_facilitator_sees_and_is_audited(
    app, db, factory, coordinator
):
    north, south = factory.site("North"), factory.site("South")
    factory.cohort(site=north, name="North group")
    factory.cohort(site=south, name="South group")
    facilitator = factory.facilitator(north)
    url = f"/admin/facilitators/{facilitator.id}"
    checked = re.findall(
        r'<input checked [^>]*value="(\d+)"', coordinator.get(url).get_data(as_text=True)
    )
    assert checked == [str(north.id)]
    assert coordinator.post(url, data={"site_ids": [str(south.id)]}).status_code == 302
    (event,) = events(db, "sites")
    assert (event.old, event.new) == ({"site_ids": [north.id]}, {"site_ids": [south.id]})
    assert coordinator.post(url, data={"site_ids": [str(south.id)]}).status_code == 302
    assert len(events(db, "sites")) == 1  # nothing changed, nothing written
    own = FlaskClient(app)
    login(own, facilitator.email)
    page = own.get("/staff/").get_data(as_text=True)
    assert "South group" in page and "North group" not in page


def test_deactivating_ends_the_facilitators_sessions_and_reactivating_lets_them_back(
    app, db, factory, coordinator
):
    facilitator = factory.facilitator(factory.site())
    theirs = FlaskClient(app)
    login(theirs, facilitator.email)
    assert theirs.get("/staff/").status_code == 200
    response = coordinator.post(f"/admin/facilitators/{facilitator.id}/deactivate")
    assert response.status_code == 302
    assert theirs.get("/staff/").headers["Location"].startswith("/login")
    assert login(theirs, facilitator.email).status_code == 200  # refused
    (event,) = events(db, "deactivate")
    assert (event.old, event.new, event.entity_id) == (
        {"active": True},
        {"active": False},
        str(facilitator.id),
    )
    page = coordinator.get("/admin/facilitators").get_data(as_text=True)
    assert "Deactivated" in page
    coordinator.post(f"/admin/facilitators/{facilitator.id}/reactivate")
    assert login(theirs, facilitator.email, PASSWORD).status_code == 302
    assert [e.action for e in events(db, entity="user")][-2:] == ["deactivate", "reactivate"]


def test_a_deactivated_account_gets_no_invite(db, factory, coordinator, app):
    facilitator = factory.facilitator(factory.site())
    coordinator.post(f"/admin/facilitators/{facilitator.id}/deactivate")
    with real_smtp(app) as smtp:
        page = coordinator.post(
            f"/admin/facilitators/{facilitator.id}/invite", follow_redirects=True
        ).get_data(as_text=True)
    assert "This account is deactivated." in page and smtp.messages == []


def test_a_resent_invite_replaces_the_earlier_link(app, db, factory, coordinator):
    facilitator = invited_facilitator(factory, factory.site())
    url = f"/admin/facilitators/{facilitator.id}/invite"
    with real_smtp(app) as smtp:
        coordinator.post(url).close()
        page = coordinator.post(url, follow_redirects=True).get_data(as_text=True)
    assert "is on its way" in page and "Re-send the invite link" in page
    first, second = (re.search(r"(/invite/\S+)", m.get_content()).group(1) for m in smtp.messages)
    visitor = FlaskClient(app)
    assert visitor.get(first).status_code == 410
    assert visitor.get(second).status_code == 200
    assert len(events(db, "invite-sent")) == 2


def test_when_the_mail_server_is_down_the_invite_waits_in_the_outbox_and_the_page_says_so(
    app, db, factory, coordinator, runner, clock
):
    facilitator = invited_facilitator(factory, factory.site())
    smtp_down(app)
    response = coordinator.post(
        f"/admin/facilitators/{facilitator.id}/invite", follow_redirects=True
    )
    assert response.status_code == 200  # the email is tried after the answer, and fails
    assert "is on its way" in response.get_data(as_text=True)
    assert len(events(db, "invite-sent")) == 1
    listing = coordinator.get("/admin/facilitators").get_data(as_text=True)
    assert "Invite queued" in listing
    with real_smtp(app) as smtp:
        clock.advance(minutes=6)  # the scheduler's retry
        assert "sent 1," in runner.invoke(args=["reminders", "send"]).output
        [message] = smtp.messages
    link = re.search(r"http://p4p.test(/invite/\S+)", message.get_content()).group(1)
    assert FlaskClient(app).get(link).status_code == 200
    listing = coordinator.get("/admin/facilitators").get_data(as_text=True)
    assert "Invite queued" not in listing and "Invited " in listing
    db.expire_all()
    assert db.scalar(select(func.count(AuthToken.id))) == 1


def test_someone_who_set_a_password_is_pointed_to_the_reset_link(app, db, factory, coordinator):
    facilitator = factory.facilitator(factory.site())  # has a password
    page = coordinator.get(f"/admin/facilitators/{facilitator.id}").get_data(as_text=True)
    assert "Forgot your password?" in page and "Send the invite link" not in page
    with real_smtp(app) as smtp:
        coordinator.post(f"/admin/facilitators/{facilitator.id}/invite")
    assert smtp.messages == [] and events(db, "invite-sent") == []


def test_a_facilitators_name_and_phone_can_be_corrected_and_the_change_is_audited(
    db, factory, coordinator
):
    site = factory.site()
    person = factory.facilitator(site)
    url = f"/admin/facilitators/{person.id}/details"
    page = coordinator.get(f"/admin/facilitators/{person.id}").get_data(as_text=True)
    assert f'value="{person.name}"' in page and "Name and phone" in page

    response = coordinator.post(url, data={"details-name": " ", "details-phone": "312-555-0100"})
    assert response.status_code == 422
    assert 'id="details-name-error"' in response.get_data(as_text=True)
    response = coordinator.post(url, data={"details-name": "Ana", "details-phone": "call me"})
    assert response.status_code == 422
    assert 'id="details-phone-error"' in response.get_data(as_text=True)
    assert events(db, "update", "user") == []

    old_name = person.name
    data = {"details-name": "Ana María Ortiz", "details-phone": "312-555-0100"}
    assert coordinator.post(url, data=data).status_code == 302
    db.expire_all()
    saved = db.get(User, person.id)
    assert (saved.name, saved.phone) == ("Ana María Ortiz", "+13125550100")
    (event,) = events(db, "update", "user")
    assert event.old == {"name": old_name, "phone": None}
    assert event.new == {"name": "Ana María Ortiz", "phone": "+13125550100"}
    response = coordinator.post(url, data=data, follow_redirects=True)
    assert "Nothing changed." in response.get_data(as_text=True)
    assert len(events(db, "update", "user")) == 1

    participant = factory.participant()
    other = f"/admin/facilitators/{participant.user_id}/details"
    assert coordinator.post(other, data=data).status_code == 404  # not a facilitator account
