"""A person's own email and phone: changed by them, confirmed from the new address.

A change waits in a ContactChange row until it is confirmed: a new phone by the 6-digit code
texted to it (typed on the contact page, at most MAX_TRIES tries, for CODE_MINUTES), a new email
by the link mailed to it (for LINK_HOURS). Until then the account keeps its old contact, so a
mistyped address never takes the person's reminders and account links away from them.

The code and the link go through the reminder outbox as the account links do
(p4p.modules.auth.links): the row keeps a salt, the code or token is an HMAC of it under
SECRET_KEY, and only a hash of the code or token is stored. A code's hash is keyed too: six
digits hashed plainly would be found from a database copy in a moment.
"""

import base64
import hmac
import secrets
from datetime import datetime, timedelta
from typing import cast

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, object_session

from p4p.messaging import Message
from p4p.modules.audit.service import record, record_change
from p4p.modules.auth.models import ContactChange, ContactField, User
from p4p.modules.auth.service import find_user_by_email, normalise_email, token_hash
from p4p.modules.curriculum.service import get_program
from p4p.modules.reminders.after_response import send_after_response
from p4p.modules.reminders.models import CONTACT_CODE, CONTACT_LINK, Reminder, ReminderStatus
from p4p.problems import Problems

CONTACT_KINDS = frozenset({CONTACT_CODE, CONTACT_LINK})
CODE_MINUTES = 30
LINK_HOURS = 24
MAX_TRIES = 5
# New codes or links a person may ask for in an hour: a page nobody can use to flood a number.
CHANGES_PER_HOUR = 5


def _secret(salt: str, purpose: bytes) -> bytes:
    from p4p.modules.auth.links import secret_from_salt  # links imports this module

    return secret_from_salt(salt, purpose)


def code_of(change: ContactChange) -> str:
    """The 6-digit code texted for this change (rebuilt from its salt)."""
    number = int.from_bytes(_secret(change.salt, b"contact-code:"), "big") % 1_000_000
    return f"{number:06d}"


def _code_hash(salt: str, code: str) -> str:
    return _secret(salt + ":" + code, b"contact-code-check:").hex()


def _link_token(salt: str) -> str:
    return base64.urlsafe_b64encode(_secret(salt, b"contact-link:")).rstrip(b"=").decode()


def pending_change(db: Session, user: User, field: str, now: datetime) -> ContactChange | None:
    """The change of this field still waiting for confirmation, if any."""
    return db.scalar(
        select(ContactChange)
        .where(
            ContactChange.user_id == user.id,
            ContactChange.field == field,
            ContactChange.ended_at.is_(None),
            ContactChange.expires_at > now,
        )
        .order_by(ContactChange.id.desc())
        .limit(1)
    )


def request_change(db: Session, user: User, field: str, value: str, now: datetime) -> ContactChange:
    """Start changing the email or phone (`value` already checked and normalised by the form):
    a code or link goes to the new address; audited. Problems, writing nothing, for an email
    of another account, the present value, or too many requests this hour."""
    form_field = "email" if field == ContactField.EMAIL else "phone"
    if field == ContactField.EMAIL:
        value = normalise_email(value)
        other = find_user_by_email(db, value)
        if other is not None and other.id != user.id:
            raise Problems({form_field: _l("Another account uses this email address.")})
    if value == (user.email if field == ContactField.EMAIL else user.phone):
        raise Problems({form_field: _l("This is already your contact. Nothing to change.")})
    recent = db.scalars(
        select(ContactChange.id).where(
            ContactChange.user_id == user.id,
            ContactChange.created_at > now - timedelta(hours=1),
        )
    ).all()
    if len(recent) >= CHANGES_PER_HOUR:
        raise Problems(
            {form_field: _l("You asked for several changes this hour. Try again later.")}
        )
    db.execute(  # a new request replaces the one waiting: only the latest code or link works
        update(ContactChange)
        .where(
            ContactChange.user_id == user.id,
            ContactChange.field == field,
            ContactChange.ended_at.is_(None),
        )
        .values(ended_at=now)
    )
    salt = secrets.token_urlsafe(32)
    by_text = field == ContactField.PHONE
    expires = now + (timedelta(minutes=CODE_MINUTES) if by_text else timedelta(hours=LINK_HOURS))
    change = ContactChange(
        user_id=user.id,
        field=field,
        new_value=value,
        salt=salt,
        secret_hash="",
        tries=0,
        created_at=now,
        expires_at=expires,
    )
    change.secret_hash = (
        _code_hash(salt, code_of(change)) if by_text else token_hash(_link_token(salt))
    )
    db.add(change)
    db.flush()
    kind = CONTACT_CODE if by_text else CONTACT_LINK
    channel = "sms" if by_text else "email"
    row = Reminder(
        key=f"{kind}:c{change.id}:u{user.id}:{channel}",
        user_id=user.id,
        kind=kind,
        channel=channel,
        payload={"contact_change_id": change.id},
        due_at=now,
        expires_at=expires,
        status=ReminderStatus.PLANNED,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    record(
        db,
        at=now,
        actor_id=user.id,
        action="contact-change-asked",
        entity="user",
        entity_id=user.id,
        new={field: value},
    )
    db.flush()
    send_after_response(row.id)
    return change


def _apply(db: Session, change: ContactChange, now: datetime) -> bool:
    """Make the confirmed change; False, changing nothing, when the email was taken meanwhile
    by another account or the change was already used."""
    user = change.user
    if change.field == ContactField.EMAIL:
        other = find_user_by_email(db, change.new_value)
        if other is not None and other.id != user.id:
            return False
    ended = db.execute(
        update(ContactChange)
        .where(ContactChange.id == change.id, ContactChange.ended_at.is_(None))
        .values(ended_at=now, confirmed_at=now)
    )
    if cast(CursorResult, ended).rowcount != 1:  # another request confirmed it a moment ago
        return False
    old_value = user.email if change.field == ContactField.EMAIL else user.phone
    if change.field == ContactField.EMAIL:
        user.email = change.new_value
    else:
        user.phone = change.new_value
    record_change(
        db,
        at=now,
        actor_id=user.id,
        action="contact-changed",
        entity="user",
        entity_id=user.id,
        old={change.field: old_value},
        new={change.field: change.new_value},
    )
    db.flush()
    return True


def confirm_code(db: Session, user: User, code: str, now: datetime) -> str:
    """Check a typed code against the phone change waiting: "confirmed", "wrong" (a try used),
    "no tries" (that was the last; a new code must be asked for) or "expired" (none waiting)."""
    change = pending_change(db, user, ContactField.PHONE, now)
    if change is None:
        return "expired"
    if hmac.compare_digest(_code_hash(change.salt, code.strip()), change.secret_hash):
        return "confirmed" if _apply(db, change, now) else "expired"
    tried = db.execute(  # counted in SQL, so tries made at once cannot each see a low count
        update(ContactChange)
        .where(
            ContactChange.id == change.id,
            ContactChange.ended_at.is_(None),
            ContactChange.tries < MAX_TRIES,
        )
        .values(tries=ContactChange.tries + 1)
    )
    db.refresh(change)
    if cast(CursorResult, tried).rowcount != 1 or change.tries >= MAX_TRIES:
        change.ended_at = now
        db.flush()
        return "no tries"
    return "wrong"


def find_email_change(db: Session, token: str, now: datetime) -> ContactChange | None:
    """The email change this link confirms, while it still can."""
    change = db.scalar(select(ContactChange).where(ContactChange.secret_hash == token_hash(token)))
    if change is None or change.field != ContactField.EMAIL:
        return None
    if change.ended_at is not None or change.expires_at <= now or not change.user.active:
        return None
    return change


def confirm_email(db: Session, change: ContactChange, now: datetime) -> bool:
    return _apply(db, change, now)


def why_not(db: Session, reminder: Reminder) -> str | None:
    """None while the code or link should go (the outbox's second look)."""
    change = db.get(ContactChange, reminder.payload.get("contact_change_id"))
    if change is None or change.ended_at is not None:
        return "change no longer waiting"
    if not reminder.user.active:
        return "account inactive"
    return None


def render(reminder: Reminder) -> Message:
    """The code's text or the link's email, to the NEW address, in the person's language."""
    change = cast(ContactChange, _change_of(reminder))
    user = reminder.user
    language = user.language or "en"
    with force_locale(language):
        program = get_program()
        if reminder.kind == CONTACT_CODE:
            study = program.name_in(language, short=True)
            text = render_template(
                "sms/contact-code.txt", study=study, code=code_of(change), minutes=CODE_MINUTES
            )
            return Message(to=change.new_value, subject="", text=text.strip())
        base = current_app.config["BASE_URL"].rstrip("/")
        with current_app.test_request_context(base_url=base):
            link = base + url_for("auth.confirm_email", token=_link_token(change.salt))
        study = program.name_in(language)
        subject = _("Confirm your new email address for %(study)s", study=study)
        text = render_template(
            "email/contact-link.txt", user=user, study=study, link=link, hours=LINK_HOURS
        )
        return Message(to=change.new_value, subject=subject, text=text)


def _change_of(reminder: Reminder) -> ContactChange | None:
    db = cast(Session, object_session(reminder))  # the sender's session, as why_not()'s
    return db.get(ContactChange, reminder.payload.get("contact_change_id"))
