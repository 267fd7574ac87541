"""A participant's reminder choices: from their preferences page, a stop link, or a STOP text."""

from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from p4p.modules.audit.service import record
from p4p.modules.auth.models import User
from p4p.modules.reminders.models import ReminderKind, ReminderPreference
from p4p.phones import e164_or_none

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ALTO", "PARAR", "BAJA"}
START_WORDS = {"START", "UNSTOP", "YES", "INICIO", "SI", "SÍ"}


def preference_for(db: Session, user_id: int) -> ReminderPreference | None:
    return db.get(ReminderPreference, user_id)


def _snapshot(preference: ReminderPreference | None) -> dict | None:
    if preference is None:
        return None
    return {
        "email_on": preference.email_on,
        "sms_on": preference.sms_on,
        "quiet_start": preference.quiet_start.isoformat() if preference.quiet_start else None,
        "quiet_end": preference.quiet_end.isoformat() if preference.quiet_end else None,
        "kinds_off": sorted(preference.kinds_off or []),
    }


# What a person without a preference row gets: everything, by email and text, no quiet hours.
NO_CHOICES_YET: dict[str, object] = {
    "email_on": True,
    "sms_on": True,
    "quiet_start": None,
    "quiet_end": None,
    "kinds_off": [],
}


def _as_they_receive(snapshot: dict, user: User) -> dict:
    """The choices that concern this person: a participant never gets the facilitators'
    digest, so whether it is "off" for them is no choice of theirs."""
    if user.role != "participant":
        return snapshot
    kinds_off = [kind for kind in snapshot["kinds_off"] if kind != ReminderKind.DIGEST]
    return {**snapshot, "kinds_off": kinds_off}


def save_preferences(
    db: Session,
    user: User,
    *,
    email_on: bool,
    sms_on: bool,
    quiet_start: time | None,
    quiet_end: time | None,
    kinds_on: list[str],
    now: datetime,
    source: str = "page",
):
    """Store the choices (one row per participant) and note the change in the audit trail;
    choices that are already in force write nothing."""
    preference = preference_for(db, user.id)
    before = _snapshot(preference)
    wanted = {
        "email_on": email_on,
        "sms_on": sms_on,
        "quiet_start": quiet_start.isoformat() if quiet_start else None,
        "quiet_end": quiet_end.isoformat() if quiet_end else None,
        "kinds_off": sorted(str(k) for k in ReminderKind if k not in kinds_on),
    }
    as_it_was = before or NO_CHOICES_YET
    if _as_they_receive(wanted, user) == _as_they_receive(as_it_was, user):
        return preference  # saved as it was (or as the defaults): no row, no audit entry
    if preference is None:
        preference = ReminderPreference(user_id=user.id, updated_at=now)
        db.add(preference)
    preference.email_on, preference.sms_on = email_on, sms_on
    preference.quiet_start, preference.quiet_end = quiet_start, quiet_end
    preference.kinds_off = [str(k) for k in ReminderKind if k not in kinds_on]
    preference.updated_at = now
    record(
        db,
        at=now,
        actor_id=user.id,
        action="reminder-preferences",
        entity="user",
        entity_id=user.id,
        old=before,
        new=_snapshot(preference),
        reason=source,
    )
    db.flush()
    return preference


def _current(db: Session, user: User, now: datetime) -> dict:
    preference = preference_for(db, user.id)
    return {
        "email_on": preference.email_on if preference else True,
        "sms_on": preference.sms_on if preference else True,
        "quiet_start": preference.quiet_start if preference else None,
        "quiet_end": preference.quiet_end if preference else None,
        "kinds_on": [
            k for k in ReminderKind if not preference or k not in (preference.kinds_off or [])
        ],
    }


def stop_kind(db: Session, user: User, kind: str | None, now: datetime) -> None:
    """From an email's stop link: switch off one kind of reminder, or (kind None) all email."""
    choices = _current(db, user, now)
    if kind is None:
        choices["email_on"] = False
    else:
        choices["kinds_on"] = [k for k in choices["kinds_on"] if k != kind]
    save_preferences(db, user, **choices, now=now, source="stop link")


def handle_sms_reply(db: Session, phone: str, body: str, now: datetime) -> int:
    """A STOP (or START) text from a phone switches texts off (or on) for that number's accounts."""
    word = body.strip().split()[0].upper() if body.strip() else ""
    if word not in STOP_WORDS | START_WORDS:
        return 0
    # Phones are stored in E.164 and providers send it, but the posted number is read the same
    # way too ("+1 (213) 555-0123" from a test console); one that cannot be read is matched as
    # written, as are the few stored numbers migration 0005 could not read.
    numbers = {phone.strip(), e164_or_none(phone) or phone.strip()}
    users = db.scalars(select(User).where(User.phone.in_(numbers)).order_by(User.id)).all()
    for user in users:
        choices = _current(db, user, now)
        choices["sms_on"] = word in START_WORDS
        save_preferences(db, user, **choices, now=now, source=f"sms reply {word}")
    return len(users)
