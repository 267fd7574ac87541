"""The SMS webhook takes only the provider's signed requests, and no secret reaches a log line
(issue 16, item 7).

Before, the webhook was /sms/inbound/<secret>: anyone with the URL could switch a person's texts
off, and the request log wrote the secret on every reply (20 times in the adversarial run).
"""

import base64
import hashlib
import hmac
import logging

import pytest
from reminder_helpers import enrolled
from sqlalchemy import select

from p4p.modules.auth.models import TokenPurpose
from p4p.modules.auth.service import issue_token
from p4p.modules.reminders.models import ReminderPreference

AUTH_TOKEN = "twilio-auth-token-4f9a"  # noqa: S105 - the test's own provider secret
PHONE = "+15550007777"
URL = "http://p4p.test/sms/inbound"  # BASE_URL of the tests + the webhook's path


def twilio_signature(url: str, params: dict) -> str:
    """Computed here as Twilio documents it, not with the app's code."""
    signed = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    mac = hmac.new(AUTH_TOKEN.encode(), signed.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


@pytest.fixture
def webhook(app, factory, db):
    app.config["SMS_AUTH_TOKEN"] = AUTH_TOKEN
    participant = enrolled(factory, db, phone=PHONE)
    return participant


def _sms_on(db, participant):
    db.expire_all()
    preference = db.scalar(
        select(ReminderPreference).where(ReminderPreference.user_id == participant.user_id)
    )
    return True if preference is None else preference.sms_on


REPLY = {"From": PHONE, "Body": "STOP", "To": "+15550009999", "MessageSid": "SM123"}


def test_a_reply_signed_by_the_provider_is_taken(client, db, webhook):
    headers = {"X-Twilio-Signature": twilio_signature(URL, REPLY)}
    response = client.post("/sms/inbound", data=REPLY, headers=headers)
    assert response.status_code == 200 and response.json == {"updated": 1}
    assert _sms_on(db, webhook) is False


@pytest.mark.parametrize(
    "case",
    ["missing header", "tampered param", "wrong url", "wrong key", "another path"],
)
def test_anything_not_signed_for_this_request_is_refused(client, db, webhook, case):
    data, signature, path = dict(REPLY), twilio_signature(URL, REPLY), "/sms/inbound"
    headers = {"X-Twilio-Signature": signature}
    if case == "missing header":
        headers = {}
    elif case == "tampered param":
        data["From"] = "+15550001111"
    elif case == "wrong url":
        headers["X-Twilio-Signature"] = twilio_signature("http://evil.test/sms/inbound", REPLY)
    elif case == "wrong key":
        mac = hmac.new(b"guessed", (URL + "BodySTOP").encode(), hashlib.sha1)
        headers["X-Twilio-Signature"] = base64.b64encode(mac.digest()).decode()
    else:  # the old secret-in-the-URL path
        path = "/sms/inbound/some-secret"
    response = client.post(path, data=data, headers=headers)
    assert response.status_code in ((403,) if path == "/sms/inbound" else (403, 404, 405))
    assert _sms_on(db, webhook) is True


def test_without_an_auth_token_configured_nothing_is_taken(app, client, db, webhook):
    app.config["SMS_AUTH_TOKEN"] = None
    headers = {"X-Twilio-Signature": twilio_signature(URL, REPLY)}
    assert client.post("/sms/inbound", data=REPLY, headers=headers).status_code == 403


def test_no_secret_or_token_reaches_the_request_log(app, client, db, factory, webhook, caplog):
    caplog.set_level(logging.INFO, logger="p4p")
    headers = {"X-Twilio-Signature": twilio_signature(URL, REPLY)}
    client.post("/sms/inbound?token=query-secret", data=REPLY, headers=headers)
    user = factory.user("participant", password=None)
    with app.test_request_context():
        reset = issue_token(db, user, TokenPurpose.RESET, factory.clock())
        invite = issue_token(db, user, TokenPurpose.INVITE, factory.clock())
        db.commit()
    client.get(f"/reset/{reset}")
    client.get(f"/invite/{invite}?ref=query-secret")
    client.get("/stop/some-stop-token")
    lines = [r.getMessage() for r in caplog.records if r.name == "p4p.requests"]
    assert len(lines) == 4
    text = "\n".join(lines)
    for secret in (
        AUTH_TOKEN,
        "query-secret",
        reset,
        invite,
        "some-stop-token",
        headers["X-Twilio-Signature"],
    ):
        assert secret not in text
    assert "GET /reset/<token> 200" in text and "GET /invite/<token> 200" in text
