"""phones in E.164

Phones were stored as typed ("213-555-0123"); SMS providers post replies from E.164
("+12135550123"), so a STOP matched no one. Every number that reads as a valid one is rewritten
in E.164 (a number without a country code as one of PHONE_REGION, default US). A number that
cannot be read is left exactly as it is and named (by account id) in the log, to be fixed by
hand: nothing is lost. The schema does not change.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:30:00
"""

import logging
import os

import phonenumbers
import sqlalchemy as sa
from alembic import context, op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

log = logging.getLogger("p4p.migrations.0005")
users = sa.table("user_account", sa.column("id", sa.Integer), sa.column("phone", sa.String))


def _region() -> str:
    region = context.config.attributes.get("phone_region") or os.environ.get("P4P_PHONE_REGION")
    return (region or "US").strip().upper()


def _e164(text: str, region: str) -> str | None:
    """The number in E.164, or None when it is not a valid number (kept as typed then)."""
    try:
        number = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or number.extension:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upgrade() -> None:
    connection, region = op.get_bind(), _region()
    rows = connection.execute(
        sa.select(users.c.id, users.c.phone).where(users.c.phone.is_not(None)).order_by(users.c.id)
    ).all()
    converted, unreadable = 0, []
    for user_id, phone in rows:
        if not phone.strip():
            continue
        e164 = _e164(phone, region)
        if e164 is None:
            unreadable.append(user_id)
        elif e164 != phone:
            # One row at a time: each number is read and rewritten in Python.
            connection.execute(users.update().where(users.c.id == user_id).values(phone=e164))
            converted += 1
    if converted:
        log.warning("%d phone number(s) converted to E.164 (region %s)", converted, region)
    if unreadable:
        names = ", ".join(f"user {user_id}" for user_id in unreadable)
        log.warning(
            "could not read %d phone number(s), left as they were; fix them by hand: %s",
            len(unreadable),
            names,
        )


def downgrade() -> None:
    # Nothing to undo: an E.164 number is a valid phone under the older rules too, and the
    # way each was first typed is not needed by anything below this revision.
    pass
