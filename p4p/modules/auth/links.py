"""Invite and reset links by email or text, through the reminder outbox.

A link goes out as an outbox row of its own kind (INVITE_LINK or RESET_LINK), with the
reminders' claim, send and retry. The request that asks for one only writes rows, in its own
transaction; they are tried right after its response is delivered
(p4p.modules.reminders.after_response) and the scheduler retries what failed. So a mail server
that is down never fails the request, and a change that is rolled back mails nothing. /reset
does even its lookup after the response, so its answer is the same for every address.

What the row holds. The email needs the raw token, and a retry may build it hours later; but a
raw token kept in the database would open the account to anyone who reads a backup. So it is
never stored: the raw token is an HMAC, under SECRET_KEY, of a random salt the row keeps, and
auth_token keeps only the token's SHA-256 as before. The database alone gives no link. Someone
with the database and SECRET_KEY gains nothing by it: they can already sign a session cookie
for any account (it names id:session_nonce, both in the database). A changed SECRET_KEY makes a
queued link arrive invalid (its page says so, and a new one can be asked for); it ends every
session too.

By text. A person with no email (or whom the coordinator chooses to text) gets the link by SMS:
a short route (/i/ and /r/) and a token of 16 bytes (128 bits, 22 characters), so the message
with its link stays within one 160-character segment. Same salt, expiry, hashing and audit.
"""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app, render_template, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session

from p4p.db import session as app_db
from p4p.messaging import Message
from p4p.modules.auth import contact
from p4p.modules.auth.models import AuthToken, TokenPurpose, User
from p4p.modules.auth.service import add_token, find_login_candidates, phone_of, token_hash
from p4p.modules.curriculum.service import get_program
from p4p.modules.reminders.after_response import send_after_response, send_now
from p4p.modules.reminders.models import (
    INVITE_LINK,
    RESET_LINK,
    Reminder,
    ReminderStatus,
)

# Beyond this, /reset answers the same but queues nothing: nobody can flood a person's inbox,
# and the links they received stay few enough that none need to be ended to make room.
RESET_LINKS_PER_HOUR = 3
KIND_OF = {TokenPurpose.INVITE: INVITE_LINK, TokenPurpose.RESET: RESET_LINK}
PURPOSE_OF = {kind: purpose for purpose, kind in KIND_OF.items()}


CHANNELS = ("email", "sms")
SHORT_TOKEN_BYTES = 16  # 128 bits: as unguessable as needed, short enough for one text


def secret_from_salt(salt: str, purpose: bytes, length: int | None = None) -> bytes:
    """The HMAC, under SECRET_KEY, that a row's salt stands for (see the module's docstring)."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, purpose + salt.encode(), hashlib.sha256).digest()[:length]


def _raw_token(salt: str, channel: str = "email") -> str:
    length = SHORT_TOKEN_BYTES if channel == "sms" else None
    digest = secret_from_salt(salt, b"account-link:", length)
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def channel_for(user: User, chosen: str | None = None) -> str | None:
    """How this person's link goes: the chosen channel if they have that contact, else email
    when they have one, else text; None when they have neither."""
    if chosen == "sms" and user.phone:
        return "sms"
    if chosen == "email" and user.email:
        return "email"
    if user.email:
        return "email"
    return "sms" if user.phone else None


def queue_link(
    db: Session, user: User, purpose: TokenPurpose, now: datetime, channel: str | None = None
) -> Reminder:
    """Issue a link and put its message in the outbox, to go once the request's work is
    committed; by email unless `channel` is "sms" or the person has no email."""
    channel = channel_for(user, channel) or "email"  # why_not() cancels a row with no contact
    salt = secrets.token_urlsafe(32)
    token = add_token(db, user, purpose, token_hash(_raw_token(salt, channel)), now)
    kind = KIND_OF[purpose]
    row = Reminder(
        key=f"{kind}:t{token.id}:u{user.id}:{channel}",  # as outbox_key_of spells it in SQL
        user_id=user.id,
        kind=kind,
        channel=channel,
        payload={"auth_token_id": token.id, "salt": salt},
        due_at=now,
        expires_at=token.expires_at,  # a link that has expired is not worth sending
        status=ReminderStatus.PLANNED,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    db.flush()
    send_after_response(row.id)
    return row


def outbox_key_of(token, channel: str):
    """The key of the outbox row that sends a link by `channel`, as an SQL expression over
    AuthToken's columns (for a join: a link and its row are made together)."""
    kind = case((token.purpose == TokenPurpose.INVITE, INVITE_LINK), else_=RESET_LINK)
    return kind + ":t" + cast(token.id, String) + ":u" + cast(token.user_id, String) + ":" + channel


def request_reset(db: Session, identifier: str, now: datetime) -> list[Reminder]:
    """Queue a reset link for each active account with this email (by email) or this phone
    (by text: a phone may be shared, and each account's link is its own), at most
    RESET_LINKS_PER_HOUR an hour each; the queued rows."""
    channel = "sms" if phone_of(identifier) else "email"
    rows = []
    for user in find_login_candidates(db, identifier):
        row = _reset_for(db, user, channel, now)
        if row is not None:
            rows.append(row)
    return rows


def _reset_for(db: Session, user: User, channel: str, now: datetime) -> Reminder | None:
    if not user.active:
        return None
    recent = db.execute(
        select(func.count(AuthToken.id)).where(
            AuthToken.user_id == user.id,
            AuthToken.purpose == TokenPurpose.RESET,
            AuthToken.created_at > now - timedelta(hours=1),
        )
    ).scalar_one()
    if recent >= RESET_LINKS_PER_HOUR:
        return None
    return queue_link(db, user, TokenPurpose.RESET, now, channel)


def reset_after_response(identifier: str, now: datetime) -> None:
    """/reset's work, run once its response is delivered (run_after_response).

    Looking the address up, queueing and committing cost a few milliseconds only when there
    is an account (2.3 ms of 9 measured in process), so any of it before the response would
    tell who has one; after it, the answer and its timing are the same for every address.
    """
    rows = request_reset(app_db, identifier, now)
    app_db.commit()  # a transaction of its own, as a scheduler tick's: the request's has ended
    if rows:
        send_now([row.id for row in rows])


def why_not(db: Session, reminder: Reminder) -> str | None:
    """None while the link's message should go; otherwise why not (the outbox's second look)."""
    if reminder.kind in contact.CONTACT_KINDS:
        return contact.why_not(db, reminder)
    token = db.get(AuthToken, reminder.payload.get("auth_token_id"))
    if token is None or token.used_at is not None:
        return "link no longer valid"  # used, or replaced by a newer invite
    if not reminder.user.active:
        return "account inactive"
    if not (reminder.user.email if reminder.channel == "email" else reminder.user.phone):
        return f"no {reminder.channel} contact"
    return None


def lifetime_words(hours: int) -> str:
    """How long a link works, as a person says it: "1 week", not "168 hours". Weeks come first
    because "semana" keeps a Spanish text in GSM-7 (one 160-character segment); "días" does not."""
    if hours % (24 * 7) == 0:
        return ngettext("%(num)d week", "%(num)d weeks", hours // (24 * 7))
    if hours >= 48 and hours % 24 == 0:
        return ngettext("%(num)d day", "%(num)d days", hours // 24)
    return ngettext("%(num)d hour", "%(num)d hours", hours)


def render(reminder: Reminder) -> Message:
    """The link's email or text in the recipient's language, the link rebuilt from the salt."""
    if reminder.kind in contact.CONTACT_KINDS:
        return contact.render(reminder)
    user = reminder.user
    purpose = PURPOSE_OF[reminder.kind]
    by_text = reminder.channel == "sms"
    if purpose == TokenPurpose.INVITE:
        endpoint = "auth.short_invite" if by_text else "auth.accept_invite"
    else:
        endpoint = "auth.short_reset" if by_text else "auth.reset_password"
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):  # sent after the request, or by a tick
        token = _raw_token(reminder.payload["salt"], reminder.channel)
        link = base + url_for(endpoint, token=token)
    hours = current_app.config[
        "INVITE_TTL_HOURS" if purpose == TokenPurpose.INVITE else "RESET_TTL_HOURS"
    ]
    with force_locale(user.language or "en"):
        lifetime = lifetime_words(hours)
        # Invites and resets go to participants too: the arm-neutral study name, never "p4p".
        program = get_program()
        if by_text:
            # why_not() cancels a text to someone without a phone before it renders.
            assert user.phone is not None
            study = program.name_in(user.language or "en", short=True)
            text = render_template(f"sms/{purpose}.txt", study=study, link=link, lifetime=lifetime)
            return Message(to=user.phone, subject="", text=text.strip())
        study = program.name_in(user.language or "en")
        if purpose == TokenPurpose.INVITE:
            subject = _("Welcome to %(study)s: set your password", study=study)
        else:
            subject = _("Reset your password for %(study)s", study=study)
        text = render_template(f"email/{purpose}.txt", user=user, link=link, lifetime=lifetime)
    assert user.email is not None  # invites go to accounts with one; a reset, to the one asked
    return Message(to=user.email, subject=subject, text=text)
