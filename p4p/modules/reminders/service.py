"""Plan, claim, send: reminders that are never sent twice and never lost.

APScheduler is only the clock; the truth is the `reminder` table:
- plan_cohorts(now) inserts every reminder that should exist for some cohorts (a second insert
  of a key does nothing) and cancels their planned ones that no longer should (withdrawn, opted
  out, meeting moved). A tick (plan_changes) plans the cohorts something changed for and those
  whose turn has come; plan() plans them all;
- send_due(now), in sending.py, claims due rows a batch at a time under a lease, checks them
  again, sends, and records each result only while the claim is still its own.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from p4p.local_time import local_datetime
from p4p.modules.instruments.service import occasions_of
from p4p.modules.participants.service import states_of_weeks
from p4p.modules.reminders import rules
from p4p.modules.reminders.models import (
    ACCOUNT_LINK_KINDS,
    CHANGE_NOTICE_KINDS,
    Reminder,
    ReminderPlanState,
    ReminderStatus,
    ReplanRequest,
)
from p4p.modules.reminders.queries import planning_data
from p4p.modules.reminders.replanning import pieces
from p4p.modules.reminders.sending import SendResult, claim_due, send_due  # noqa: F401 (callers)
from p4p.modules.sites.models import Cohort, Meeting, MeetingStatus

# Rows per INSERT and ids per IN list: each statement stays far below every database's limit on
# bind parameters (PostgreSQL 65,535; SQLite's default build 32,766), whatever the study's size.
ROWS_PER_INSERT = 500
IDS_PER_STATEMENT = 1_000


def settings_from(config) -> rules.Settings:
    return rules.Settings(
        eve_hour=int(config["REMINDER_EVE_HOUR"]),
        soon_hours=int(config["REMINDER_SOON_HOURS"]),
        week_open_hour=int(config["REMINDER_WEEK_OPEN_HOUR"]),
        practice_hour=int(config["REMINDER_PRACTICE_HOUR"]),
        survey_months=tuple(int(m) for m in config["SURVEY_MONTHS"]),
        survey_window_days=int(config["SURVEY_WINDOW_DAYS"]),
        digest_hours=int(config["REMINDER_DIGEST_HOURS"]),
    )


def default_quiet_hours(config) -> tuple[time | None, time | None]:
    """Quiet hours for participants who have not chosen their own ("" switches them off)."""
    start, end = config["QUIET_HOURS_START"], config["QUIET_HOURS_END"]
    if not start or not end:
        return None, None
    return time.fromisoformat(start), time.fromisoformat(end)


def _moved_while_enrolled(moved_at: datetime | None, participant) -> datetime | None:
    """Only someone who could have known the old time is told that it moved."""
    return moved_at if moved_at and participant.enrolled_at < moved_at else None


def desired(data, settings: rules.Settings, program) -> list[rules.Planned]:
    """Every reminder the schedule and preferences call for (before the time window is applied)."""
    planned: list[rules.Planned] = []
    for meeting in data.meetings:
        cohort = meeting.cohort
        arm_weeks = program.arm(cohort.arm).weeks if cohort.arm in program.arms else ()
        for participant in data.participants_by_cohort.get(cohort.id, []):
            recipient = data.recipients[participant.id]
            if not recipient.channels:
                continue  # no way to reach them: every rule would come back empty
            planned += rules.meeting_reminders(
                recipient,
                meeting.id,
                meeting.week,
                meeting.starts_at,
                settings,
                moved_at=_moved_while_enrolled(data.moved_at.get(meeting.id), participant),
            )
            if meeting.week in arm_weeks:
                planned += rules.week_open_reminders(
                    recipient, meeting.id, meeting.week, meeting.starts_at, settings
                )
                opens_on = meeting.starts_at.astimezone(ZoneInfo(recipient.timezone)).date()
                planned += rules.practice_reminders(
                    recipient, meeting.week, opens_on, data.practiced[participant.id], settings
                )
        for facilitator_id in data.facilitators_by_site.get(cohort.site_id, []):
            planned.append(
                rules.digest_reminder(
                    facilitator_id, meeting.id, meeting.week, meeting.starts_at, settings
                )
            )
    for participant_id, program_start in data.survey_starts.items():
        if not data.recipients[participant_id].channels:
            continue
        planned += rules.survey_reminders(
            data.recipients[participant_id],
            program_start,
            data.done_surveys[participant_id],
            settings,
        )
    return planned + questionnaire_reminders(data, settings, program)


# The occasions the app asks (instruments.service.occasions_of): not before or after a session yet.
ASKED_OCCASIONS = ("at_enrolment", "weekly", "months")


def _scheduled(program):
    return [
        occasion
        for instrument in program.instruments.values()
        for occasions in instrument.schedule.values()
        for occasion in occasions
        if occasion.kind in ASKED_OCCASIONS
    ]


def questionnaire_window_days(program) -> int:
    """The longest window of any questionnaire occasion the program asks; 0 when none."""
    return max((occasion.window_days for occasion in _scheduled(program)), default=0)


def questionnaire_reach_days(program) -> int:
    """How far back a questionnaire occasion still open now can count from (a person's start)."""
    return max(
        (max(o.months, default=0) * 31 + o.window_days for o in _scheduled(program)), default=0
    )


def questionnaire_reminders(data, settings: rules.Settings, program) -> list[rules.Planned]:
    """Each open (or soon open) questionnaire occasion not yet sent, for everyone reachable.
    The weeks of a cohort are worked out once for all its people."""
    if data.occasion_days is None:
        return []
    first_day, last_day = data.occasion_days
    planned: list[rules.Planned] = []
    for cohort_id, participants in data.participants_by_cohort.items():
        states_by_arm: dict[str, list] = {}
        for participant in participants:
            recipient = data.recipients[participant.id]
            arm = participant.arm
            asked = [i for i in program.instruments.values() if i.schedule.get(arm)]
            if not recipient.channels or not asked or arm not in program.arms:
                continue
            if arm not in states_by_arm:
                states_by_arm[arm] = states_of_weeks(
                    program.arm(arm).weeks,
                    data.cohort_meetings.get(cohort_id, []),
                    recipient.timezone,
                    set(),
                    first_day,
                    program.arm(arm).rhythm,
                )
            enrolled_on = local_datetime(participant.enrolled_at, recipient.timezone).date()
            start = data.program_starts.get(participant.id, enrolled_on)
            for instrument in asked:
                for occasion in occasions_of(
                    instrument, arm, states_by_arm[arm], start, enrolled_on
                ):
                    if occasion.last_day < first_day or occasion.opens_on > last_day:
                        continue
                    if (participant.id, instrument.key, occasion.occasion) in data.submitted:
                        continue
                    planned += [
                        reminder
                        for reminder in rules.questionnaire_reminders(
                            recipient,
                            instrument.key,
                            occasion.occasion,
                            occasion.opens_on,
                            occasion.last_day,
                            settings,
                        )
                        # A round due before they enrolled was not theirs (they hear of the
                        # occasion on their home page), and would go at once, at any hour.
                        if reminder.due_at >= participant.enrolled_at
                    ]
    return planned


@dataclass
class PlanResult:
    cancelled: int = 0
    cohorts: int = 0  # how many cohorts were planned
    keys: list[str] = field(default_factory=list)  # of those cancelled
    new_keys: list[str] = field(default_factory=list)

    @property
    def inserted(self) -> int:
        return len(self.new_keys)

    def add(self, other: "PlanResult") -> None:
        self.cancelled += other.cancelled
        self.cohorts += other.cohorts
        self.keys += other.keys
        self.new_keys += other.new_keys


# Cohorts planned together: what one piece loads stays small whatever the study's size.
COHORTS_PER_PIECE = 100
# A tick plans at most this many cohorts whose turn has come (the rest wait a minute) and takes
# at most this many change requests: a tick stays short after a bulk import or a long outage.
TURNS_PER_TICK = 200
REQUESTS_PER_TICK = 5_000
# An arbitrary number naming the planner's PostgreSQL advisory lock.
PLANNER_LOCK = 7_300_417


def replan_period(config) -> timedelta:
    """How often each cohort is planned again though nothing of it changed: a quarter of the
    horizon. That is how what enters the horizon gets planned, so every reminder is in the
    outbox at least three quarters of the horizon (36 of 48 hours) before it is due."""
    return timedelta(hours=int(config["REMINDER_HORIZON_HOURS"])) / 4


def _one_planner_at_a_time(db: Session) -> None:
    """A second planner (a second scheduler host by mistake) waits here until this one commits;
    on SQLite, writers wait for each other anyway."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(PLANNER_LOCK)))


def plan(db: Session, program, now: datetime, config) -> PlanResult:
    """The whole study (`reminders plan --all`, and the scheduler when it starts: the program or
    the settings may have changed), a piece of cohorts at a time so memory stays bounded. Each
    cohort's next turn is spread evenly over the coming period, so later ticks share the work."""
    _one_planner_at_a_time(db)
    requests = _requests(db)  # read first: each is for a change this plan will see
    cohort_ids = list(db.scalars(select(Cohort.id).order_by(Cohort.id)))
    # The n-th of N cohorts comes round again after n/N of the period.
    spread = replan_period(config) / max(len(cohort_ids), 1)
    turn_of = {cohort_id: now + spread * (n + 1) for n, cohort_id in enumerate(cohort_ids)}
    result = PlanResult()
    for piece in pieces(cohort_ids, COHORTS_PER_PIECE):
        result.add(plan_cohorts(db, program, now, config, {c: turn_of[c] for c in piece}))
    _taken(db, requests)
    return result


def _requests(db: Session) -> list[tuple[int, int]]:
    """The oldest change requests: (id, cohort id)."""
    rows = db.execute(
        select(ReplanRequest.id, ReplanRequest.cohort_id)
        .order_by(ReplanRequest.id)
        .limit(REQUESTS_PER_TICK)
    ).all()
    return [(request_id, cohort_id) for request_id, cohort_id in rows]


def _taken(db: Session, requests: list[tuple[int, int]]) -> None:
    """Exactly the requests read before planning: one committed meanwhile is for the next
    tick, which will read what it changed."""
    for ids in pieces([request_id for request_id, _ in requests], IDS_PER_STATEMENT):
        db.execute(delete(ReplanRequest).where(ReplanRequest.id.in_(ids)))


def plan_changes(db: Session, program, now: datetime, config) -> PlanResult:
    """A tick's planning: the cohorts something changed for since the last tick (queued by
    reminders.replanning in the changing transaction) and those whose turn has come."""
    _one_planner_at_a_time(db)
    requests = _requests(db)
    turns = db.scalars(
        select(Cohort.id)
        .outerjoin(ReminderPlanState, ReminderPlanState.cohort_id == Cohort.id)
        .where(or_(ReminderPlanState.replan_at.is_(None), ReminderPlanState.replan_at <= now))
        .order_by(ReminderPlanState.replan_at.nulls_first(), Cohort.id)
        .limit(TURNS_PER_TICK)
    ).all()
    next_turn = now + replan_period(config)
    result = PlanResult()
    for piece in pieces([c for _, c in requests] + list(turns), COHORTS_PER_PIECE):
        result.add(plan_cohorts(db, program, now, config, dict.fromkeys(piece, next_turn)))
    _taken(db, requests)
    return result


def _insert_ignoring_existing(db: Session, rows: list[dict]) -> list[str]:
    """The keys that went in (RETURNING: rowcount is not reliable for multi-row inserts)."""
    if not rows:
        return []
    insert = _dialect_insert(db)
    statement = insert(Reminder).on_conflict_do_nothing(index_elements=["key"])
    # Many parameter sets to one statement: SQLAlchemy compiles it once and sends the rows in
    # multi-row batches ("insertmanyvalues"), where .values(rows) compiled every row anew.
    return list(db.scalars(statement.returning(Reminder.key), rows))


def _dialect_insert(db: Session):
    return postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert


def _record_turns(db: Session, now: datetime, turns: dict[int, datetime]) -> None:
    statement = _dialect_insert(db)(ReminderPlanState).values(
        [
            {"cohort_id": cohort_id, "planned_at": now, "replan_at": replan_at}
            for cohort_id, replan_at in turns.items()
        ]
    )
    db.execute(
        statement.on_conflict_do_update(
            index_elements=["cohort_id"],
            set_={
                "planned_at": statement.excluded.planned_at,
                "replan_at": statement.excluded.replan_at,
            },
        )
    )


def plan_cohorts(
    db: Session, program, now: datetime, config, turns: dict[int, datetime]
) -> PlanResult:
    """These cohorts (at most a piece of them): insert what should exist within the horizon,
    cancel their planned rows that should not, and set when each one's next turn comes."""
    cohort_ids = sorted(turns)
    if not cohort_ids:
        return PlanResult()
    settings = settings_from(config)
    horizon = timedelta(hours=int(config["REMINDER_HORIZON_HOURS"]))
    reach = max(
        max(settings.survey_months, default=0) * 31 + settings.survey_window_days,
        questionnaire_reach_days(program),
    )
    data = planning_data(
        db,
        now,
        horizon,
        reach,
        cohort_ids,
        default_quiet_hours(config),
        questionnaire_days=questionnaire_window_days(program),
    )
    wished = {p.key: p for p in desired(data, settings, program)}
    wanted = {
        key: p for key, p in wished.items() if p.expires_at > now and p.due_at <= now + horizon
    }
    cohort_of_participant = {
        p.id: cohort_id for cohort_id, people in data.participants_by_cohort.items() for p in people
    }
    cohort_of_meeting = {meeting.id: meeting.cohort_id for meeting in data.meetings}

    def cohort_of(planned: rules.Planned) -> int:
        if "participant_id" in planned.payload:
            return cohort_of_participant[planned.payload["participant_id"]]
        return cohort_of_meeting[planned.payload["meeting_id"]]  # a facilitator's digest

    # A re-plan mostly wants what is already there: only keys new to the outbox are inserted.
    known = set(
        db.scalars(
            select(Reminder.key).where(
                Reminder.cohort_id.in_(cohort_ids), Reminder.expires_at > now
            )
        )
    )
    rows = [
        dict(
            key=p.key,
            user_id=p.user_id,
            cohort_id=cohort_of(p),
            kind=p.kind,
            channel=p.channel,
            payload=p.payload,
            due_at=p.due_at,
            expires_at=p.expires_at,
            status=ReminderStatus.PLANNED,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        for p in wanted.values()
        if p.key not in known
    ]
    result = PlanResult(cohorts=len(cohort_ids))
    for start in range(0, len(rows), ROWS_PER_INSERT):  # 12 parameters a row
        result.new_keys += _insert_ignoring_existing(db, rows[start : start + ROWS_PER_INSERT])
    stale = db.scalars(
        select(Reminder).where(
            Reminder.cohort_id.in_(cohort_ids),
            Reminder.status == ReminderStatus.PLANNED,
            Reminder.due_at <= now + horizon,
            # Queued by a request, not planned here (a change notice the planner also plans,
            # a short-notice move's, has the same key; one superseded by a later change is
            # cancelled at send time, by eligibility).
            Reminder.kind.not_in(ACCOUNT_LINK_KINDS | CHANGE_NOTICE_KINDS),
        )
    ).all()
    # Still wished for but past its moment: the sender expires it; only a change of plan cancels.
    unwanted = [r for r in stale if r.key not in wished]
    about = sorted({r.payload["meeting_id"] for r in unwanted if r.payload.get("meeting_id")})
    cancelled_meetings: set[int] = set()
    for start in range(0, len(about), IDS_PER_STATEMENT):  # a list, so in bounded pieces
        cancelled_meetings.update(
            db.scalars(
                select(Meeting.id).where(
                    Meeting.id.in_(about[start : start + IDS_PER_STATEMENT]),
                    Meeting.status == MeetingStatus.CANCELLED,
                )
            )
        )
    for reminder in unwanted:
        reminder.updated_at = now
        if reminder.payload.get("meeting_id") in cancelled_meetings:
            # Its purpose is gone, not changed: expired, as at send time.
            reminder.status, reminder.last_error = ReminderStatus.EXPIRED, "meeting cancelled"
            continue
        reminder.status, reminder.last_error = (
            ReminderStatus.CANCELLED,
            "no longer wanted when planned",
        )
        result.cancelled += 1
        result.keys.append(reminder.key)
    _record_turns(db, now, turns)
    db.flush()
    return result


def retry_failed(db: Session, reminder: Reminder, now: datetime) -> None:
    """Staff send a failed reminder again: it gets a fresh set of tries, if its moment has not passed."""
    reminder.status, reminder.attempts, reminder.next_attempt_at = ReminderStatus.PLANNED, 0, None
    reminder.updated_at = now
    db.flush()
