"""Plan, claim, send: reminders that are never sent twice and never lost.

APScheduler is only the clock; the truth is the `reminder` table:
- plan(now) inserts every reminder that should exist (a second insert of a key does nothing)
  and cancels planned ones that no longer should (withdrawn, opted out, meeting moved);
- send_due(now), in sending.py, claims due rows a batch at a time under a lease, checks them
  again, sends, and records each result only while the claim is still its own.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
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
    ReminderStatus,
)
from p4p.modules.reminders.queries import planning_data
from p4p.modules.reminders.sending import SendResult, claim_due, send_due  # noqa: F401 (callers)
from p4p.modules.sites.models import Meeting, MeetingStatus

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
    inserted: int = 0
    cancelled: int = 0
    keys: list[str] = field(default_factory=list)


def _insert_ignoring_existing(db: Session, rows: list[dict]) -> int:
    if not rows:
        return 0
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING counts what went in; rowcount is not reliable for multi-row inserts on every driver.
    statement = insert(Reminder).values(rows).on_conflict_do_nothing(index_elements=["key"])
    return len(db.execute(statement.returning(Reminder.id)).all())


def plan(db: Session, program, now: datetime, config) -> PlanResult:
    """Insert what should exist within the horizon; cancel planned rows that should not."""
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
        default_quiet_hours(config),
        questionnaire_days=questionnaire_window_days(program),
    )
    wanted = {
        p.key: p
        for p in desired(data, settings, program)
        if p.expires_at > now and p.due_at <= now + horizon
    }
    rows = [
        dict(
            key=p.key,
            user_id=p.user_id,
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
    ]
    result = PlanResult()
    for start in range(0, len(rows), ROWS_PER_INSERT):  # 11 parameters a row
        result.inserted += _insert_ignoring_existing(db, rows[start : start + ROWS_PER_INSERT])
    stale = db.scalars(
        select(Reminder).where(
            Reminder.status == ReminderStatus.PLANNED,
            Reminder.due_at <= now + horizon,
            # Queued by a request, not planned here (a change notice the planner also plans,
            # a short-notice move's, has the same key; one superseded by a later change is
            # cancelled at send time, by eligibility).
            Reminder.kind.not_in(ACCOUNT_LINK_KINDS | CHANGE_NOTICE_KINDS),
        )
    ).all()
    unwanted = [r for r in stale if r.key not in wanted]
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
    db.flush()
    return result


def retry_failed(db: Session, reminder: Reminder, now: datetime) -> None:
    """Staff send a failed reminder again: it gets a fresh set of tries, if its moment has not passed."""
    reminder.status, reminder.attempts, reminder.next_attempt_at = ReminderStatus.PLANNED, 0, None
    reminder.updated_at = now
    db.flush()
