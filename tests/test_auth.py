"""Accounts: login, throttling, sessions that end, invite and reset links by real email."""

import re

import pytest
from conftest import PASSWORD, login
from smtp_server import SmtpServer

from p4p import create_app
from p4p.modules.auth.links import queue_link
from p4p.modules.auth.models import TokenPurpose, User
from p4p.modules.auth.passwords import password_problems
from p4p.modules.auth.service import issue_token
from p4p.modules.reminders.after_response import send_now
from p4p.modules.reminders.models import Reminder


def test_login_with_right_password_and_wrong_password(factory, client):
    user = factory.user("participant")
    wrong = login(client, user.email, "wrong password here")
    assert wrong.status_code == 200
    assert "do not match an account" in wrong.get_data(as_text=True)
    assert login(client, user.email.upper()).status_code == 302


def test_unknown_email_gets_exactly_the_same_answer_as_a_wrong_password(factory, client):
    user = factory.user("participant")
    known = login(client, user.email, "wrong password here").get_data(as_text=True)
    unknown = login(client, "nobody@example.org", "wrong password here").get_data(as_text=True)
    strip = lambda page: re.sub(r'value="[^"]*"', "", page)  # noqa: E731 - the typed email differs
    assert strip(known) == strip(unknown)


def _parameters(password_hash: str) -> tuple[int, int, int]:
    memory, time_cost, lanes = re.search(r"m=(\d+),t=(\d+),p=(\d+)", password_hash).groups()
    return int(memory), int(time_cost), int(lanes)


def test_passwords_are_hashed_with_argon2id_at_owasp_strength(app_config):
    """The production defaults (no hash settings given), not the tests' cheap ones."""
    from p4p.modules.auth.passwords import hash_password, verify_password

    production = {k: v for k, v in app_config.items() if not k.startswith("PASSWORD_HASH_")}
    app = create_app(production)
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        assert verify_password(password_hash, PASSWORD)
    app.extensions["p4p.engine"].dispose()
    assert password_hash.startswith("$argon2id$")
    assert _parameters(password_hash) == (19 * 1024, 2, 1)
    assert PASSWORD not in password_hash


def test_the_tests_hash_cheaply_and_any_hash_verifies_whatever_the_settings(factory, app):
    """The tests' config is honoured; a hash made at OWASP strength still verifies in an app
    with other settings (a hash carries its parameters), and a wrong password does not."""
    from argon2 import PasswordHasher

    from p4p.modules.auth.passwords import verify_password

    user = factory.user("coordinator")
    assert _parameters(user.password_hash) == (8, 1, 1)
    strong = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(PASSWORD)
    with app.app_context():
        assert verify_password(user.password_hash, PASSWORD)
        assert verify_password(strong, PASSWORD)
        assert not verify_password(strong, "wrong password here")
        assert not verify_password(None, PASSWORD)


@pytest.mark.parametrize("password", ["short", "password123", "aaaaaaaaaaaa", "partners4pain"])
def test_weak_passwords_are_refused(password):
    assert password_problems(password)


def test_long_passphrases_and_the_email_rule():
    assert password_problems("my dog likes long walks in the park " * 2) == []
    assert password_problems("rosamartinez99", email="rosamartinez@example.org")


def test_login_is_throttled_per_address_without_locking_anyone_out_for_good(
    app_config, factory, clock
):
    app_config.update(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    app = create_app(app_config)
    client = app.test_client()
    with app.app_context():
        from p4p.db import get_session

        db = get_session()
        from p4p.modules.auth.service import create_user

        create_user(
            db, email="t@example.org", name="T", role="participant", now=clock(), password=PASSWORD
        )
        db.commit()
    for _ in range(3):
        assert login(client, "t@example.org", "wrong password!").status_code == 200
    blocked = login(client, "t@example.org", PASSWORD)
    assert blocked.status_code == 429
    assert "Too many tries" in blocked.get_data(as_text=True)
    assert int(blocked.headers["Retry-After"]) > 0  # the limiter's headers_enabled
    # Limits are windows, not locks: the key is free again once the window passes.
    from p4p.extensions import limiter

    limiter.reset()
    assert login(client, "t@example.org", PASSWORD).status_code == 302
    from tests_cleanup import empty_tables

    empty_tables(app)


def test_logout_ends_the_session_for_good(factory, client):
    user = factory.user("participant")
    login(client, user.email)
    with client.session_transaction() as session:
        stolen = dict(session)
    client.post("/logout")
    with client.session_transaction() as session:
        session.update(stolen)  # replaying the old cookie does not log back in
    assert client.get("/staff/").status_code == 302


def test_logout_is_post_only(factory, client):
    login(client, factory.user("participant").email)
    assert client.get("/logout").status_code == 405


def test_deactivating_an_account_ends_its_sessions(factory, db, client):
    user = factory.user("coordinator")
    login(client, user.email)
    assert client.get("/staff/").status_code == 200
    user.active = False
    db.commit()
    assert client.get("/staff/").status_code == 302


def test_session_ends_after_idle_time_and_after_absolute_time(factory, client, clock):
    user = factory.user("coordinator")
    login(client, user.email)
    clock.advance(minutes=59)
    assert client.get("/staff/").status_code == 200
    clock.advance(minutes=61)
    assert client.get("/staff/").status_code == 302
    login(client, user.email)
    for _ in range(14):  # 14 x 55 minutes passes 12 hours
        clock.advance(minutes=55)
        last = client.get("/staff/")
    assert last.status_code == 302  # 12 hours at most, however busy


def test_login_starts_a_new_session(factory, client):
    user = factory.user("participant")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(client, user.email)
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_login_never_redirects_off_site(factory, client, target):
    user = factory.user("participant")
    response = client.post(
        f"/login?next={target}", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_invite_link_sets_the_password_once_and_expires(app, factory, db, client, clock):
    user = factory.user("participant", password=None)
    with app.test_request_context():
        raw = issue_token(db, user, TokenPurpose.INVITE, clock())
        db.commit()
    assert client.get(f"/invite/{raw}").status_code == 200
    new_password = "sunny morning walk"
    response = client.post(
        f"/invite/{raw}", data={"password": new_password, "confirm": new_password}
    )
    assert response.status_code == 302
    assert login(client, user.email, new_password).status_code == 302
    client.post("/logout")
    assert client.get(f"/invite/{raw}").status_code == 410  # single use
    with app.test_request_context():
        late = issue_token(db, user, TokenPurpose.INVITE, clock())
        db.commit()
    clock.advance(days=8)
    assert client.get(f"/invite/{late}").status_code == 410


def test_new_password_form_gives_field_errors(app, factory, db, client, clock):
    user = factory.user("participant", password=None)
    with app.test_request_context():
        raw = issue_token(db, user, TokenPurpose.INVITE, clock())
        db.commit()
    page = client.post(f"/invite/{raw}", data={"password": "password123", "confirm": "different"})
    text = page.get_data(as_text=True)
    assert 'id="password-error"' in text and 'id="confirm-error"' in text
    db.expire_all()
    assert db.get(User, user.id).password_hash is None


def test_password_reset_by_email_through_a_real_smtp_server(app_config, factory, clock):
    with SmtpServer() as smtp:
        app_config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
        app = create_app(app_config)
        client = app.test_client()
        with app.app_context():
            from p4p.db import get_session
            from p4p.modules.auth.service import create_user

            db = get_session()
            create_user(
                db,
                email="rosa@example.org",
                name="Rosa",
                role="participant",
                now=clock(),
                password=PASSWORD,
            )
            db.commit()
        for email in ("rosa@example.org", "nobody@example.org"):
            response = client.post("/reset", data={"email": email}, follow_redirects=True)
            assert "If that email has an account" in response.get_data(as_text=True)
        assert len(smtp.messages) == 1  # only the real account gets mail; the page says the same
        body = smtp.messages[0].get_content()
        assert smtp.messages[0]["To"] == "rosa@example.org"
        link = re.search(r"http://p4p.test(/reset/\S+)", body).group(1)
        response = client.post(
            link, data={"password": "new garden gate", "confirm": "new garden gate"}
        )
        assert response.status_code == 302
        assert login(client, "rosa@example.org", "new garden gate").status_code == 302
        from tests_cleanup import empty_tables

        empty_tables(app)


def test_invite_email_is_sent_with_a_working_link(app, factory, db, clock, client):
    user = factory.user("participant", password=None)
    with SmtpServer() as smtp:
        app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
        with app.app_context():  # as the CLI or a job does: queued, committed, then sent
            queued = queue_link(db, user, TokenPurpose.INVITE, clock())
            db.commit()
            send_now([queued.id])
        [message] = smtp.messages
    assert "set your password" in message["Subject"]
    assert "works once and for 1 week" in message.get_content()  # not "168 hours"
    link = re.search(r"http://p4p.test(/invite/\S+)", message.get_content()).group(1)
    assert client.get(link).status_code == 200
    db.expire_all()
    assert "salt" in db.get(Reminder, queued.id).payload  # the row keeps no token: see links


def test_csrf_token_is_required_on_every_post(app_config, factory):
    app_config["WTF_CSRF_ENABLED"] = True
    app = create_app(app_config)
    client = app.test_client()
    response = client.post("/login", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 400
    from tests_cleanup import empty_tables

    empty_tables(app)
