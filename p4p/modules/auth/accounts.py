"""Accounts the study team manages: contact details, invite links, deactivation.

Facilitator accounts and participant enrolment both use these, so an email is judged the
same way on a form and in a roster file (a phone too: its rule is in p4p.phones).
"""

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from p4p.messaging import SendError
from p4p.modules.audit.service import record
from p4p.modules.auth.models import AuthToken, TokenPurpose, User
from p4p.modules.auth.service import (
    find_user_by_email,
    new_nonce,
    normalise_email,
    send_link_email,
)
from p4p.phones import PHONE_MAX, phone_problem  # noqa: F401 - the forms import them from here

EMAIL_MAX = 254


def email_problem(email: str) -> str | None:
    """Why an email address cannot be used, or None (the address is not checked online)."""
    if len(email) > EMAIL_MAX:
        return _l("An email address can have at most %(n)d characters.", n=EMAIL_MAX)
    try:
        # No SMTPUTF8: an address our mail server might refuse is better caught here.
        validate_email(email, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return _l("Enter an email address like name@example.org.")
    return None


def email_in_use(db: Session, email: str) -> bool:
    """Whether any account (of any role) has this email, in any case."""
    return find_user_by_email(db, email) is not None


def emails_in_use(db: Session, emails: list[str]) -> set[str]:
    """Which of these (normalised) emails already belong to an account: one query."""
    if not emails:
        return set()
    found = db.scalars(select(func.lower(User.email)).where(func.lower(User.email).in_(emails)))
    return set(found)


def clean_email(email: str | None) -> str | None:
    """The email as stored (trimmed, lower-case), or None for an empty field."""
    return normalise_email(email) if email and email.strip() else None


def invite_refusal(user: User) -> str | None:
    """Why this account cannot be sent an invite link, or None."""
    if not user.active:
        return _l("This account is deactivated.")
    if not user.email:
        return _l("There is no email address, so no link can be sent.")
    if user.password_hash:
        return _l(
            "The password is set. “Forgot your password?” on the login page sends a new link."
        )
    return None


def send_invite(db: Session, user: User, *, actor_id: int, now: datetime) -> None:
    """Email a new single-use invite link (earlier links stop working); audited once sent.

    The email cannot be part of a transaction, so the event is written after the mail server
    took the message; if it refused, the new link is discarded and SendError goes up.
    """
    _send_or_discard(db, user, now)
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="invite-sent",
        entity="user",
        entity_id=user.id,
        new={"email": user.email},
    )
    db.flush()


def _send_or_discard(db: Session, user: User, now: datetime) -> None:
    try:
        send_link_email(db, user, TokenPurpose.INVITE, now)
    except SendError:
        for unsent in db.scalars(
            select(AuthToken).where(
                AuthToken.user_id == user.id,
                AuthToken.purpose == TokenPurpose.INVITE,
                AuthToken.created_at == now,
                AuthToken.used_at.is_(None),
            )
        ):
            db.delete(unsent)
        db.flush()
        raise


def invites_sent_at(db: Session, user_ids: list[int]) -> dict[int, datetime]:
    """When each of these accounts was last sent an invite link: one query."""
    if not user_ids:
        return {}
    rows = db.execute(
        select(AuthToken.user_id, func.max(AuthToken.created_at))
        .where(AuthToken.user_id.in_(user_ids), AuthToken.purpose == TokenPurpose.INVITE)
        .group_by(AuthToken.user_id)
    )
    return {user_id: sent_at for user_id, sent_at in rows}  # max() keeps the UTC column type


def set_account_active(
    db: Session, user: User, active: bool, *, actor_id: int, now: datetime
) -> bool:
    """Deactivate (every session ends: a new nonce) or reactivate an account; audited.

    Returns False, writing nothing, when the account already was in that state.
    """
    if user.active == active:
        return False
    user.active = active
    if not active:
        user.session_nonce = new_nonce()
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="reactivate" if active else "deactivate",
        entity="user",
        entity_id=user.id,
        old={"active": not active},
        new={"active": active},
    )
    db.flush()
    return True
