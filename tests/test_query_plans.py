"""The hot queries read the big tables through an index, not by scanning them whole.

A study of a few thousand attendance rows over twenty sites, its statistics gathered (ANALYZE),
then the very statements that the facilitator's follow-up list and the reminder planner run are
asked for their plan: EXPLAIN on PostgreSQL, EXPLAIN QUERY PLAN on SQLite. A facilitator's list
covers one site, so a plan that reads every attendance row of the study is the wrong one at any
size. The planner reads no attendance; its lookup of meeting moves in the audit trail (a table
that only grows) is checked instead.
"""

from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

from conftest import login
from sqlalchemy import event, insert, select, text

from p4p.modules.attendance.models import Attendance, FollowUpDismissal
from p4p.modules.audit.models import AuditEvent
from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Meeting

SITES, PEOPLE_PER_COHORT = 20, 20


def _study(factory, db, clock):
    """One cohort a site, each person marked at every meeting so far (every third person missed
    the last two, so the list has people on it); some of those dismissed a while ago."""
    start = clock().date() - timedelta(days=50)  # eight meetings held so far
    cohorts = [factory.cohort(site=factory.site(), start=start) for _ in range(SITES)]
    facilitator = factory.facilitator(cohorts[0].site)  # before the rows with given ids
    first_user = db.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0
    users, participants, marks = [], [], []
    for c, cohort in enumerate(cohorts):
        held = [m for m in cohort.meetings if m.starts_at < clock()]
        for p in range(PEOPLE_PER_COHORT):
            n = c * PEOPLE_PER_COHORT + p + 1
            users.append(
                {
                    "id": first_user + n,
                    "email": f"plan{n}@example.org",
                    "name": f"Plan {n}",
                    "role": "participant",
                    "language": "en",
                    "active": True,
                    "session_nonce": f"nonce-{n}",
                    "created_at": clock(),
                    "activated_at": clock(),
                }
            )
            participants.append(
                {
                    "id": n,
                    "user_id": first_user + n,
                    "study_id": f"Q-{n:05d}",
                    "arm": cohort.arm,
                    "cohort_id": cohort.id,
                    "enrolled_at": datetime.combine(cohort.start_date, time(9), tzinfo=UTC)
                    - timedelta(days=7),
                }
            )
            for i, meeting in enumerate(held):
                missed = p % 3 == 0 and i >= len(held) - 2
                marks.append(
                    {
                        "meeting_id": meeting.id,
                        "participant_id": n,
                        "status": "absent" if missed else "present",
                        "mode": "in_person",
                        "recorded_at": meeting.starts_at + timedelta(hours=2),
                        "version": 1,
                    }
                )
    db.execute(insert(User), users)
    db.execute(insert(Participant), participants)
    db.execute(insert(Attendance), marks)
    db.execute(
        insert(FollowUpDismissal),
        [
            {
                "participant_id": n,
                "dismissed_at": clock() - timedelta(days=30),
                "reasons": "missed",
            }
            for n in range(1, PEOPLE_PER_COHORT + 1, 3)
        ],
    )
    db.commit()
    return facilitator, len(marks)


@contextmanager
def _statements(app):
    """Every statement the app sends while the block runs, with its parameters."""
    engine = app.extensions["p4p.engine"]
    seen: list[tuple[str, object]] = []

    def keep(_connection, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def _statements_of(app, client, path: str) -> list[tuple[str, object]]:
    with _statements(app) as seen:
        assert client.get(path).status_code == 200
    return seen


def _plan(db, statement: str, parameters) -> str:
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        return "\n".join(row[0] for row in rows)
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return "\n".join(row[-1] for row in rows)


def _scans_all_of(table: str, plan: str) -> bool:
    return any(
        f"Seq Scan on {table}" in line  # PostgreSQL
        or line.strip().startswith(f"SCAN {table}")  # SQLite: a full scan, not a SEARCH
        for line in plan.splitlines()
    )


def test_the_follow_up_list_reads_attendance_by_index(app, factory, db, clock, client):
    facilitator, marks = _study(factory, db, clock)
    assert marks > 2_500
    db.execute(text("ANALYZE"))
    db.commit()
    login(client, facilitator.email)

    statements = _statements_of(app, client, "/staff/")

    on_attendance = [(s, p) for s, p in statements if "attendance" in s.lower()]
    assert len(on_attendance) >= 2  # the missed-in-a-row ranking and the latest miss
    full_scans = [
        (statement, plan)
        for statement, parameters in on_attendance
        if _scans_all_of("attendance", plan := _plan(db, statement, parameters))
    ]
    assert not full_scans, full_scans


def test_the_planner_looks_meeting_moves_up_in_the_audit_trail_by_index(app, factory, db, clock):
    from reminder_helpers import plan_at

    _facilitator, _marks = _study(factory, db, clock)
    meetings = db.scalars(select(Meeting).order_by(Meeting.id)).all()
    events = [  # a trail of everyday events, and a few meetings moved
        {
            "at": clock() - timedelta(minutes=n),
            "action": "mark",
            "entity": "attendance",
            "entity_id": str(n),
        }
        for n in range(4_000)
    ] + [
        {"at": clock(), "action": "move", "entity": "meeting", "entity_id": str(m.id)}
        for m in meetings[::40]
    ]
    db.execute(insert(AuditEvent), events)
    db.execute(text("ANALYZE"))
    db.commit()
    with _statements(app) as seen:
        plan_at(app, clock())

    on_audit = [(s, p) for s, p in seen if "audit_event" in s]
    assert len(on_audit) == 1  # when each meeting near now last moved
    assert not [
        plan
        for statement, parameters in on_audit
        if _scans_all_of("audit_event", plan := _plan(db, statement, parameters))
    ]


def test_a_planning_tick_reads_the_outbox_by_index(app, factory, db, clock):
    """A tick plans a few cohorts: it finds their planned rows through the outbox's index on
    cohort and status, never by reading the whole outbox (which keeps every reminder sent) nor
    every planned row of the study."""
    from reminder_helpers import plan_at

    from p4p.modules.reminders.models import Reminder, ReplanRequest
    from p4p.modules.reminders.tasks import plan_now

    _study(factory, db, clock)
    plan_at(app, clock())  # every cohort
    history = [  # a year of reminders already sent
        {
            "key": f"practice:old{n}:u1:email",
            "user_id": db.scalar(select(User.id).limit(1)),
            "cohort_id": None,
            "kind": "practice",
            "channel": "email",
            "payload": {},
            "due_at": clock() - timedelta(days=n % 365 + 1),
            "expires_at": clock() - timedelta(days=n % 365),
            "status": "sent",
            "attempts": 1,
            "created_at": clock(),
            "updated_at": clock(),
        }
        for n in range(5_000)
    ]
    db.execute(insert(Reminder), history)
    db.execute(ReplanRequest.__table__.delete())
    meeting = db.scalars(
        select(Meeting).where(Meeting.starts_at > clock() + timedelta(days=1)).limit(1)
    ).one()
    meeting.starts_at += timedelta(hours=1)  # one cohort to plan again
    db.execute(text("ANALYZE"))
    db.commit()
    with _statements(app) as seen, app.app_context():
        assert plan_now(clock() + timedelta(minutes=1)).cohorts >= 1

    on_outbox = [(s, p) for s, p in seen if "FROM reminder " in s or "FROM reminder\n" in s]
    assert on_outbox  # the planned rows of the cohorts planned
    plans = [_plan(db, statement, parameters) for statement, parameters in on_outbox]
    # By the cohort: the index on status and due time alone would read every planned row of
    # the study's next two days for each piece of cohorts.
    assert all("ix_reminder_cohort_status" in plan for plan in plans), plans
    assert not [plan for plan in plans if _scans_all_of("reminder", plan)]
