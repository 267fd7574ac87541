"""The demo study: two sites, four cohorts, ~24 participants with some history.

Dates are relative to `now`, so the demo is always mid-program. It is written
in one transaction and skipped when its coordinator already exists, so running
it twice changes nothing.
"""

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from p4p.local_time import local_today
from p4p.modules.attendance.models import Attendance
from p4p.modules.auth.models import Role, User
from p4p.modules.auth.service import create_user
from p4p.modules.curriculum.models import Program
from p4p.modules.instruments.answer_models import InstrumentAnswer, InstrumentResponse
from p4p.modules.instruments.models import Instrument
from p4p.modules.instruments.scoring import compute_scores
from p4p.modules.instruments.service import CHECK_IN, week_occasion
from p4p.modules.participants.models import Participant, WeekProgress
from p4p.modules.practice.models import ActionPlan, PracticeLog
from p4p.modules.sites.service import assign_facilitator, create_cohort, create_site

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - the README names it; demo accounts only
MARKER_EMAIL = "coordinator@example.org"

STAFF = [
    ("admin@example.org", "Avery Admin", Role.ADMIN),
    ("coordinator@example.org", "Carmen Ortiz", Role.COORDINATOR),
    ("facilitator.north@example.org", "Nia Thompson", Role.FACILITATOR),
    ("facilitator.south@example.org", "Luis Herrera", Role.FACILITATOR),
]
NAMES = [
    "Rosa Martinez",
    "James Begay",
    "Linh Nguyen",
    "Keanu Kahale",
    "Denise Washington",
    "Miguel Torres",
    "Grace Kim",
    "Darnell Brooks",
    "Leilani Akana",
    "Sofia Ramirez",
    "Robert Yazzie",
    "Mei Chen",
    "Tanya Johnson",
    "Jorge Castillo",
    "Malia Fonoti",
    "Andre Williams",
    "Ana Morales",
    "Priya Patel",
    "Curtis Redhorse",
    "Lucia Flores",
    "Terrence Jackson",
    "Hana Sato",
]
# (site, arm, name, weeks since start, weekday offset, local time)
COHORTS = [
    ("north", "partners4pain", "North P4P Tuesday", 4, 2, time(10, 0)),
    ("north", "keys_to_wellbeing", "North KtW Thursday", 2, 1, time(18, 0)),
    ("south", "partners4pain", "South P4P Monday", 9, 3, time(17, 30)),
    ("south", "keys_to_wellbeing", "South KtW Wednesday", 3, 0, time(9, 30)),
]
# A demo action plan in each participant's own language: how much, when, how often.
PLAN_WORDS = {
    "en": ("15 minutes", "after breakfast", "5 days"),
    "es": ("15 minutos", "después del desayuno", "5 días"),
}
# (cohort, place in it) -> (email, name, language)
NAMED_PARTICIPANTS = {
    ("North P4P Tuesday", 0): ("participant.p4p@example.org", "Maria Lopez", "en"),
    ("North P4P Tuesday", 1): ("participante.es@example.org", "Guadalupe Reyes", "es"),
    ("South KtW Wednesday", 0): ("participant.ktw@example.org", "Kevin Johnson", "en"),
}


def is_seeded(db: Session) -> bool:
    return db.scalar(select(User.id).where(User.email == MARKER_EMAIL)) is not None


def seed_demo(db: Session, program: Program, now: datetime) -> bool:
    """Create the demo study; False (and nothing written) when it already exists."""
    if is_seeded(db):
        return False
    rng = random.Random(2026)  # noqa: S311 - the same demo history every time, not a secret
    users = {
        email: create_user(db, email=email, name=name, role=role, now=now, password=DEMO_PASSWORD)
        for email, name, role in STAFF
    }
    sites = {
        "north": create_site(
            db,
            name="Northside Community Center",
            timezone="America/Chicago",
            address="1200 N Main St, Room 4",
            now=now,
        ),
        "south": create_site(
            db,
            name="South Valley YMCA",
            timezone="America/Los_Angeles",
            address="88 Valley Rd, Wellness Room",
            now=now,
        ),
    }
    assign_facilitator(db, users["facilitator.north@example.org"], sites["north"])
    assign_facilitator(db, users["facilitator.south@example.org"], sites["south"])
    names = iter(NAMES)
    serial = 0
    for site_key, arm, name, weeks_ago, days_ago, at in COHORTS:
        site = sites[site_key]
        start = local_today(now, site.timezone) - timedelta(weeks=weeks_ago, days=days_ago)
        video = "https://video.example.org/p4p-" + name.lower().replace(" ", "-")
        cohort = create_cohort(
            db,
            program=program,
            site=site,
            arm=arm,
            name=name,
            start_date=start,
            weekday=start.weekday(),
            local_start_time=at,
            now=now,
            location=site.address,
            video_link=video,
        )
        members = []
        for index in range(6):
            serial += 1
            email, person, language = NAMED_PARTICIPANTS.get((name, index), (None, None, "en"))
            person = person or next(names)
            email = email or f"demo.{serial:02d}@example.org"
            never_activated = index == 5
            user = create_user(
                db,
                email=email,
                name=person,
                role=Role.PARTICIPANT,
                now=now,
                password=None if never_activated else DEMO_PASSWORD,
                language=language,
            )
            enrolled = datetime.combine(start - timedelta(days=10), time(12), tzinfo=UTC)
            participant = Participant(
                user=user,
                study_id=f"P4P-{serial:03d}",
                arm=arm,
                cohort=cohort,
                enrolled_at=enrolled,
            )
            db.add(participant)
            members.append((participant, never_activated))
        db.flush()
        _history(db, rng, program, cohort, members, now)
    db.flush()  # the seed-demo command commits
    return True


def _history(
    db: Session, rng: random.Random, program: Program, cohort, members, now: datetime
) -> None:
    arm = program.arm(cohort.arm)
    check_in = program.instruments.get(CHECK_IN)
    past = [m for m in cohort.meetings if m.starts_at + timedelta(minutes=m.duration_minutes) < now]
    today = local_today(now, cohort.site.timezone)
    for meeting in past[:-1] if len(past) > 1 else past:
        meeting.status = "held"  # the latest meeting is left for its facilitator to record
    for participant, never_activated in members:
        engagement = 0.25 if never_activated else rng.uniform(0.45, 0.95)
        for meeting in past[:-1] if len(past) > 1 else past:
            roll = rng.random()
            status = (
                "present"
                if roll < engagement
                else "late"
                if roll < engagement + 0.05
                else "excused"
                if roll < engagement + 0.15
                else "absent"
            )
            made_up = status in ("excused", "absent") and rng.random() < 0.4
            db.add(
                Attendance(
                    meeting=meeting,
                    participant=participant,
                    status=status,
                    mode=meeting.mode,
                    recorded_at=meeting.starts_at + timedelta(hours=2),
                    made_up_on=(meeting.starts_at + timedelta(days=2)).date() if made_up else None,
                    made_up_how="one_to_one" if made_up else None,
                )
            )
        if never_activated:
            continue
        pain = rng.randint(5, 8)
        for meeting in past:
            language = participant.user.language
            week = arm.week(meeting.week, language)
            if rng.random() < engagement:
                db.add(
                    WeekProgress(
                        participant=participant,
                        week=meeting.week,
                        completed_at=min(now, meeting.starts_at + timedelta(days=3)),
                    )
                )
            if rng.random() < engagement:
                db.add(
                    ActionPlan(
                        participant=participant,
                        week=meeting.week,
                        what=week.goal[:200],
                        how_much=PLAN_WORDS[language][0],
                        when=PLAN_WORDS[language][1],
                        how_often=PLAN_WORDS[language][2],
                        confidence=rng.randint(5, 10),
                        outcome=rng.choice(["done", "partly", "not_done", None]),
                        created_at=meeting.starts_at,
                        updated_at=meeting.starts_at,
                    )
                )
            if rng.random() < engagement and check_in is not None:
                pain = max(1, pain - rng.choice([0, 0, 1]))
                db.add(_check_in(check_in, participant, meeting, pain))
            first_day = meeting.starts_at.date()
            # Practice on the days until the next session would fall (a week, or 3-4 days twice
            # a week).
            for offset in range(arm.rhythm.days_after_last(first_day)):
                day = first_day + timedelta(days=offset)
                if day > today or rng.random() > engagement * 0.8:
                    continue
                kind = rng.choice(week.practice_types).key
                db.add(
                    PracticeLog(
                        participant=participant,
                        practiced_on=day,
                        practice_type=kind,
                        minutes=rng.choice([5, 10, 10, 15, 15, 20, 25]),
                        guided=rng.random() < 0.5,
                        pain_before=pain,
                        pain_after=max(0, pain - 1),
                        note=None,
                        created_at=now,
                        updated_at=now,
                    )
                )


def _check_in(instrument: Instrument, participant, meeting, pain: int) -> InstrumentResponse:
    """The week's check-in (the PEG) as sent on the meeting day: its answers and scores."""
    answers = dict(
        zip(
            [item.name for item in instrument.items],
            (pain, max(0, pain - 1), pain),  # pain, enjoyment of life, daily activities
            strict=False,
        )
    )
    return InstrumentResponse(
        participant=participant,
        instrument=instrument.key,
        occasion=week_occasion(meeting.week),
        started_at=meeting.starts_at,
        submitted_at=meeting.starts_at,
        scores=compute_scores(instrument, answers),
        answers=[
            InstrumentAnswer(item=name, number=value, answered_at=meeting.starts_at)
            for name, value in answers.items()
        ],
    )
