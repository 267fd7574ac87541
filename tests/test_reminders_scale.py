"""Planning a study too big for one parameter per participant in any statement.

PostgreSQL refuses a statement with more than 65,535 bind parameters; SQLite's default build
refuses more than 32,766 (this machine's is built to allow more, so the test lowers it back on
its own connections). The study here has more active participants than either limit; most have
no way to be reached, so they cost the planner a row each but no reminders, and the test stays
quick. A few sampled people, some made one by one and some among the bulk rows, show that the
planner still plans exactly what they should get.
"""

import sqlite3
from datetime import UTC, date, datetime, time, timedelta

from reminder_helpers import WEEK4_EVE, WEEK4_START, plan_at, reminders
from sqlalchemy import (
    Integer,
    String,
    case,
    cast,
    event,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
)

from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.practice.models import PracticeLog
from p4p.modules.reminders.models import ReminderPreference

POSTGRESQL_PARAMETER_LIMIT = 65_535
SQLITE_DEFAULT_PARAMETER_LIMIT = 32_766
CROWD = 66_000  # more participants than either limit allows parameters
NOON_15TH = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def _sqlite_default_limit(engine) -> None:
    def lower(dbapi_connection, _record, _proxy):
        dbapi_connection.setlimit(
            sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_DEFAULT_PARAMETER_LIMIT
        )

    event.listen(engine, "checkout", lower)


def _crowd(db, cohort, now: datetime) -> dict[str, int]:
    """CROWD participants in `cohort`, written by two INSERT ... SELECTs over a counting CTE
    (a second or so; sending the 132,000 rows from Python took 17 s and more on PostgreSQL);
    every 20,000th has an email, and one with an email is withdrawn. Returns the participant
    ids of one of those with an email and of the withdrawn one."""
    first_user = (db.scalar(select(func.max(User.id))) or 0) + 1
    first_participant = (db.scalar(select(func.max(Participant.id))) or 0) + 1
    reachable, withdrawn = 20_000, 30_001
    counting = select(literal(0, Integer).label("n")).cte("counting", recursive=True)
    counting = counting.union_all(select(counting.c.n + 1).where(counting.c.n < CROWD - 1))
    n = counting.c.n
    moment = User.created_at.type
    db.execute(
        insert(User).from_select(
            ["id", "email", "name", "role", "language", "active", "session_nonce", "created_at"],
            select(
                n + first_user,
                case(
                    (
                        or_(n % reachable == 0, n == withdrawn),
                        literal("crowd") + cast(n, String) + literal("@example.org"),
                    ),
                    else_=null(),
                ),
                literal("Crowd ") + cast(n, String),
                literal("participant"),
                literal("en"),
                true(),
                literal("nonce-") + cast(n, String),
                literal(now, moment),
            ),
        )
    )
    enrolled_at = datetime.combine(cohort.start_date, time(12), tzinfo=UTC) - timedelta(days=7)
    db.execute(
        insert(Participant).from_select(
            ["id", "user_id", "study_id", "arm", "cohort_id", "enrolled_at", "withdrawn_at"],
            select(
                n + first_participant,
                n + first_user,
                literal("C-") + cast(n, String),
                literal(cohort.arm),
                literal(cohort.id),
                literal(enrolled_at, moment),
                case((n == withdrawn, literal(now, moment)), else_=null()),
            ),
        )
    )
    db.commit()
    return {
        "reachable": first_participant + 2 * reachable,
        "withdrawn": first_participant + withdrawn,
    }


def _outbox(db, user_id: int) -> set[tuple[str, str, datetime]]:
    return {(r.kind, r.channel, r.due_at) for r in reminders(db, user_id=user_id, status="planned")}


def test_a_study_beyond_every_parameter_limit_is_planned_in_full(app, factory, db, clock):
    engine = app.extensions["p4p.engine"]
    if engine.dialect.name == "sqlite":
        _sqlite_default_limit(engine)
    cohort = factory.cohort()  # Mondays at 10:00 in Chicago; week 4 on 16 March
    plain = factory.participant(cohort)
    practiced = factory.participant(cohort)
    db.add(
        PracticeLog(
            participant_id=practiced.id,
            practiced_on=date(2026, 3, 13),
            practice_type="body-scan",
            minutes=10,
            guided=False,
            created_at=clock(),
            updated_at=clock(),
        )
    )
    texted = factory.participant(cohort)
    texted.user.email, texted.user.phone = None, "+15550002222"
    db.add(ReminderPreference(user_id=texted.user_id, kinds_off=["week-open"], updated_at=clock()))
    facilitator = factory.facilitator(cohort.site)
    db.commit()
    crowd = _crowd(db, cohort, clock())
    assert db.scalar(select(func.count(Participant.id))) > POSTGRESQL_PARAMETER_LIMIT

    result = plan_at(app, NOON_15TH)

    week_open = datetime(2026, 3, 16, 13, 0, tzinfo=UTC)  # 08:00 in Chicago on the day
    nudge = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)  # week 3's second practice nudge, 18:00
    # The shipped PEG: week 3's opened on 9 March (10:00 in Chicago) and is nudged on the 14th,
    # the day before its last; week 4's opens with the week. Overdue rounds collapse when sent.
    peg = {datetime(2026, 3, day, 15, 0, tzinfo=UTC) for day in (9, 14, 16)}
    expected = {
        ("meeting-eve", "email", WEEK4_EVE),
        ("week-open", "email", week_open),
        ("practice", "email", nudge),
        *(("questionnaire", "email", due) for due in peg),
    }
    assert _outbox(db, plain.user_id) == expected
    bulk_person = db.get_one(Participant, crowd["reachable"])
    assert _outbox(db, bulk_person.user_id) == expected
    assert _outbox(db, practiced.user_id) == expected - {("practice", "email", nudge)}
    assert _outbox(db, texted.user_id) == {
        ("meeting-eve", "sms", WEEK4_EVE),
        ("practice", "sms", nudge),
        *(("questionnaire", "sms", due) for due in peg),
    }
    assert _outbox(db, db.get_one(Participant, crowd["withdrawn"]).user_id) == set()
    assert _outbox(db, facilitator.id) == {("digest", "email", WEEK4_START - timedelta(hours=3))}
    # plain, practiced, texted, the four in the crowd with an email, the facilitator
    assert len(reminders(db, status="planned")) == 6 + 5 + 5 + 4 * 6 + 1
    assert result.inserted == len(reminders(db))

    again = plan_at(app, NOON_15TH)  # the next tick: nothing new, nothing to cancel
    assert (again.inserted, again.cancelled) == (0, 0)


def test_questionnaire_reminders_for_a_study_beyond_every_parameter_limit(
    app, factory, db, clock, scheduled_peg
):
    """The same crowd with the PEG asked weekly: week 4's opens on 16 March (10:00 in Chicago)."""
    engine = app.extensions["p4p.engine"]
    if engine.dialect.name == "sqlite":
        _sqlite_default_limit(engine)
    cohort = factory.cohort()
    plain = factory.participant(cohort)
    crowd = _crowd(db, cohort, clock())

    plan_at(app, NOON_15TH)

    week4 = ("questionnaire", "email", datetime(2026, 3, 16, 15, 0, tzinfo=UTC))
    assert week4 in _outbox(db, plain.user_id)
    assert week4 in _outbox(db, db.get_one(Participant, crowd["reachable"]).user_id)
    assert _outbox(db, db.get_one(Participant, crowd["withdrawn"]).user_id) == set()
    # plain and the four in the crowd with an email
    assert len(reminders(db, kind="questionnaire", status="planned")) == 5
    again = plan_at(app, NOON_15TH)
    assert (again.inserted, again.cancelled) == (0, 0)
