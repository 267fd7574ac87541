"""Phones are stored in E.164 however they were typed, shown nationally, and a STOP text from
the provider (which always writes E.164) reaches the person it came from."""

import logging

import pytest
from conftest import login
from coordinator_helpers import as_role, enrolment_form, roster_csv, roster_row, upload
from migration_helpers import migration_app
from reminder_helpers import post_sms_reply
from sqlalchemy import select, text

from p4p import migrate
from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.reminders.models import ReminderPreference


@pytest.fixture
def coordinator(factory, client):
    return as_role(factory, client, "coordinator")


@pytest.fixture
def cohort(factory):
    return factory.cohort(site=factory.site("North"), name="North P4P")


def _user_of(db, study_id) -> User:
    db.expire_all()
    return db.scalar(select(Participant).where(Participant.study_id == study_id)).user


def test_stop_from_the_providers_e164_number_stops_a_person_enrolled_with_dashes(
    app, db, cohort, coordinator
):
    form = enrolment_form(cohort, phone="213-555-0123")
    assert coordinator.post("/admin/participants/new", data=form).status_code == 302
    user = _user_of(db, "P4P-101")
    assert user.phone == "+12135550123"
    app.config["SMS_AUTH_TOKEN"] = "provider-auth-token"
    response = post_sms_reply(coordinator, app, {"From": "+12135550123", "Body": "STOP"})
    assert response.json == {"updated": 1}
    db.expire_all()
    assert db.get(ReminderPreference, user.id).sms_on is False
    post_sms_reply(coordinator, app, {"From": "+1 (213) 555-0123", "Body": "START"})
    db.expire_all()
    assert db.get(ReminderPreference, user.id).sms_on is True


def test_a_roster_with_the_usual_us_way_of_writing_a_number_imports(db, cohort, coordinator):
    rows = [roster_row(cohort, 1, phone="(312) 555-0142"), roster_row(cohort, 2, phone="")]
    response = upload(coordinator, roster_csv(rows))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _user_of(db, "R-0001").phone == "+13125550142"
    assert _user_of(db, "R-0002").phone is None


@pytest.mark.parametrize(
    "typed",
    ["(312) 555-0142", "312.555.0142", "3125550142", "+1 312 555 0142", "1 (312) 555-0142"],
)
def test_every_usual_way_of_typing_a_number_is_stored_the_same(db, cohort, coordinator, typed):
    form = enrolment_form(cohort, phone=typed)
    assert coordinator.post("/admin/participants/new", data=form).status_code == 302
    assert _user_of(db, "P4P-101").phone == "+13125550142"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("call me", "Enter a valid phone number"),
        ("555-0142", "Enter a valid phone number"),  # no area code
        ("(312) 555-01423", "Enter a valid phone number"),
        ("312-555-0142 ext 5", "Leave out the extension"),
    ],
)
def test_a_number_that_is_not_one_gets_a_field_message_and_nothing_is_saved(
    db, cohort, coordinator, typed, message
):
    form = enrolment_form(cohort, phone=typed)
    response = coordinator.post("/admin/participants/new", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="phone-error"' in page and message in page
    assert db.scalar(select(Participant)) is None


def test_the_field_message_is_in_spanish_for_a_spanish_speaking_coordinator(
    factory, client, cohort
):
    login(client, factory.user("coordinator", language="es").email)
    form = enrolment_form(cohort, phone="call me")
    page = client.post("/admin/participants/new", data=form).get_data(as_text=True)
    assert "Escribe un número de teléfono válido" in page


def test_a_bad_roster_phone_is_named_by_line_and_column(db, cohort, coordinator):
    response = upload(coordinator, roster_csv([roster_row(cohort, 1, phone="12345")]))
    assert response.status_code == 422
    assert "Enter a valid phone number" in response.get_data(as_text=True)


def test_facilitator_phones_are_stored_in_e164_and_shown_nationally(db, factory, coordinator):
    site = factory.site()
    data = {"name": "Dana Lee", "email": "dana@example.org", "phone": "(773) 555-0199"}
    assert (
        coordinator.post(
            "/admin/facilitators/new", data={**data, "site_ids": [site.id]}
        ).status_code
        == 302
    )
    dana = db.scalar(select(User).where(User.email == "dana@example.org"))
    assert dana.phone == "+17735550199"
    page = coordinator.get(f"/admin/facilitators/{dana.id}").get_data(as_text=True)
    assert "(773) 555-0199" in page and "+17735550199" not in page
    assert "(773) 555-0199" in coordinator.get("/admin/facilitators").get_data(as_text=True)
    url = f"/admin/facilitators/{dana.id}/details"
    same = {"details-name": "Dana Lee", "details-phone": "773.555.0199"}
    response = coordinator.post(url, data=same, follow_redirects=True)
    assert "Nothing changed." in response.get_data(as_text=True)  # the same number, typed again
    moved = {"details-name": "Dana Lee", "details-phone": "+52 55 1234 5678"}
    assert coordinator.post(url, data=moved).status_code == 302
    db.expire_all()
    assert db.get(User, dana.id).phone == "+525512345678"
    page = coordinator.get(f"/admin/facilitators/{dana.id}").get_data(as_text=True)
    assert "+52 55 1234 5678" in page  # another country's number keeps its country code


def test_pages_show_participant_phones_nationally(db, cohort, coordinator):
    form = enrolment_form(cohort, phone="213-555-0123")
    coordinator.post("/admin/participants/new", data=form)
    participant = db.scalar(select(Participant))
    page = coordinator.get(f"/admin/participants/{participant.id}").get_data(as_text=True)
    assert "(213) 555-0123" in page
    assert "(213) 555-0123" in coordinator.get("/admin/participants").get_data(as_text=True)


def test_migration_0005_converts_phones_and_keeps_and_reports_what_it_cannot_read(
    app_config, tmp_path, caplog
):
    app = migration_app(tmp_path, app_config)
    typed = {
        "a@example.org": ("213-555-0123", "+12135550123"),
        "b@example.org": ("(312) 555-0142", "+13125550142"),
        "c@example.org": ("+1 312 555 0142", "+13125550142"),
        "d@example.org": ("+52 55 1234 5678", "+525512345678"),
        "e@example.org": ("555-0142", "555-0142"),  # no area code: kept as it is
        "f@example.org": (None, None),
    }
    with app.app_context():
        migrate.upgrade("0004")
        with app.extensions["p4p.engine"].begin() as connection:
            for email, (phone, _e164) in typed.items():
                connection.execute(
                    text(
                        "INSERT INTO user_account (email, name, role, language, phone, active,"
                        " session_nonce, created_at, home_version) VALUES (:email, 'X',"
                        " 'participant', 'en', :phone, true, 'n', '2026-03-01 00:00:00', 0)"
                    ),
                    {"email": email, "phone": phone},
                )
        with caplog.at_level(logging.INFO):
            migrate.upgrade("0005")
        with app.extensions["p4p.engine"].connect() as connection:
            stored = dict(connection.execute(text("SELECT email, phone FROM user_account")).all())
            unreadable = connection.execute(
                text("SELECT id FROM user_account WHERE email = 'e@example.org'")
            ).scalar()
    assert stored == {email: e164 for email, (_phone, e164) in typed.items()}
    assert "4 phone number(s) converted to E.164" in caplog.text
    assert "could not read 1 phone number" in caplog.text and f"user {unreadable}" in caplog.text
    app.extensions["p4p.engine"].dispose()
