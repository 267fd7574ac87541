"""Follow-up surveys: staff mark one done, and its remaining reminders stop."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from p4p.modules.audit.service import record
from p4p.modules.reminders.models import SurveyCompletion


def mark_survey_done(
    db: Session, participant_id: int, months: int, actor_id: int, now: datetime
) -> bool:
    """Staff record a follow-up survey as done; its remaining reminders stop. False if already done."""
    if db.get(SurveyCompletion, (participant_id, months)) is not None:
        return False
    db.add(
        SurveyCompletion(
            participant_id=participant_id, months=months, done_at=now, recorded_by_id=actor_id
        )
    )
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="survey-done",
        entity="participant",
        entity_id=participant_id,
        new={"months": months},
    )
    db.flush()
    return True


def surveys_done(db: Session, participant_id: int) -> set[int]:
    return set(
        db.scalars(
            select(SurveyCompletion.months).where(SurveyCompletion.participant_id == participant_id)
        )
    )
