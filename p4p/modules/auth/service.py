"""Accounts: creating users, logging in, and the single-use invite and reset links."""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from p4p.modules.audit.service import record
from p4p.modules.auth.models import AuthToken, TokenPurpose, User
from p4p.modules.auth.passwords import hash_password, verify_password
from p4p.phones import e164_or_none

# Accounts one phone may sign in to (a couple enrolled together may share one). A login by that
# phone tries the password on each, so the number bounds the extra work a shared phone costs.
SHARED_PHONE_MAX = 4


def normalise_email(email: str) -> str:
    return email.strip().lower()


def new_nonce() -> str:
    return secrets.token_hex(16)


def create_user(
    db: Session,
    *,
    email: str | None,
    name: str,
    role: str,
    now: datetime,
    password: str | None = None,
    language: str = "en",
    phone: str | None = None,
    actor_id: int | None = None,
) -> User:
    """A new account, audited as its own event."""
    user = new_user(
        db,
        email=email,
        name=name,
        role=role,
        now=now,
        password=password,
        language=language,
        phone=phone,
    )
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="create",
        entity="user",
        entity_id=user.id,
        new={"email": user.email, "role": role, "name": user.name},
    )
    return user


def new_user(
    db: Session,
    *,
    email: str | None,
    name: str,
    role: str,
    now: datetime,
    password: str | None = None,
    language: str = "en",
    phone: str | None = None,
) -> User:
    """Add an account without an audit event, for callers that record one event of their own
    covering it (enrolling a participant is one event, not an account and an enrolment)."""
    user = User(
        email=normalise_email(email) if email else None,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password) if password else None,
        language=language,
        phone=phone,
        active=True,
        session_nonce=new_nonce(),
        created_at=now,
        activated_at=now if password else None,
    )
    db.add(user)
    db.flush()
    return user


def find_user_by_email(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def phone_of(identifier: str | None) -> str | None:
    """The E.164 number a typed login identifier stands for, or None when it is an email (or
    nothing that reads as a phone number)."""
    if not identifier or "@" in identifier:
        return None
    return e164_or_none(identifier)


def login_key(identifier: str | None) -> str:
    """The identifier as the login limits and device cookies compare it: the E.164 number for
    a phone however it was typed, else the normalised email."""
    return phone_of(identifier) or normalise_email(identifier or "")


def find_login_candidates(db: Session, identifier: str) -> list[User]:
    """The accounts a login or reset identifier names: the one with this email, or those with
    this phone (at most SHARED_PHONE_MAX, oldest first)."""
    phone = phone_of(identifier)
    if phone is not None:
        return list(
            db.scalars(
                select(User).where(User.phone == phone).order_by(User.id).limit(SHARED_PHONE_MAX)
            )
        )
    user = find_user_by_email(db, identifier) if identifier else None
    return [user] if user is not None else []


def authenticate(db: Session, identifier: str, password: str) -> User | None:
    """The user for these credentials (an email or a phone number), or None.

    The same work is done whether or not the identifier exists: one password check against a
    dummy hash when no account has it. A shared phone checks each of its accounts' passwords.
    """
    candidates = find_login_candidates(db, identifier)
    if not candidates:
        verify_password(None, password)
        return None
    for user in candidates:
        if verify_password(user.password_hash, password) and user.active:
            return user
    return None


def record_login(db: Session, user: User, now: datetime) -> None:
    user.last_login_at = now
    db.flush()


def end_all_sessions(db: Session, user: User) -> None:
    """A new nonce: every session cookie naming the old one stops working."""
    user.session_nonce = new_nonce()
    db.flush()


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(db: Session, user: User, purpose: TokenPurpose, now: datetime) -> str:
    """A new single-use link token (a random one; links.queue_link issues the mailed ones)."""
    raw = secrets.token_urlsafe(32)
    add_token(db, user, purpose, token_hash(raw), now)
    return raw


def add_token(
    db: Session, user: User, purpose: TokenPurpose, hashed: str, now: datetime
) -> AuthToken:
    """Store a link by its hash. A new invite ends earlier unused invites (the coordinator sent
    a fresh one); a new reset link ends none, so asking again, or someone else asking for this
    address, cannot kill the link a person just received (links.request_reset limits how many)."""
    hours = current_app.config[
        "INVITE_TTL_HOURS" if purpose == TokenPurpose.INVITE else "RESET_TTL_HOURS"
    ]
    if purpose == TokenPurpose.INVITE:
        for old in db.scalars(
            select(AuthToken).where(
                AuthToken.user_id == user.id,
                AuthToken.purpose == purpose,
                AuthToken.used_at.is_(None),
            )
        ):
            old.used_at = now
    token = AuthToken(
        user_id=user.id,
        purpose=purpose,
        token_hash=hashed,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    db.add(token)
    db.flush()
    return token


def find_valid_token(
    db: Session, raw: str, purpose: TokenPurpose, now: datetime
) -> AuthToken | None:
    token = db.scalar(select(AuthToken).where(AuthToken.token_hash == token_hash(raw)))
    if token is None or token.purpose != purpose or token.used_at is not None:
        return None
    if token.expires_at <= now or not token.user.active:
        return None
    return token


def set_password_with_token(
    db: Session, token: AuthToken, password: str, now: datetime
) -> User | None:
    """Use the link once: set the password, activate the account, end other sessions.

    None, changing nothing, when another request used the link first: the link is taken with
    a conditional UPDATE, so of two requests at once only one matches the row (on PostgreSQL
    the second waits for the first's commit and then finds used_at set).
    """
    taken = db.execute(
        update(AuthToken)
        .where(
            AuthToken.id == token.id,
            AuthToken.used_at.is_(None),
            AuthToken.expires_at > now,
        )
        .values(used_at=now)
    )
    # Session.execute() is typed to return a Result; an UPDATE's is a CursorResult.
    if cast(CursorResult, taken).rowcount != 1:
        return None
    # The password is set now: every other link this account still has stops working.
    db.execute(
        update(AuthToken)
        .where(AuthToken.user_id == token.user_id, AuthToken.used_at.is_(None))
        .values(used_at=now)
    )
    user = token.user
    user.password_hash = hash_password(password)
    user.session_nonce = new_nonce()
    if user.activated_at is None:
        user.activated_at = now
    record(
        db,
        at=now,
        actor_id=user.id,
        action=f"password-{token.purpose}",
        entity="user",
        entity_id=user.id,
    )
    db.flush()
    return user


def set_language(db: Session, user: User, language: str, now: datetime) -> None:
    """Remember a person's language; reminders and pages follow it."""
    if user.language == language:
        return
    record(
        db,
        at=now,
        actor_id=user.id,
        action="language",
        entity="user",
        entity_id=user.id,
        old={"language": user.language},
        new={"language": language},
    )
    user.language = language
    db.flush()  # the caller commits, with whatever else the same form saved
