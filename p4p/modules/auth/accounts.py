"""Accounts the study team manages: contact details, invite links, deactivation.

Facilitator accounts and participant enrolment both use these, so an email is judged the
same way on a form and in a roster file (a phone too: its rule is in p4p.phones).
"""

from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from p4p.modules.audit.service import record
from p4p.modules.auth import links
from p4p.modules.auth.models import AuthToken, Role, TokenPurpose, User
from p4p.modules.auth.service import find_user_by_email, new_nonce, new_user, normalise_email
from p4p.modules.reminders.models import Reminder, ReminderStatus
from p4p.phones import PHONE_MAX, phone_problem, to_e164  # noqa: F401 - the forms import them from here
from p4p.problems import raise_if_any

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


def create_staff_account(
    db: Session,
    *,
    name: str,
    email: str,
    role: Role,
    actor_id: int,
    now: datetime,
    phone: str | None = None,
    audit_extra: dict | None = None,
) -> User:
    """A staff account without a password (they set it from their invite link), audited as one
    "create" event with `audit_extra` (a facilitator's sites); Problems if the email is taken."""
    raise_if_any(
        {"email": _l("Another account has this email.")} if email_in_use(db, email) else {}
    )
    phone = to_e164(phone)  # checked by the form
    user = new_user(db, email=email, name=name, role=role, now=now, phone=phone)
    new = {"name": user.name, "email": user.email, "phone": phone, "role": role.value}
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="create",
        entity="user",
        entity_id=user.id,
        new={**new, **(audit_extra or {})},
    )
    return user


def clean_email(email: str | None) -> str | None:
    """The email as stored (trimmed, lower-case), or None for an empty field."""
    return normalise_email(email) if email and email.strip() else None


def invite_refusal(user: User) -> str | None:
    """Why this account cannot be sent an invite link, or None."""
    if not user.active:
        return _l("This account is deactivated.")
    if not user.email and not user.phone:
        return _l("There is no email address or phone number, so no link can be sent.")
    if user.password_hash:
        return _l(
            "The password is set. “Forgot your password?” on the login page sends a new link."
        )
    return None


def send_invite(
    db: Session, user: User, *, actor_id: int, now: datetime, channel: str | None = None
) -> str:
    """Queue a new single-use invite link (earlier links stop working); audited with it. By
    email, or by text when the person has no email or `channel` is "sms"; the channel used.

    The message goes once the request's work is committed (p4p.modules.auth.links), so a mail
    server that is down cannot fail the request, and the account list shows its progress.
    """
    row = links.queue_link(db, user, TokenPurpose.INVITE, now, channel)
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="invite-sent",
        entity="user",
        entity_id=user.id,
        new={"phone": user.phone} if row.channel == "sms" else {"email": user.email},
    )
    return row.channel


@dataclass(frozen=True)
class InviteProgress:
    """Where an account's latest invite email is: "queued", "sent" or "failed", and since when."""

    state: str
    at: datetime


def invite_progress(db: Session, user_ids: list[int]) -> dict[int, InviteProgress]:
    """The latest invite of each of these accounts that has one: one query. The link is the
    record that an invite was made; its outbox row, when it has one, tells how its email went
    (links sent before invites went through the outbox have none: they went at once)."""
    if not user_ids:
        return {}
    latest = (
        select(func.max(AuthToken.id))
        .where(AuthToken.user_id.in_(user_ids), AuthToken.purpose == TokenPurpose.INVITE)
        .group_by(AuthToken.user_id)
    )
    rows = db.execute(
        select(AuthToken.user_id, AuthToken.created_at, Reminder.status, Reminder.sent_at)
        .outerjoin(
            Reminder,
            Reminder.key.in_([links.outbox_key_of(AuthToken, ch) for ch in links.CHANNELS]),
        )
        .where(AuthToken.id.in_(latest))
    )
    progress = {}
    for user_id, created_at, status, sent_at in rows:
        if status in (ReminderStatus.PLANNED, ReminderStatus.SENDING):
            progress[user_id] = InviteProgress("queued", created_at)
        elif status is None or status == ReminderStatus.SENT:
            progress[user_id] = InviteProgress("sent", sent_at or created_at)
        else:  # failed for good, or expired before it could go
            progress[user_id] = InviteProgress("failed", created_at)
    return progress


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
