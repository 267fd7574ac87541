"""Reminder preferences, stop links from emails, STOP replies by text, and marking surveys done."""

from datetime import time, timedelta

from conftest import login
from reminder_helpers import WEEK4_EVE, enrolled, plan_at, post_sms_reply, reminders
from sqlalchemy import select

from p4p.modules.audit.models import AuditEvent
from p4p.modules.reminders.models import ReminderPreference


def _preference(db, user_id):
    db.expire_all()
    return db.get(ReminderPreference, user_id)


def test_participant_chooses_channels_kinds_and_quiet_hours(factory, db, client):
    participant = enrolled(factory, db, phone="+15550006666")
    login(client, participant.user.email)
    page = client.get("/preferences").get_data(as_text=True)
    assert "The evening before each group meeting" in page and "checked" in page
    response = client.post(
        "/preferences",
        data={
            "email_on": "y",
            "language": "es",
            "kinds_on": ["meeting-eve", "survey"],
            "quiet_start": "20:00",
            "quiet_end": "09:00",
        },
    )
    assert response.status_code == 302
    saved = _preference(db, participant.user_id)
    assert (saved.email_on, saved.sms_on) == (True, False)
    # "A few hours before" is not offered while REMINDER_SOON_HOURS is 0, so it keeps its default.
    assert set(saved.kinds_off) == {"week-open", "practice", "questionnaire", "digest"}
    assert (saved.quiet_start, saved.quiet_end) == (time(20), time(9))
    assert (
        db.scalar(select(AuditEvent).where(AuditEvent.action == "reminder-preferences")) is not None
    )


def test_half_given_quiet_hours_get_a_field_message_and_nothing_is_saved(factory, db, client):
    participant = enrolled(factory, db)
    login(client, participant.user.email)
    response = client.post(
        "/preferences", data={"email_on": "y", "language": "en", "quiet_start": "20:00"}
    )
    assert response.status_code == 422
    assert "Give both times" in response.get_data(as_text=True)
    bad = client.post("/preferences", data={"quiet_start": "25:99", "quiet_end": "09:00"})
    assert bad.status_code == 422
    assert _preference(db, participant.user_id) is None


def test_the_stop_link_in_an_email_switches_that_kind_off_without_logging_in(
    app, factory, db, client
):
    from p4p.modules.reminders.messages import stop_token

    participant = enrolled(factory, db)
    with app.app_context():
        token = stop_token(participant.user_id, "practice")
    page = client.get(f"/stop/{token}")
    assert page.status_code == 200 and "Stop this kind of reminder" in page.get_data(as_text=True)
    client.post(f"/stop/{token}", data={"scope": "kind"})
    assert _preference(db, participant.user_id).kinds_off == ["practice"]  # nothing else was off
    client.post(f"/stop/{token}", data={"scope": "all-email"})
    assert _preference(db, participant.user_id).email_on is False
    assert client.get("/stop/not-a-real-token").status_code == 404


def test_a_stop_text_switches_texts_off_and_start_switches_them_back(app, factory, db, client):
    participant = enrolled(factory, db, phone="+15550007777")
    app.config["SMS_AUTH_TOKEN"] = "provider-auth-token"
    unsigned = client.post("/sms/inbound", data={"From": "+15550007777", "Body": "STOP"})
    assert unsigned.status_code == 403
    response = post_sms_reply(client, app, {"From": "+15550007777", "Body": " stop "})
    assert response.json == {"updated": 1}
    assert _preference(db, participant.user_id).sms_on is False
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    assert {r.channel for r in reminders(db, status="planned")} == {"email"}
    post_sms_reply(client, app, {"From": "+15550007777", "Body": "START"})
    assert _preference(db, participant.user_id).sms_on is True


def test_only_coordinators_see_the_outbox(factory, db, client):
    participant = enrolled(factory, db)
    login(client, participant.user.email)
    assert client.get("/staff/outbox").status_code == 403
    client.post("/logout")
    login(client, factory.facilitator(participant.cohort.site).email)
    assert client.get("/staff/outbox").status_code == 403
    client.post("/logout")
    login(client, factory.user("coordinator").email)
    assert client.get("/staff/outbox?status=sent").status_code == 200
    assert client.get("/staff/outbox?status=bogus").status_code == 404


def test_staff_mark_a_survey_done_and_its_reminders_stop(app, factory, db, client):
    from datetime import UTC, datetime

    participant = enrolled(factory, db)
    opens = datetime(2026, 4, 23, 12, tzinfo=UTC)
    plan_at(app, opens)
    assert reminders(db, kind="survey", status="planned")
    login(client, factory.facilitator(participant.cohort.site).email)
    page = client.get(f"/staff/participants/{participant.id}").get_data(as_text=True)
    assert "Follow-up surveys" in page and "not done yet" in page
    assert client.post(f"/staff/participants/{participant.id}/surveys/2").status_code == 302
    assert client.post(f"/staff/participants/{participant.id}/surveys/3").status_code == 404
    plan_at(app, opens)
    assert {r.status for r in reminders(db, kind="survey")} == {"cancelled"}
    client.post("/logout")
    login(client, factory.facilitator(factory.site()).email)  # another site's facilitator
    assert client.post(f"/staff/participants/{participant.id}/surveys/4").status_code == 404
