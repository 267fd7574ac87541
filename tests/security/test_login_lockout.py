"""Nobody can lock a person out by guessing their password (issue 16, item 1).

The attack: 135 wrong passwords for one account from rotating addresses, through the documented
proxy (P4P_PROXY_HOPS=1). Before device cookies the per-account limit then refused the owner's
right password too, for about an hour.
"""

import pytest
from conftest import PASSWORD
from itsdangerous import URLSafeTimedSerializer
from tests_cleanup import empty_tables

from p4p import create_app
from p4p.config import DEFAULTS
from p4p.modules.auth import devices

OWNER_ADDRESS = "203.0.113.10"
ATTEMPTS = 135


@pytest.fixture
def proxied(app_config):
    """The deployment's own limits (not the tests' generous ones), behind one proxy."""
    app = create_app(
        {
            **app_config,
            "PROXY_HOPS": 1,
            "LOGIN_RATE_LIMIT": DEFAULTS["LOGIN_RATE_LIMIT"],
            "LOGIN_ACCOUNT_RATE_LIMIT": DEFAULTS["LOGIN_ACCOUNT_RATE_LIMIT"],
            "LOGIN_DEVICE_RATE_LIMIT": DEFAULTS["LOGIN_DEVICE_RATE_LIMIT"],
        }
    )
    with app.app_context():
        from p4p.db import get_session
        from p4p.modules.auth.service import create_user

        session = get_session()
        for email in ("rosa@example.org", "other@example.org"):
            create_user(
                session,
                email=email,
                name="R",
                role="participant",
                now=app_config["CLOCK"](),
                password=PASSWORD,
            )
        session.commit()
    yield app
    empty_tables(app)


def _login(client, email, password, address):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


def _attack(app, email="rosa@example.org"):
    """Wrong passwords from a new address each time, as a botnet would send them."""
    attacker = app.test_client()
    answers = [
        _login(attacker, email, f"guess number {n}", f"198.51.{n // 250}.{n % 250 + 1}").status_code
        for n in range(ATTEMPTS)
    ]
    return answers


def test_the_owners_device_logs_in_after_135_wrong_tries_from_rotating_addresses(proxied):
    owner = proxied.test_client()
    assert _login(owner, "rosa@example.org", PASSWORD, OWNER_ADDRESS).status_code == 302
    owner.post("/logout", headers={"X-Forwarded-For": OWNER_ADDRESS})

    answers = _attack(proxied)
    back = _login(owner, "rosa@example.org", PASSWORD, OWNER_ADDRESS)
    assert back.status_code == 302, back.headers.get("Retry-After")
    # Five wrong tries were answered, then unknown browsers had to wait.
    assert (answers.count(200), answers.count(429)) == (5, ATTEMPTS - 5)


def test_the_device_cookie_is_signed_http_only_lax_long_lived_and_secure_on_https(proxied):
    client = proxied.test_client()
    _login(client, "rosa@example.org", PASSWORD, OWNER_ADDRESS)
    cookie = client.get_cookie(devices.COOKIE_NAME, path="/login")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure
    assert cookie.max_age == 365 * 24 * 3600
    assert cookie.value.count(".") == 2  # itsdangerous: payload, timestamp, signature
    secure = proxied.test_client()
    response = secure.post(
        "/login",
        data={"email": "rosa@example.org", "password": PASSWORD},
        headers={"X-Forwarded-For": OWNER_ADDRESS, "X-Forwarded-Proto": "https"},
    )
    assert "Secure" in [h for h in response.headers.getlist("Set-Cookie") if "p4p_device" in h][0]


def test_a_browser_without_the_cookie_is_refused_even_with_the_right_password(proxied):
    _attack(proxied)
    stranger = _login(proxied.test_client(), "rosa@example.org", PASSWORD, "192.0.2.50")
    assert stranger.status_code == 429
    assert int(stranger.headers["Retry-After"]) > 0


def test_a_forged_or_another_accounts_cookie_gives_no_way_round(proxied):
    other = proxied.test_client()
    assert _login(other, "other@example.org", PASSWORD, "192.0.2.60").status_code == 302
    _attack(proxied)
    # The other account's own, genuine cookie does not count for Rosa.
    assert _login(other, "rosa@example.org", PASSWORD, "192.0.2.60").status_code == 429

    forged_client = proxied.test_client()
    for forged in (
        "not-a-cookie",
        # Right shape, signed with a guessed key.
        URLSafeTimedSerializer("guessed", salt="p4p.known-device").dumps(
            {"account": 1, "email": devices.email_digest("rosa@example.org"), "nonce": "x"}
        ),
    ):
        forged_client.set_cookie(devices.COOKIE_NAME, forged, path="/login")
        assert _login(forged_client, "rosa@example.org", PASSWORD, "192.0.2.61").status_code == 429


def test_a_stolen_device_cookie_cannot_guess_for_long(proxied):
    thief = proxied.test_client()
    assert _login(thief, "rosa@example.org", PASSWORD, "192.0.2.70").status_code == 302
    thief.post("/logout", headers={"X-Forwarded-For": "192.0.2.70"})
    answers = [
        _login(thief, "rosa@example.org", f"guess {n}", f"192.0.2.{n + 100}").status_code
        for n in range(12)
    ]
    assert answers == [200] * 10 + [429] * 2  # the device's own limit: 10 failures a minute
    # ...and it was counted on that device alone: strangers still have their five tries.
    assert _login(proxied.test_client(), "rosa@example.org", "x", "192.0.2.90").status_code == 200


def test_the_limiter_keys_name_no_email(proxied):
    _login(proxied.test_client(), "rosa@example.org", "wrong one", OWNER_ADDRESS)
    from p4p.extensions import limiter

    keys = list(limiter.storage.storage)
    assert keys and not any("rosa" in key for key in keys)
