"""Invite and reset links by email, through the reminder outbox.

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
"""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session

from p4p.db import session as app_db
from p4p.messaging import Message
from p4p.modules.auth.models import AuthToken, TokenPurpose, User
from p4p.modules.auth.service import add_token, find_user_by_email, token_hash
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


def _raw_token(salt: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, b"account-link:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def queue_link(db: Session, user: User, purpose: TokenPurpose, now: datetime) -> Reminder:
    """Issue a link and put its email in the outbox, to go once the request's work is committed."""
    salt = secrets.token_urlsafe(32)
    token = add_token(db, user, purpose, token_hash(_raw_token(salt)), now)
    kind = KIND_OF[purpose]
    row = Reminder(
        key=f"{kind}:t{token.id}:u{user.id}:email",  # as outbox_key_of spells it in SQL
        user_id=user.id,
        kind=kind,
        channel="email",
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


def outbox_key_of(token):
    """The key of the outbox row that mails a link, as an SQL expression over AuthToken's
    columns (for a join: a link and its row are made together)."""
    kind = case((token.purpose == TokenPurpose.INVITE, INVITE_LINK), else_=RESET_LINK)
    return kind + ":t" + cast(token.id, String) + ":u" + cast(token.user_id, String) + ":email"


def request_reset(db: Session, email: str, now: datetime) -> Reminder | None:
    """Queue a reset link for this address if it has an active account, at most
    RESET_LINKS_PER_HOUR an hour; the queued row, or None."""
    user = find_user_by_email(db, email)
    if user is None or not user.active:
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
    return queue_link(db, user, TokenPurpose.RESET, now)


def reset_after_response(email: str, now: datetime) -> None:
    """/reset's work, run once its response is delivered (run_after_response).

    Looking the address up, queueing and committing cost a few milliseconds only when there
    is an account (2.3 ms of 9 measured in process), so any of it before the response would
    tell who has one; after it, the answer and its timing are the same for every address.
    """
    row = request_reset(app_db, email, now)
    app_db.commit()  # a transaction of its own, as a scheduler tick's: the request's has ended
    if row is not None:
        send_now([row.id])


def why_not(db: Session, reminder: Reminder) -> str | None:
    """None while the link's email should go; otherwise why not (the outbox's second look)."""
    token = db.get(AuthToken, reminder.payload.get("auth_token_id"))
    if token is None or token.used_at is not None:
        return "link no longer valid"  # used, or replaced by a newer invite
    if not reminder.user.active:
        return "account inactive"
    if not reminder.user.email:
        return "no email contact"
    return None


def render(reminder: Reminder) -> Message:
    """The link's email in the recipient's language, the link rebuilt from the row's salt."""
    user = reminder.user
    purpose = PURPOSE_OF[reminder.kind]
    endpoint = "auth.accept_invite" if purpose == TokenPurpose.INVITE else "auth.reset_password"
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):  # sent after the request, or by a tick
        link = base + url_for(endpoint, token=_raw_token(reminder.payload["salt"]))
    hours = current_app.config[
        "INVITE_TTL_HOURS" if purpose == TokenPurpose.INVITE else "RESET_TTL_HOURS"
    ]
    with force_locale(user.language or "en"):
        # Invites and resets go to participants too: the arm-neutral study name, never "p4p".
        study = get_program().name_in(user.language or "en")
        if purpose == TokenPurpose.INVITE:
            subject = _("Welcome to %(study)s: set your password", study=study)
        else:
            subject = _("Reset your password for %(study)s", study=study)
        text = render_template(f"email/{purpose}.txt", user=user, link=link, hours=hours)
    assert user.email is not None  # invites go to accounts with one; a reset, to the one asked
    return Message(to=user.email, subject=subject, text=text)
