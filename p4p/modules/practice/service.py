"""Home practice and action plans: the participant's own records."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from p4p.modules.participants.models import Participant
from p4p.modules.practice.models import ActionPlan, PracticeLog
from p4p.pagination import Page, paginate

# Under this, the page suggests a smaller plan (self-management programs use 7).
CONFIDENT_ENOUGH = 7
# Entries on one page of the practice log: a few weeks of daily practice, short on a phone.
PRACTICE_PAGE_SIZE = 20


@dataclass(frozen=True)
class PracticeEntry:
    practiced_on: date
    practice_type: str
    minutes: int
    guided: bool
    pain_before: int | None
    pain_after: int | None
    note: str | None


def practice_page(db: Session, participant_id: int, number: int) -> Page:
    """One page of a participant's own entries, newest first (the latest logged first among
    entries of one day), in two queries however long they have been logging."""
    query = (
        select(PracticeLog)
        .where(PracticeLog.participant_id == participant_id)
        .order_by(PracticeLog.practiced_on.desc(), PracticeLog.id.desc())
    )
    return paginate(db, query, number, PRACTICE_PAGE_SIZE)


def own_log_or_none(db: Session, participant_id: int, log_id: int) -> PracticeLog | None:
    """An entry only if it belongs to this participant: anyone else's id looks like no entry."""
    return db.scalar(
        select(PracticeLog).where(
            PracticeLog.id == log_id, PracticeLog.participant_id == participant_id
        )
    )


def add_practice(
    db: Session, participant: Participant, entry: PracticeEntry, now: datetime
) -> PracticeLog:
    log = PracticeLog(
        participant_id=participant.id, created_at=now, updated_at=now, **entry.__dict__
    )
    db.add(log)
    db.flush()
    return log


def update_practice(db: Session, log: PracticeLog, entry: PracticeEntry, now: datetime) -> None:
    for field, value in entry.__dict__.items():
        setattr(log, field, value)
    log.updated_at = now
    db.flush()


def delete_practice(db: Session, log: PracticeLog) -> None:
    db.delete(log)
    db.flush()


_PLANS = select(ActionPlan).where(ActionPlan.participant_id == bindparam("participant_id"))


def plans_by_week(db: Session, participant_id: int) -> dict[int, ActionPlan]:
    plans = db.scalars(_PLANS, {"participant_id": participant_id})
    return {plan.week: plan for plan in plans}


def save_action_plan(
    db: Session, participant: Participant, week: int, fields: dict, now: datetime
) -> ActionPlan:
    """Write or rewrite the plan of a week (one plan a week)."""
    plan = db.scalar(
        select(ActionPlan).where(
            ActionPlan.participant_id == participant.id, ActionPlan.week == week
        )
    )
    if plan is None:
        plan = ActionPlan(participant_id=participant.id, week=week, created_at=now)
        db.add(plan)
    for name in ("what", "how_much", "when", "how_often", "confidence"):
        setattr(plan, name, fields[name])
    plan.updated_at = now
    db.flush()
    return plan


def set_plan_outcome(db: Session, plan: ActionPlan, outcome: str | None, now: datetime) -> None:
    plan.outcome = outcome
    plan.updated_at = now
    db.flush()
