"""Enrolment: a participant's account and place in the trial, and every later change to it.

The same rules judge one participant typed into a form and a row of a roster file, so the
messages match. A change is refused whole (Problems, by form field) before anything is written,
and each change is audited in its own transaction with the old and new values.
"""

import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from p4p.local_time import local_datetime
from p4p.modules.audit.service import record
from p4p.modules.auth.accounts import (
    email_in_use,
    email_problem,
    phone_problem,
    send_invite,
)
from p4p.modules.auth.accounts import invite_refusal as account_invite_refusal
from p4p.modules.auth.models import Role
from p4p.modules.auth.service import new_user
from p4p.modules.curriculum.models import Program
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Cohort
from p4p.names import person_name
from p4p.phones import to_e164
from p4p.problems import Problems, raise_if_any

STUDY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")
NAME_MAX = 120
REASON_MAX = 500


@dataclass(frozen=True)
class Enrolment:
    """One participant to enrol, as typed (email lower-cased; empty contact fields are None)."""

    study_id: str
    name: str
    email: str | None
    phone: str | None
    language: str
    arm: str
    cohort_id: int | None


def study_id_problem(study_id: str) -> str | None:
    """Why a study ID is not in the trial's format, or None."""
    if not STUDY_ID_PATTERN.match(study_id):
        return _l("Use 1 to 40 letters, digits and hyphens, like P4P-001.")
    return None


def language_problem(language: str, program: Program) -> str | None:
    """A language the program's content is written in (program.yaml), or a message."""
    if language not in program.languages:
        return _l("Use a language code: %(codes)s.", codes=", ".join(program.languages))
    return None


def cohort_problem(arm: str, cohort: Cohort | None, program: Program) -> str | None:
    """A cohort only takes participants of its own arm (the randomisation result)."""
    if cohort is None:
        return _l("Choose a cohort.")
    if cohort.arm != arm:
        label = program.arms[cohort.arm].label if cohort.arm in program.arms else cohort.arm
        return _l("%(cohort)s is a %(program)s cohort.", cohort=cohort.name, program=label)
    return None


def finished_problem(cohort: Cohort | None, now: datetime | None) -> str | None:
    """A cohort whose every meeting has started has nothing left to attend: everything would
    be "not yet enrolled" for a new person, so enrolling there needs a confirmation."""
    if cohort is None or now is None or not cohort.meetings:
        return None
    if any(m.starts_at >= now and m.status != "cancelled" for m in cohort.meetings):
        return None
    last = max(m.starts_at for m in cohort.meetings)
    return _l(
        "%(cohort)s has finished (its last meeting was on %(day)s): the person would have no "
        "meeting to attend. Confirm to enrol them anyway.",
        cohort=cohort.name,
        day=format_date(local_datetime(last, cohort.site.timezone).date(), "long"),
    )


def details_problems(enrolment: Enrolment, cohort: Cohort | None, program: Program) -> dict:
    """Everything about one participant that needs no database: formats, contact, arm."""
    problems = {}
    if message := study_id_problem(enrolment.study_id):
        problems["study_id"] = message
    if not enrolment.name.strip():
        problems["name"] = _l("Enter the participant's name.")
    elif len(enrolment.name.strip()) > NAME_MAX:
        problems["name"] = _l("A name can have at most %(n)d characters.", n=NAME_MAX)
    if enrolment.email and (message := email_problem(enrolment.email)):
        problems["email"] = message
    elif not enrolment.email and not enrolment.phone:
        problems["email"] = _l("Give an email or a phone number (or both).")
    if enrolment.phone and (message := phone_problem(enrolment.phone)):
        problems["phone"] = message
    if message := language_problem(enrolment.language, program):
        problems["language"] = message
    if enrolment.arm not in program.arms:
        problems["arm"] = _l("Choose the program the participant was randomised to.")
    elif message := cohort_problem(enrolment.arm, cohort, program):
        problems["cohort_id"] = message
    return problems


def study_id_in_use(db: Session, study_id: str) -> bool:
    """Whether a participant has this study ID, in any case ("p4p-001" is "P4P-001")."""
    same = select(Participant.id).where(func.lower(Participant.study_id) == study_id.lower())
    return db.scalar(same) is not None


def add_participant(
    db: Session, enrolment: Enrolment, cohort: Cohort, *, actor_id: int, now: datetime, source: str
) -> Participant:
    """Write one checked enrolment (account, participant, one audit event), not committed."""
    enrolment = replace(enrolment, phone=to_e164(enrolment.phone))  # checked: details_problems
    user = new_user(
        db,
        email=enrolment.email,
        name=person_name(enrolment.name),  # "Smith, Jane" from a roster is "Jane Smith"
        role=Role.PARTICIPANT,
        now=now,
        language=enrolment.language,
        phone=enrolment.phone,
    )
    participant = Participant(
        user=user, study_id=enrolment.study_id, arm=enrolment.arm, cohort=cohort, enrolled_at=now
    )
    db.add(participant)
    db.flush()
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="enrol",
        entity="participant",
        entity_id=participant.id,
        new={
            **asdict(enrolment),
            "name": user.name,
            "cohort": cohort.name,
            "user_id": user.id,
            "source": source,
        },
    )
    return participant


def enrol_participant(
    db: Session,
    enrolment: Enrolment,
    *,
    program: Program,
    actor_id: int,
    now: datetime,
    finished_ok: bool = False,
) -> Participant:
    """Enrol one participant: an account without a password, and their arm and cohort.
    A cohort that has finished takes them only with `finished_ok` (the form's confirmation)."""
    cohort = db.get(Cohort, enrolment.cohort_id) if enrolment.cohort_id else None
    problems = details_problems(enrolment, cohort, program)
    finished = None if finished_ok or "cohort_id" in problems else finished_problem(cohort, now)
    if finished:
        problems["finished_ok"] = finished
    if "study_id" not in problems and study_id_in_use(db, enrolment.study_id):
        problems["study_id"] = _l("Another participant has this study ID.")
    if enrolment.email and "email" not in problems and email_in_use(db, enrolment.email):
        problems["email"] = _l("Another account has this email.")
    raise_if_any(problems)
    assert cohort is not None  # details_problems() refuses an enrolment without one
    try:
        participant = add_participant(
            db, enrolment, cohort, actor_id=actor_id, now=now, source="form"
        )
        db.flush()
    except IntegrityError as error:
        db.rollback()  # someone saved the same study ID or email a moment ago
        raise Problems({"study_id": _l("This study ID or email was just taken.")}) from error
    return participant


def change_assignment(
    db: Session,
    participant: Participant,
    *,
    arm: str,
    cohort: Cohort | None,
    reason: str,
    program: Program,
    actor_id: int,
    now: datetime,
) -> None:
    """Correct the arm and/or move to another cohort of that arm; audited, with a reason."""
    problems = {}
    if arm not in program.arms:
        problems["arm"] = _l("Choose the program the participant was randomised to.")
    elif message := cohort_problem(arm, cohort, program):
        problems["cohort_id"] = message
    elif arm == participant.arm and cohort is not None and cohort.id == participant.cohort_id:
        problems["cohort_id"] = _l("This is already the participant's program and cohort.")
    if not reason.strip():
        problems["reason"] = _l("Write why this changes.")
    raise_if_any(problems)
    assert cohort is not None  # cohort_problem() refuses a missing cohort
    old = {"arm": participant.arm, "cohort_id": participant.cohort_id}
    old["cohort"] = participant.cohort.name
    participant.arm, participant.cohort = arm, cohort
    new = {"arm": arm, "cohort_id": cohort.id, "cohort": cohort.name}
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="reassign",
        entity="participant",
        entity_id=participant.id,
        old=old,
        new=new,
        reason=reason.strip(),
    )
    db.flush()


def withdraw_participant(
    db: Session, participant: Participant, *, reason: str, actor_id: int, now: datetime
) -> None:
    """Record a withdrawal: every record stays; contact stops (reminders check withdrawn_at)."""
    if participant.is_withdrawn:
        raise Problems({"reason": _l("This participant has already withdrawn.")})
    if not reason.strip():
        raise Problems({"reason": _l("Write why the participant withdraws.")})
    _set_withdrawn_at(db, participant, now, "withdraw", reason, actor_id, now)


def return_participant(
    db: Session, participant: Participant, *, reason: str, actor_id: int, now: datetime
) -> None:
    """Undo a withdrawal (made by mistake, or the person asks to come back): contact resumes,
    and the audit trail keeps both the withdrawal and this return."""
    if not participant.is_withdrawn:
        raise Problems({"reason": _l("This participant has not withdrawn.")})
    if not reason.strip():
        raise Problems({"reason": _l("Write why the participant comes back.")})
    _set_withdrawn_at(db, participant, None, "return", reason, actor_id, now)


def _set_withdrawn_at(db, participant, value, action, reason, actor_id, now) -> None:
    """The one write behind withdrawing and returning, audited with the old and new moment."""
    old = participant.withdrawn_at
    participant.withdrawn_at = value
    record(
        db,
        at=now,
        actor_id=actor_id,
        action=action,
        entity="participant",
        entity_id=participant.id,
        old={"withdrawn_at": old.isoformat() if old else None},
        new={"withdrawn_at": value.isoformat() if value else None},
        reason=reason.strip(),
    )
    db.flush()


def invite_refusal(participant: Participant) -> str | None:
    """Why this participant cannot be sent an invite link, or None."""
    if participant.is_withdrawn:
        return _l("Withdrawn participants are not contacted.")
    return account_invite_refusal(participant.user)


INVITE_BATCH = 100  # invites queued in one request; the rest wait for the next click


def send_invites(
    db: Session, participants: list[Participant], *, actor_id: int, now: datetime
) -> int:
    """Queue invite links for the first INVITE_BATCH of these participants; how many.

    The emails go after the response (p4p.modules.auth.links), so this returns at once, and a
    mail server that is down leaves them queued for the scheduler's retries.
    """
    queued = 0
    for participant in participants[:INVITE_BATCH]:
        if invite_refusal(participant) is not None:
            continue
        send_invite(db, participant.user, actor_id=actor_id, now=now)
        queued += 1
    return queued
