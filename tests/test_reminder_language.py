"""The language chosen on "My reminders" is saved and used; the stop link speaks the person's."""

from datetime import timedelta

from conftest import login
from reminder_helpers import WEEK4_EVE, enrolled, plan_at, send_at, use_smtp
from smtp_server import SmtpServer
from sqlalchemy import select

from p4p.modules.audit.models import AuditEvent
from p4p.modules.auth.models import User

CHOICES = {"email_on": "y", "kinds_on": ["meeting-eve", "survey"]}


def test_choosing_spanish_on_my_reminders_saves_it_and_switches_pages_and_messages(
    app, factory, db, client
):
    participant = enrolled(factory, db)
    login(client, participant.user.email)
    saved = client.post("/preferences", data={**CHOICES, "language": "es"}, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert '<html lang="es">' in page and "Mis recordatorios" in page
    assert (
        "Tus opciones de recordatorios están guardadas." in page
    )  # the message, in the new language
    db.expire_all()
    assert db.get(User, participant.user_id).language == "es"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "language")) is not None
    assert '<html lang="es">' in client.get("/home").get_data(as_text=True)

    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, WEEK4_EVE)
    assert smtp.messages and all("mañana" in m["Subject"].lower() for m in smtp.messages)

    back = client.post("/preferences", data={**CHOICES, "language": "en"}, follow_redirects=True)
    assert '<html lang="en">' in back.get_data(as_text=True)
    assert "Your reminder choices are saved." in back.get_data(as_text=True)


def test_an_unknown_language_is_refused_with_a_field_message_and_nothing_saved(factory, db, client):
    participant = enrolled(factory, db)
    login(client, participant.user.email)
    response = client.post("/preferences", data={**CHOICES, "language": "xx"})
    assert response.status_code == 422
    db.expire_all()
    assert db.get(User, participant.user_id).language == "en"


def test_the_stop_link_page_is_in_the_persons_language_not_the_browsers(app, factory, db, client):
    from p4p.modules.reminders.messages import stop_token

    spanish = factory.participant(language="es")
    english = factory.participant(language="en")
    with app.app_context():
        spanish_token = stop_token(spanish.user_id, "practice")
        english_token = stop_token(english.user_id, "practice")
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    page = client.get(f"/stop/{spanish_token}", headers=english_browser).get_data(as_text=True)
    assert '<html lang="es">' in page and "Desactivar recordatorios" in page
    done = client.post(
        f"/stop/{spanish_token}", data={"scope": "kind"}, headers=english_browser
    ).get_data(as_text=True)
    assert '<html lang="es">' in done and "We will not send" not in done
    spanish_browser = {"Accept-Language": "es-MX,es;q=0.9"}
    page = client.get(f"/stop/{english_token}", headers=spanish_browser).get_data(as_text=True)
    assert '<html lang="en">' in page and "Stop reminders" in page
