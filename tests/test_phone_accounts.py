"""Phone-only participants are first-class ("Nobody left out"): their invite and reset links go
by text through the real outbox to a local SMS provider, they log in with their phone however
it is typed, and everyone can change their own email and phone once the new one is confirmed."""

import re

import pytest
from conftest import PASSWORD, login
from coordinator_helpers import as_role, enrolment_form, events
from reminder_helpers import SmsProvider, reminders, send_at, use_smtp
from smtp_server import SmtpServer
from sqlalchemy import select

from p4p.modules.auth.models import AuthToken, ContactChange, User

PHONE = "+13125550142"
TYPED_AS = ("(312) 555-0142", "312.555.0142", "+1 312 555 0142", "3125550142")
NEW_PASSWORD = "sunny morning walk"
# GSM 03.38's basic set: a text of these characters is one segment up to 160 of them.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def _phone_user(factory, db, phone=PHONE, password=PASSWORD, language="en", email=False):
    user = factory.user("participant", password=password, language=language)
    user.phone = phone
    if not email:
        user.email = None
    db.commit()
    return user


def _one_segment(body: str) -> bool:
    return len(body) <= 160 and set(body) <= GSM7


def _enrol_phone_only(factory, client, db):
    cohort = factory.cohort()
    as_role(factory, client, "coordinator")
    response = client.post(
        "/admin/participants/new",
        data=enrolment_form(cohort, email="", phone="(312) 555-0142", language="en"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    participant_url = response.headers["Location"]
    db.expire_all()
    user = db.scalar(select(User).where(User.phone == PHONE))
    assert user is not None and user.email is None
    return participant_url, user


def test_a_phone_only_participant_is_invited_by_text_once_and_the_short_link_works_once(
    app, factory, db, client, clock
):
    participant_url, user = _enrol_phone_only(factory, client, db)
    page = client.get(participant_url).get_data(as_text=True)
    assert "no link can be sent" not in page  # before: the only thing the page could say
    assert "sent by text to (312) 555-0142" in page
    with SmsProvider() as provider:
        provider.configure(app)
        response = client.post(participant_url + "/invite")
        assert response.status_code == 302
        response.close()  # delivered: the queued text is tried now
        assert "on its way by text to (312) 555-0142" in client.get(participant_url).get_data(
            as_text=True
        )
        send_at(app, clock())  # the scheduler's next tick finds nothing left to send
        [text] = provider.received
    assert text["To"] == PHONE
    body = text["Body"]
    assert _one_segment(body), (len(body), body)
    assert body.startswith("Living Well:") and "pain" not in body.lower()
    short = re.search(r"http://p4p.test(/i/[A-Za-z0-9_-]{22})\b", body).group(1)
    [row] = reminders(db, kind="invite-link")
    assert (row.channel, row.status) == ("sms", "sent")
    assert short.removeprefix("/i/") not in str(row.payload)  # the row keeps no token
    [token] = db.scalars(select(AuthToken).where(AuthToken.user_id == user.id)).all()
    assert len(token.token_hash) == 64  # its SHA-256 only
    [sent] = events(db, "invite-sent")
    assert sent.new == {"phone": PHONE}

    client.post("/logout")
    page = client.get(short)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "with your phone number to log in" in text and 'value="None"' not in text
    response = client.post(short, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get(short).status_code == 410  # single use
    assert login(client, "(312) 555-0142", NEW_PASSWORD).status_code == 302


def test_a_texted_invite_expires_like_an_emailed_one(app, factory, db, client, clock):
    from p4p.modules.auth.accounts import send_invite

    user = _phone_user(factory, db, password=None)
    with SmsProvider() as provider:
        provider.configure(app)
        with app.test_request_context():
            assert send_invite(db, user, actor_id=user.id, now=clock()) == "sms"
            db.commit()
        send_at(app, clock())
        [text] = provider.received
    link = re.search(r"http://p4p.test(/i/\S+)", text["Body"]).group(1)
    assert "Works once, for 1 week." in text["Body"]  # not "168 hours"
    clock.advance(hours=169)
    assert client.get(link).status_code == 410


def test_the_coordinator_may_text_the_invite_to_someone_with_an_email_too(app, factory, db, client):
    participant = factory.participant()
    participant.user.phone = PHONE
    participant.user.password_hash = None
    db.commit()
    as_role(factory, client, "coordinator")
    url = f"/admin/participants/{participant.id}"
    assert "Send it by text to (312) 555-0142 instead" in client.get(url).get_data(as_text=True)
    with SmsProvider() as provider:
        provider.configure(app)
        client.post(url + "/invite", data={"channel": "sms"}).close()
        [text] = provider.received
    assert text["To"] == PHONE and "/i/" in text["Body"]


@pytest.mark.parametrize("typed", TYPED_AS)
def test_login_by_phone_in_any_format(factory, db, client, typed):
    _phone_user(factory, db)
    assert login(client, typed).status_code == 302


def test_a_person_with_both_logs_in_with_either(factory, db, client):
    user = _phone_user(factory, db, email=True)
    assert login(client, user.email).status_code == 302
    client.post("/logout")
    assert login(client, "312 555 0142").status_code == 302


def test_an_unknown_phone_gets_the_same_answer_as_a_wrong_password(factory, db, client):
    _phone_user(factory, db)
    wrong = login(client, "(312) 555-0142", "wrong password here").get_data(as_text=True)
    unknown = login(client, "(312) 555-0199", "wrong password here").get_data(as_text=True)
    strip = lambda page: re.sub(r'value="[^"]*"', "", page)  # noqa: E731 - the typed value differs
    assert strip(wrong) == strip(unknown)
    assert "do not match an account" in wrong


def test_two_accounts_on_one_phone_each_log_in_with_their_own_password(factory, db, client):
    first = _phone_user(factory, db)
    second = _phone_user(factory, db, password="another long passphrase")
    assert login(client, PHONE).status_code == 302
    assert client.get("/").status_code in (200, 302)
    client.post("/logout")
    assert login(client, PHONE, "another long passphrase").status_code == 302
    db.expire_all()
    assert db.get(User, second.id).last_login_at is not None
    assert first.id != second.id


def test_password_reset_by_text_with_the_same_answer_and_limit(app, factory, db, client, clock):
    _phone_user(factory, db)
    with SmsProvider() as provider:
        provider.configure(app)
        pages = set()
        for typed in ("(312) 555-0142", "(312) 555-0199") + ("312.555.0142",) * 4:
            response = client.post("/reset", data={"email": typed}, follow_redirects=True)
            page = response.get_data(as_text=True)
            assert "If that phone number has an account, we texted it a link." in page
            pages.add(re.sub(r'name="csrf_token" value="[^"]*"', "", page))
        assert len(pages) == 1  # unknown numbers and the limit look the same
        assert len(provider.received) == 3  # RESET_LINKS_PER_HOUR, whatever the format
        body = provider.received[0]["Body"]
    assert _one_segment(body) and "2 hours" in body
    link = re.search(r"http://p4p.test(/r/\S+)", body).group(1)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert login(client, PHONE, NEW_PASSWORD).status_code == 302


def test_reset_refuses_a_value_that_is_neither_email_nor_phone(client):
    page = client.post("/reset", data={"email": "not a phone"})
    assert page.status_code == 200  # as for any refused /reset (its page, with the message)
    assert "or your phone number" in page.get_data(as_text=True)


def test_spanish_texts_for_invite_reset_and_code(app, factory, db, clock):
    from p4p.modules.auth import contact, links
    from p4p.modules.auth.models import ContactField, TokenPurpose

    user = _phone_user(factory, db, password=None, language="es")
    with SmsProvider() as provider:
        provider.configure(app)
        with app.test_request_context():
            links.queue_link(db, user, TokenPurpose.INVITE, clock())
            links.queue_link(db, user, TokenPurpose.RESET, clock())
            contact.request_change(db, user, ContactField.PHONE, "+13125550143", clock())
            db.commit()
        send_at(app, clock())
        bodies = sorted(r["Body"] for r in provider.received)
    assert len(bodies) == 3
    for body in bodies:
        assert body.startswith("Vivir bien:") and _one_segment(body), body
    assert any("elija su contraseña" in b and "Sirve una vez, por 1 semana." in b for b in bodies)
    assert any("elija una contraseña nueva" in b and "por 2 horas." in b for b in bodies)
    assert any(re.search(r"\d{6} es su clave", b) for b in bodies)


def test_the_device_cookie_knows_the_phone_however_it_is_typed(app, factory, db, client):
    from p4p.modules.auth import devices

    _phone_user(factory, db, email=True)
    login(client, "(312) 555-0142")
    cookie = client.get_cookie(devices.COOKIE_NAME, path="/login")
    with app.app_context():
        data = devices._serializer().loads(cookie.value)
    assert data["phone"] == devices.email_digest("+1 312 555 0142")
    assert data["email"] == devices.email_digest(factory.db.get(User, data["account"]).email)


# Contact details ---------------------------------------------------------------------------


def _code_from(provider) -> str:
    return re.search(r"\b(\d{6})\b", provider.received[-1]["Body"]).group(1)


def test_contact_page_is_linked_from_the_preferences_and_shows_the_values(
    factory, db, participant_client, participant
):
    page = participant_client.get("/preferences").get_data(as_text=True)
    assert "/account/contact" in page
    page = participant_client.get("/account/contact").get_data(as_text=True)
    assert participant.user.email in page and "Your contact details" in page


def test_phone_change_with_a_wrong_code_then_the_right_one(
    app, factory, db, participant_client, participant, clock
):
    with SmsProvider() as provider:
        provider.configure(app)
        response = participant_client.post(
            "/account/contact/phone", data={"phone-phone": "(312) 555-0142"}
        )
        assert response.status_code == 302
        response.close()
        [text] = provider.received
    assert text["To"] == PHONE  # the NEW number, not the account's
    assert _one_segment(text["Body"]) and "30 minutes" in text["Body"]
    code = _code_from(provider)
    db.expire_all()
    assert db.get(User, participant.user_id).phone is None  # not until confirmed
    [change] = db.scalars(select(ContactChange)).all()
    assert code not in (change.secret_hash, change.salt, change.new_value)
    wrong = "000000" if code != "000000" else "111111"
    page = participant_client.post("/account/contact/code", data={"code-code": wrong})
    # 200, so that the try is counted: a 4xx rolls the request's work back.
    assert page.status_code == 200 and "That code is not right" in page.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, participant.user_id).phone is None
    response = participant_client.post("/account/contact/code", data={"code-code": code})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(User, participant.user_id).phone == PHONE
    [changed] = events(db, "contact-changed")
    assert changed.new == {"phone": PHONE}
    assert events(db, "contact-change-asked")
    again = participant_client.post("/account/contact/code", data={"code-code": code})
    assert "expired" in again.get_data(as_text=True)  # used once


def test_an_expired_code_and_a_code_out_of_tries_change_nothing(
    app, factory, db, participant_client, participant, clock
):
    from p4p.modules.auth.contact import MAX_TRIES

    with SmsProvider() as provider:
        provider.configure(app)
        participant_client.post("/account/contact/phone", data={"phone-phone": PHONE}).close()
        code = _code_from(provider)
        clock.advance(minutes=31)
        page = participant_client.post("/account/contact/code", data={"code-code": code})
        assert "That code has expired" in page.get_data(as_text=True)
        participant_client.post("/account/contact/phone", data={"phone-phone": PHONE}).close()
        code = _code_from(provider)
    wrong = "000000" if code != "000000" else "111111"
    answers = [
        participant_client.post("/account/contact/code", data={"code-code": wrong}).get_data(
            as_text=True
        )
        for _ in range(MAX_TRIES)
    ]
    assert "that was the last try" in answers[-1]
    page = participant_client.post("/account/contact/code", data={"code-code": code})
    assert "expired" in page.get_data(as_text=True)  # the right code no longer works either
    db.expire_all()
    assert db.get(User, participant.user_id).phone is None


def test_email_change_by_a_link_to_the_new_address(
    app, factory, db, participant_client, participant, client
):
    old = participant.user.email
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        response = participant_client.post(
            "/account/contact/email", data={"email-email": " Rosa.New@Example.org "}
        )
        assert response.status_code == 302
        response.close()
        [message] = smtp.messages
    assert message["To"] == "rosa.new@example.org"
    assert "Living Well with Back and Neck Pain" in message["Subject"]
    link = re.search(r"http://p4p.test(/contact/confirm/\S+)", message.get_content()).group(1)
    db.expire_all()
    assert db.get(User, participant.user_id).email == old
    assert client.get(link).status_code == 200  # only a page with a button: scanners change nothing
    db.expire_all()
    assert db.get(User, participant.user_id).email == old
    assert client.post(link).status_code == 302
    db.expire_all()
    assert db.get(User, participant.user_id).email == "rosa.new@example.org"
    assert client.get(link).status_code == 410
    client.post("/logout")
    assert login(client, "rosa.new@example.org").status_code == 302


def test_an_email_of_another_account_gets_a_field_message(
    factory, db, participant_client, participant
):
    other = factory.user("participant")
    page = participant_client.post(
        "/account/contact/email", data={"email-email": other.email.upper()}
    )
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "Another account uses this email address." in text and 'id="email-email-error"' in text
    assert db.scalars(select(ContactChange)).all() == []


def test_an_email_link_expires(app, factory, db, participant_client, participant, client, clock):
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        participant_client.post(
            "/account/contact/email", data={"email-email": "x@example.org"}
        ).close()
        [message] = smtp.messages
    link = re.search(r"http://p4p.test(/contact/confirm/\S+)", message.get_content()).group(1)
    clock.advance(hours=25)
    assert client.get(link).status_code == 410


def test_contact_page_in_spanish(factory, db, client):
    participant = factory.participant(language="es")
    login(client, participant.user.email)
    page = client.get("/account/contact").get_data(as_text=True)
    assert "Sus datos de contacto" in page
    page = client.post("/account/contact/phone", data={"phone-phone": "12"}).get_data(as_text=True)
    assert "número de teléfono válido" in page


@pytest.mark.parametrize(
    "path,data",
    [
        ("/account/contact/phone", {"phone-phone": "x" * 5000}),
        ("/account/contact/phone", {"phone-phone": "+1 312 555 0142 ext. 4"}),
        ("/account/contact/phone", {}),
        ("/account/contact/email", {"email-email": "\x00@\x00"}),
        ("/account/contact/email", {"email-email": "a" * 300 + "@example.org"}),
        ("/account/contact/code", {"code-code": "١٢٣٤٥٦"}),
        ("/account/contact/code", {"code-code": "12345"}),
        ("/account/contact/code", {"code-code": "123456"}),  # nothing waiting
    ],
)
def test_bad_input_on_the_contact_forms_is_a_message_never_a_500(
    db, participant_client, path, data
):
    page = participant_client.post(path, data=data)
    assert page.status_code in (400, 422)  # 400 for a NUL, refused before any view
    assert db.scalars(select(ContactChange)).all() == []


@pytest.mark.parametrize("typed", ["\x00", "+" * 40, "a" * 300, "٣١٢٥٥٥٠١٤٢", "@"])
def test_bad_login_and_reset_identifiers_are_never_a_500(client, typed):
    # 400: the app refuses a NUL in any form before a view reads it (p4p.security).
    assert login(client, typed).status_code in (200, 400)
    assert client.post("/reset", data={"email": typed}).status_code in (200, 302, 400)


def test_a_confirm_link_that_is_made_up_is_refused(client):
    assert client.get("/contact/confirm/made-up").status_code == 410
    assert client.post("/contact/confirm/made-up").status_code == 410
    assert client.get("/i/made-up").status_code == 410


@pytest.fixture
def proxied(app_config):
    """The deployment's own login limits, behind one proxy (as tests/security/test_login_lockout)."""
    from tests_cleanup import empty_tables

    from p4p import create_app
    from p4p.config import DEFAULTS

    app = create_app(
        {
            **app_config,
            "PROXY_HOPS": 1,
            **{
                name: DEFAULTS[name]
                for name in (
                    "LOGIN_RATE_LIMIT",
                    "LOGIN_ACCOUNT_RATE_LIMIT",
                    "LOGIN_DEVICE_RATE_LIMIT",
                )
            },
        }
    )
    with app.app_context():
        from p4p.db import get_session
        from p4p.modules.auth.service import create_user

        create_user(
            get_session(),
            email=None,
            phone=PHONE,
            name="R",
            role="participant",
            now=app_config["CLOCK"](),
            password=PASSWORD,
        )
        get_session().commit()
    yield app
    empty_tables(app)


def _login_from(client, typed, password, address):
    return client.post(
        "/login",
        data={"email": typed, "password": password},
        headers={"X-Forwarded-For": address},
    )


def test_guessing_by_phone_counts_on_the_account_in_every_format_and_spares_the_owner(proxied):
    owner = proxied.test_client()
    assert _login_from(owner, "(312) 555-0142", PASSWORD, "203.0.113.10").status_code == 302
    owner.post("/logout", headers={"X-Forwarded-For": "203.0.113.10"})
    attacker = proxied.test_client()
    answers = [
        _login_from(attacker, TYPED_AS[n % len(TYPED_AS)], f"guess {n}", f"198.51.100.{n + 1}")
        for n in range(12)
    ]
    # Five wrong tries in all, whichever way the number was written, then strangers wait.
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 7
    # The owner's browser knows the account by its phone, typed another way too.
    assert _login_from(owner, "+1 312 555 0142", PASSWORD, "203.0.113.10").status_code == 302


def test_the_email_change_link_and_the_login_page_in_spanish(app, factory, db, client):
    participant = factory.participant(language="es")
    login(client, participant.user.email)
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        client.post("/account/contact/email", data={"email-email": "nuevo@example.org"}).close()
        [message] = smtp.messages
    assert message["Subject"] == (
        "Confirme su nuevo correo electrónico para Vivir bien con dolor de espalda y cuello"
    )
    assert "Para confirmarla, abra este enlace:" in message.get_content()
    client.post("/logout")
    client.post("/language", data={"language": "es"})
    page = client.get("/login").get_data(as_text=True)
    assert "Correo electrónico o número de teléfono" in page


def test_login_does_one_password_check_whether_or_not_the_phone_has_an_account(
    app, factory, db, monkeypatch
):
    """The same work for an unknown phone or email as for a known one (the timing test of
    /reset is in tests/security; a login's cost is its one Argon2 check)."""
    from p4p.modules.auth import service

    _phone_user(factory, db)
    checks = []
    real = service.verify_password
    monkeypatch.setattr(
        service, "verify_password", lambda *args: checks.append(args[0]) or real(*args)
    )
    with app.app_context():
        for typed in ("(312) 555-0142", "(312) 555-0199", "nobody@example.org", "12"):
            checks.clear()
            assert service.authenticate(db, typed, "wrong password here") is None
            assert len(checks) == 1, typed


def test_codes_asked_for_are_limited_an_hour_and_the_present_number_is_no_change(
    app, factory, db, participant_client, participant, clock
):
    from p4p.modules.auth.contact import CHANGES_PER_HOUR

    with SmsProvider() as provider:
        provider.configure(app)
        for _ in range(CHANGES_PER_HOUR):
            participant_client.post("/account/contact/phone", data={"phone-phone": PHONE}).close()
        page = participant_client.post("/account/contact/phone", data={"phone-phone": PHONE})
        assert page.status_code == 422
        assert "several changes this hour" in page.get_data(as_text=True)
        assert len(provider.received) == CHANGES_PER_HOUR  # nobody floods a number from here
        codes = [re.search(r"\d{6}", r["Body"]).group(0) for r in provider.received]
        clock.advance(minutes=31)  # past CODE_MINUTES (sessions last longer)
        participant_client.post("/account/contact/code", data={"code-code": codes[-1]})
    db.expire_all()
    assert db.get(User, participant.user_id).phone is None  # the code had expired meanwhile
    page = participant_client.post(
        "/account/contact/email", data={"email-email": participant.user.email}
    )
    assert "This is already your contact" in page.get_data(as_text=True)


def test_only_the_latest_code_works(app, factory, db, participant_client, participant):
    with SmsProvider() as provider:
        provider.configure(app)
        participant_client.post("/account/contact/phone", data={"phone-phone": PHONE}).close()
        participant_client.post(
            "/account/contact/phone", data={"phone-phone": "+13125550143"}
        ).close()
        first, latest = (re.search(r"\d{6}", r["Body"]).group(0) for r in provider.received)
    if first != latest:
        participant_client.post("/account/contact/code", data={"code-code": first})
        db.expire_all()
        assert db.get(User, participant.user_id).phone is None
    participant_client.post("/account/contact/code", data={"code-code": latest})
    db.expire_all()
    assert db.get(User, participant.user_id).phone == "+13125550143"


@pytest.mark.parametrize(
    ("hours", "english", "spanish"),
    [
        (1, "1 hour", "1 hora"),
        (2, "2 hours", "2 horas"),
        (24, "24 hours", "24 horas"),
        (36, "36 hours", "36 horas"),
        (48, "2 days", "2 días"),
        (72, "3 days", "3 días"),
        (168, "1 week", "1 semana"),
        (336, "2 weeks", "2 semanas"),
    ],
)
def test_a_links_lifetime_reads_as_people_say_it(app, hours, english, spanish):
    from flask_babel import force_locale

    from p4p.modules.auth.links import lifetime_words

    with app.test_request_context():
        with force_locale("en"):
            assert lifetime_words(hours) == english
        with force_locale("es"):
            assert lifetime_words(hours) == spanish
