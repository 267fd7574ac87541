"""Seed a study of benchmark size with bulk inserts. At the default 10,000 participants: 50
sites, 1,000 cohorts, 90,000 attendance rows and 300,000 practice entries; other sizes scale the
cohorts (10 people each) over at most 50 sites.

Rows are built as plain dicts and written with executemany (one INSERT per chunk), so
seeding takes seconds, not the hours one ORM object per row would. Ids are given, so no
row needs to be read back; PostgreSQL's sequences are moved past them at the end.
"""

import random
import secrets
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from p4p.local_time import local_today
from p4p.modules.attendance.models import Attendance
from p4p.modules.auth.models import User
from p4p.modules.auth.service import create_user
from p4p.modules.participants.models import Participant, WeekProgress
from p4p.modules.practice.models import PracticeLog
from p4p.modules.sites.models import Cohort, Meeting, Site
from p4p.modules.sites.service import assign_facilitator, schedule

SITES, PEOPLE_PER_COHORT, PRACTICE_PER_PERSON = 50, 10, 30
# Cohorts start a week apart, 20 at a time, over a year: at any size the newest start in three
# days, eight weeks' worth are under way (so the planner has meetings, practice and surveys to
# remind of) and the rest are finished, some with surveys still due.
COHORTS_PER_START, START_WEEKS = 20, 50
TIMEZONES = ["America/Chicago", "America/Los_Angeles", "America/New_York", "America/Denver"]
STATUSES = ["present"] * 70 + ["late"] * 7 + ["left_early"] * 3 + ["excused"] * 8 + ["absent"] * 12
CHUNK = 20_000
PASSWORD = "bench-pass-2026"  # noqa: S105 - a throwaway database, deleted after the run
COORDINATOR = "coordinator@bench.example.org"
FACILITATOR = "facilitator@bench.example.org"


def _bulk(db: Session, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.execute(insert(model), rows[start : start + CHUNK])


def _staff(db: Session, now: datetime) -> tuple[User, User]:
    """The two staff accounts the benchmark logs in as, made through the real service."""
    coordinator = create_user(
        db,
        email=COORDINATOR,
        name="Bench Coordinator",
        role="coordinator",
        now=now,
        password=PASSWORD,
    )
    facilitator = create_user(
        db,
        email=FACILITATOR,
        name="Bench Facilitator",
        role="facilitator",
        now=now,
        password=PASSWORD,
    )
    db.flush()
    return coordinator, facilitator


def seed(db: Session, program, now: datetime, size: int = 10_000) -> dict:
    """Write a study of `size` participants; return the ids the measurements need."""
    rng = random.Random(4)  # noqa: S311 - the same study every run, not a secret
    coordinator, facilitator = _staff(db, now)
    first_user_id = facilitator.id + 1
    cohort_count = max(1, size // PEOPLE_PER_COHORT)
    sites = [
        Site(id=i + 1, name=f"Site {i + 1:02d}", timezone=TIMEZONES[i % len(TIMEZONES)])
        for i in range(min(SITES, cohort_count))
    ]
    _bulk(db, Site, [{"id": s.id, "name": s.name, "timezone": s.timezone} for s in sites])
    cohorts, meetings, users, participants = [], [], [], []
    attendance, practice, progress = [], [], []
    for index in range(cohort_count):
        site = sites[index % len(sites)]
        arm = program.arm(("partners4pain", "keys_to_wellbeing")[index % 2])
        # Staggered starts: the newest cohorts had their last meeting yesterday.
        today = local_today(now, site.timezone)
        # ... and on every day of the week, so some meet in the next 48 hours whatever the day.
        weeks_ago = (index // COHORTS_PER_START) % START_WEEKS
        start = today + timedelta(days=3 - 7 * weeks_ago - index % 7)
        cohort = Cohort(
            id=index + 1,
            site_id=site.id,
            arm=arm.key,
            name=f"Cohort {index + 1:04d}",
            start_date=start,
            weekday=start.weekday(),
            local_start_time=time(18 if index % 3 else 10),
            duration_minutes=90,
        )
        cohorts.append(
            {
                c: getattr(cohort, c)
                for c in (
                    "id",
                    "site_id",
                    "arm",
                    "name",
                    "start_date",
                    "weekday",
                    "local_start_time",
                    "duration_minutes",
                )
            }
        )
        cohort_meetings = []
        for week, starts_at in schedule(cohort, site, arm.weeks, arm.rhythm):
            meeting_id = len(meetings) + 1
            meetings.append(
                {
                    "id": meeting_id,
                    "cohort_id": cohort.id,
                    "week": week,
                    "starts_at": starts_at,
                    "duration_minutes": 90,
                    "mode": "in_person",
                    # A meeting is recorded once it has started; the rest are ahead.
                    "status": "held" if starts_at <= now else "scheduled",
                }
            )
            cohort_meetings.append((meeting_id, week, starts_at))
        for _person in range(PEOPLE_PER_COHORT):
            pid = len(participants) + 1
            user_id = first_user_id + pid - 1
            users.append(
                {
                    "id": user_id,
                    "email": f"p{pid:05d}@bench.example.org",
                    "name": f"Person {pid:05d}",
                    "role": "participant",
                    "language": "en",
                    "active": True,
                    "session_nonce": secrets.token_hex(16),
                    "created_at": now,
                    "activated_at": now,
                }
            )
            withdrawn = now - timedelta(days=3) if rng.random() < 0.05 else None
            participants.append(
                {
                    "id": pid,
                    "user_id": user_id,
                    "study_id": f"B-{pid:05d}",
                    "arm": arm.key,
                    "cohort_id": cohort.id,
                    "enrolled_at": datetime.combine(start, time(12), tzinfo=UTC)
                    - timedelta(days=10),
                    "withdrawn_at": withdrawn,
                }
            )
            for meeting_id, week, starts_at in cohort_meetings:
                if starts_at > now:
                    continue
                status = rng.choice(STATUSES)
                made_up = status in ("absent", "excused") and rng.random() < 0.4
                attendance.append(
                    {
                        "meeting_id": meeting_id,
                        "participant_id": pid,
                        "status": status,
                        "mode": "in_person",
                        "made_up_on": (starts_at + timedelta(days=2)).date() if made_up else None,
                        "made_up_how": "one_to_one" if made_up else None,
                        "recorded_at": starts_at + timedelta(hours=2),
                        "version": 1,
                    }
                )
                if rng.random() < 0.6:
                    progress.append(
                        {
                            "participant_id": pid,
                            "week": week,
                            "completed_at": starts_at + timedelta(days=2),
                        }
                    )
            for _entry in range(PRACTICE_PER_PERSON):
                week = rng.choice(arm.weeks)
                day = start + timedelta(days=7 * (week - 1) + rng.randrange(7))
                if day > today:
                    continue  # nobody logs practice ahead of time
                practice.append(
                    {
                        "participant_id": pid,
                        "practiced_on": day,
                        "practice_type": arm.week(week).practice_types[0].key,
                        "minutes": rng.choice([5, 10, 15, 20, 30]),
                        "guided": rng.random() < 0.5,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    for model, rows in (
        (User, users),
        (Cohort, cohorts),
        (Meeting, meetings),
        (Participant, participants),
        (Attendance, attendance),
        (PracticeLog, practice),
        (WeekProgress, progress),
    ):
        _bulk(db, model, rows)
    assign_facilitator(db, facilitator, db.get(Site, 1))
    db.flush()
    _move_sequences_past_given_ids(db)
    db.commit()
    # Planner statistics, as autovacuum (or an operator) would gather after a bulk load.
    db.execute(text("ANALYZE"))
    db.commit()
    # The newest cohort at the facilitator's site that has met: its sheet has marks to show.
    met = {m["cohort_id"] for m in meetings if m["status"] == "held"}
    newest = next(c for c in cohorts if c["site_id"] == 1 and c["id"] in met)
    member = next(p for p in participants if p["cohort_id"] == newest["id"])
    return {
        "coordinator": coordinator.email,
        "facilitator": facilitator.email,
        "participant_user_id": member["user_id"],
        "site_id": 1,
        "cohort_id": newest["id"],
        "meeting_id": next(m["id"] for m in meetings if m["cohort_id"] == newest["id"]),
        "counts": {
            "sites": len(sites),
            "cohorts": len(cohorts),
            "meetings": len(meetings),
            "participants": len(participants),
            "attendance": len(attendance),
            "practice": len(practice),
        },
    }


def _move_sequences_past_given_ids(db: Session) -> None:
    if db.get_bind().dialect.name != "postgresql":
        return
    for model in (User, Site, Cohort, Meeting, Participant):
        table = model.__tablename__
        db.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        )


def give_password(db: Session, user_id: int) -> str:
    """Let one participant log in (hashing 10,000 passwords would take minutes)."""
    from p4p.modules.auth.passwords import hash_password

    user = db.get(User, user_id)
    user.password_hash = hash_password(PASSWORD)
    db.commit()
    return user.email
