"""Known devices (OWASP's device cookies), so that nobody can lock a person out by guessing.

A successful login leaves a signed cookie on that browser naming the account. Failed logins from
browsers without one count against the account (LOGIN_ACCOUNT_RATE_LIMIT): guessing from many
addresses is slowed down, harder the more it fails, and past the limit unknown browsers are
refused for that account. Failed logins from a browser with the account's cookie count against
that device alone (LOGIN_DEVICE_RATE_LIMIT, looser), so the owner keeps logging in from their own
phone whatever strangers try, and a stolen cookie still cannot guess for long.

The counts are Flask-Limiter's (its storage: memory, or Redis shared by every worker); only
failures are counted (`deduct_when`), and refused tries do not count at all.

The cookie is checked without the database: its signature (the app's secret key), its age, and
the hash of the email or phone it was issued for, which must be the one being typed (a person
with both gets both hashes, and either may be typed; a phone counts however it is written). The limiter asks
for it before the view runs, on every login POST; a lookup there would add a query to each try an
attacker makes. What it cannot do is revocation: changing the secret key forgets every device.
That is acceptable because the cookie opens nothing; it only spares its device the lockout meant
for strangers, and has a limit of its own.
"""

import hashlib
import secrets

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from p4p.modules.auth.models import User
from p4p.modules.auth.service import login_key

COOKIE_NAME = "p4p_device"
COOKIE_DAYS = 365
_SALT = "p4p.known-device"


def email_digest(identifier: str | None) -> str:
    """The account as a limiter key and in the cookie: a fixed-length hash of the normalised
    email or E.164 phone, so a megabyte typed as one is never a key and none is kept in clear.

    An account with both an email and a phone has two keys, so a guesser alternating them gets
    twice LOGIN_ACCOUNT_RATE_LIMIT; a key of its own per account would need a lookup here."""
    return hashlib.sha256(login_key(identifier).encode()).hexdigest()[:32]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def remember(response, user: User) -> None:
    """Mark this browser as a known device of the account (after a login, or setting a password
    from an emailed link, which proves the same). A new nonce each time: a fresh device count."""
    data = {"account": user.id, "nonce": secrets.token_hex(8)}
    # Only what the account has: the contact it lacks has no key (itsdangerous compresses a
    # payload when that is shorter, so a fuller one may start with ".": both are read alike).
    for key, contact in (("email", user.email), ("phone", user.phone)):
        if contact:
            data[key] = email_digest(contact)
    value = _serializer().dumps(data)
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=COOKIE_DAYS * 24 * 3600,
        path="/login",  # only the login form needs it; no other request carries it
        secure=request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


def _device_nonce() -> str | None:
    """The nonce of this request's device cookie when it was issued for the email typed in."""
    if "known_device" not in g:
        g.known_device = None
        raw = request.cookies.get(COOKIE_NAME)
        if raw:
            try:
                data = _serializer().loads(raw, max_age=COOKIE_DAYS * 24 * 3600)
            except BadSignature:  # forged, altered, from another secret, or too old
                data = None
            typed = email_digest(request.form.get("email", ""))
            if isinstance(data, dict) and typed in (data.get("email"), data.get("phone")):
                g.known_device = str(data.get("nonce") or "") or None
    return g.known_device


def is_known() -> bool:
    return _device_nonce() is not None


def is_unknown() -> bool:
    return _device_nonce() is None


def account_key() -> str:
    return "login-account:" + email_digest(request.form.get("email"))


def device_key() -> str:
    return "login-device:" + (_device_nonce() or "")


def note_failure() -> None:
    """Called by the view on a wrong email or password: the one outcome the limits count."""
    g.login_failed = True


def failed(_response) -> bool:
    return bool(g.get("login_failed"))
