"""What the send-time checks and the words of a batch of reminders need, loaded at once.

The sender judges and words each reminder when it goes (timeliness.why_expired,
eligibility.why_not, messages.render). Asked one reminder at a time, that was about nine
queries a message; here a batch's people, preferences (absent ones too: no row means the
defaults), participants, meetings with their cohort and site, surveys done, practice in the
reminders' date ranges, questionnaires sent, and the survey and questionnaire rounds that went
already are each one query, whatever the batch's size. The links a message carries are built
in one request context for the batch.

Account links (invites, resets, contact checks) and facilitators' digests still look up their
own few rows: there are few of them.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.participants.models import Participant
from p4p.modules.practice.models import PracticeLog
from p4p.modules.reminders import rules
from p4p.modules.reminders.models import (
    ACCOUNT_LINK_KINDS,
    Reminder,
    ReminderKind,
    ReminderPreference,
    ReminderStatus,
    SurveyCompletion,
)
from p4p.modules.sites.models import Cohort, Meeting

ROUND_KINDS = (ReminderKind.SURVEY, ReminderKind.QUESTIONNAIRE)
FRESH = {"populate_existing": True}  # what the database says now, not what the session held


@dataclass
class Facts:
    reminders: list[Reminder]  # in the order they are due
    preferences: dict[int, ReminderPreference] = field(default_factory=dict)  # by user id
    participants: dict[int, Participant] = field(default_factory=dict)
    meetings: dict[int, Meeting] = field(default_factory=dict)  # cohort and site loaded
    surveys_done: set[tuple[int, int]] = field(default_factory=set)  # (participant, months)
    practice_days: dict[int, set[date]] = field(default_factory=dict)  # by participant
    questionnaires_sent: set[tuple[int, str, str]] = field(default_factory=set)
    # (user id, channel): (key, when it went) of each survey or questionnaire round sent or
    # being sent, outside this batch; note_went adds this batch's own as they go.
    rounds_went: dict[tuple[int, str], list[tuple[str, datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    links: dict[int, dict[str, str]] = field(default_factory=dict)  # by reminder id

    def meeting(self, reminder: Reminder) -> Meeting | None:
        meeting_id = reminder.payload.get("meeting_id")
        return None if meeting_id is None else self.meetings.get(meeting_id)

    def participant(self, reminder: Reminder) -> Participant | None:
        participant_id = reminder.payload.get("participant_id")
        return None if participant_id is None else self.participants.get(participant_id)

    def preference(self, user_id: int) -> ReminderPreference | None:
        return self.preferences.get(user_id)

    def practiced(self, participant_id: int, since: date, until: date) -> bool:
        return any(since <= day < until for day in self.practice_days.get(participant_id, ()))

    def note_went(self, reminder: Reminder, at: datetime) -> None:
        """A round this batch sent: the batch's later rounds of its series see it, as they
        would have seen it in the outbox had they been claimed one at a time."""
        if reminder.kind in ROUND_KINDS:
            self.rounds_went[(reminder.user_id, reminder.channel)].append((reminder.key, at))


def for_ids(db: Session, reminder_ids: list[int]) -> Facts:
    """The facts of these claimed rows, the rows (and their users) read afresh."""
    reminders = db.scalars(
        select(Reminder)
        .where(Reminder.id.in_(reminder_ids))
        .options(joinedload(Reminder.user))
        .order_by(Reminder.due_at, Reminder.id)
        .execution_options(**FRESH)
    ).all()
    return load(db, list(reminders))


def load(db: Session, reminders: list[Reminder]) -> Facts:
    """One query per kind of fact these reminders need (none for a kind none of them needs)."""
    from p4p.modules.reminders.messages import links_for

    facts = Facts(reminders, links=links_for(reminders))
    judged = [r for r in reminders if r.kind not in ACCOUNT_LINK_KINDS]
    if not judged:
        return facts
    facts.preferences = _fresh_by_key(
        db, ReminderPreference, ReminderPreference.user_id, {r.user_id for r in judged}
    )
    facts.participants = _fresh_by_key(
        db,
        Participant,
        Participant.id,
        {r.payload["participant_id"] for r in judged if "participant_id" in r.payload},
    )
    facts.meetings = _fresh_by_key(
        db,
        Meeting,
        Meeting.id,
        {r.payload["meeting_id"] for r in judged if "meeting_id" in r.payload},
        joinedload(Meeting.cohort).joinedload(Cohort.site),
    )
    _load_progress(db, facts, judged)
    _load_rounds_went(db, facts, judged)
    return facts


def _fresh_by_key(db: Session, model, key, values: set, *options) -> dict:
    """The rows whose `key` is one of `values`, as the database has them now, by that key
    (no query when there are none)."""
    if not values:
        return {}
    rows = db.scalars(
        select(model).where(key.in_(values)).options(*options).execution_options(**FRESH)
    )
    return {getattr(row, key.key): row for row in rows}


def _of_kind(reminders: list[Reminder], kind: str) -> list[Reminder]:
    return [r for r in reminders if r.kind == kind and "participant_id" in r.payload]


def _load_progress(db: Session, facts: Facts, judged: list[Reminder]) -> None:
    """Surveys done, practice logged in the reminders' ranges, questionnaires sent."""
    surveys = _of_kind(judged, ReminderKind.SURVEY)
    if surveys:
        facts.surveys_done = {
            (participant_id, months)
            for participant_id, months in db.execute(
                select(SurveyCompletion.participant_id, SurveyCompletion.months).where(
                    SurveyCompletion.participant_id.in_(
                        {r.payload["participant_id"] for r in surveys}
                    )
                )
            )
        }
    # (a row made only to be rendered, as in the blinding test, may name no range)
    practice = [
        r for r in _of_kind(judged, ReminderKind.PRACTICE) if {"since", "until"} <= r.payload.keys()
    ]
    if practice:
        since = min(date.fromisoformat(r.payload["since"]) for r in practice)
        until = max(date.fromisoformat(r.payload["until"]) for r in practice)
        days: dict[int, set[date]] = defaultdict(set)
        for participant_id, day in db.execute(
            select(PracticeLog.participant_id, PracticeLog.practiced_on)
            .where(
                PracticeLog.participant_id.in_({r.payload["participant_id"] for r in practice}),
                PracticeLog.practiced_on >= since,
                PracticeLog.practiced_on < until,
            )
            .distinct()
        ):
            days[participant_id].add(day)
        facts.practice_days = dict(days)
    questionnaires = _of_kind(judged, ReminderKind.QUESTIONNAIRE)
    if questionnaires:
        facts.questionnaires_sent = {
            (participant_id, instrument, occasion)
            for participant_id, instrument, occasion in db.execute(
                select(
                    InstrumentResponse.participant_id,
                    InstrumentResponse.instrument,
                    InstrumentResponse.occasion,
                ).where(
                    InstrumentResponse.participant_id.in_(
                        {r.payload["participant_id"] for r in questionnaires}
                    ),
                    InstrumentResponse.instrument.in_(
                        {r.payload["instrument"] for r in questionnaires}
                    ),
                    InstrumentResponse.submitted_at.is_not(None),
                )
            )
        }


def _load_rounds_went(db: Session, facts: Facts, judged: list[Reminder]) -> None:
    """Rounds of the batch's survey and questionnaire series sent or being sent elsewhere
    (timeliness.superseded_by judges them; the batch's own rows are still to be judged)."""
    in_series = [r for r in judged if rules.series_round(r.key) is not None]
    if not in_series:
        return
    wanted = [
        (Reminder.kind == kind)
        & Reminder.user_id.in_({r.user_id for r in in_series if r.kind == kind})
        for kind in ROUND_KINDS
        if any(r.kind == kind for r in in_series)
    ]
    for user_id, channel, key, sent_at, claimed_at in db.execute(
        select(
            Reminder.user_id, Reminder.channel, Reminder.key, Reminder.sent_at, Reminder.claimed_at
        ).where(
            or_(*wanted),
            Reminder.status.in_((ReminderStatus.SENT, ReminderStatus.SENDING)),
            Reminder.id.not_in([r.id for r in facts.reminders]),
        )
    ):
        went_at = sent_at or claimed_at
        if went_at is not None:
            facts.rounds_went[(user_id, channel)].append((key, went_at))
