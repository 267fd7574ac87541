"""Incremental planning: a tick plans only the cohorts something changed for and those whose turn
has come, and over a simulated month that leaves the same outbox a full plan would."""

import contextlib
import os
import random
from datetime import UTC, datetime, time, timedelta

import pytest
from reminder_helpers import plan_at, send_at
from simulation_checks import planned_as_a_full_plan_would
from sqlalchemy import func, select

from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.practice.models import PracticeLog
from p4p.modules.reminders.models import (
    Reminder,
    ReminderPlanState,
    ReminderPreference,
    ReplanRequest,
    SurveyCompletion,
)
from p4p.modules.sites.models import Cohort, FacilitatorSite, Meeting
from p4p.problems import Problems

START = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def tick(app, moment):
    """The scheduler's planning step, as its tick calls it."""
    from p4p.modules.reminders.tasks import plan_now

    with app.app_context():
        return plan_now(moment)


def queued(db) -> list[int]:
    db.expire_all()
    return sorted(set(db.scalars(select(ReplanRequest.cohort_id))))


def test_a_tick_with_nothing_changed_plans_no_cohort_and_costs_the_same_at_two_sizes(
    app, factory, db, count_queries
):
    costs = {}
    for size in (3, 30):
        while len(cohorts := db.scalars(select(Meeting.cohort_id).distinct()).all()) < size:
            factory.participant(factory.cohort())
        assert len(cohorts) == size
        plan_at(app, START)  # every cohort, and each one's next turn spread over 12 hours
        db.execute(ReplanRequest.__table__.delete())
        db.commit()
        with count_queries() as counter:
            result = tick(app, START + timedelta(minutes=1))
        assert result.cohorts == 0 and result.inserted == 0
        costs[size] = counter.count
    assert costs[3] == costs[30], costs


def test_every_change_the_planner_reads_queues_its_cohort_and_a_login_does_not(app, factory, db):
    from p4p.modules.auth.models import User

    cohort, other = factory.cohort(), factory.cohort()
    person = factory.participant(cohort)
    facilitator = factory.facilitator(cohort.site)
    plan_at(app, START)
    db.execute(ReplanRequest.__table__.delete())
    db.commit()

    user = db.get(User, person.user_id)
    user.last_login_at = START  # read by no reminder
    db.commit()
    assert queued(db) == []

    changes = [
        lambda: setattr(db.get(Meeting, cohort.meetings[4].id), "starts_at", START + timedelta(2)),
        lambda: setattr(db.get(User, person.user_id), "phone", "+13125550100"),
        lambda: db.add(ReminderPreference(user_id=person.user_id, sms_on=False, updated_at=START)),
        lambda: db.add(
            PracticeLog(
                participant_id=person.id,
                practiced_on=START.date(),
                minutes=10,
                practice_type="breathing",
                guided=False,
                created_at=START,
                updated_at=START,
            )
        ),
        lambda: db.add(SurveyCompletion(participant_id=person.id, months=2, done_at=START)),
        lambda: db.add(
            InstrumentResponse(
                participant_id=person.id,
                instrument="peg",
                occasion="week-3",
                started_at=START,
                submitted_at=START,
            )
        ),
        lambda: setattr(db.get(User, facilitator.id), "email", "new.address@example.org"),
        lambda: setattr(person, "withdrawn_at", START),
    ]
    for change in changes:
        change()
        db.commit()
        assert queued(db) == [cohort.id], change
        db.execute(ReplanRequest.__table__.delete())
        db.commit()

    person.cohort_id = other.id  # moved to another group: both groups' reminders change
    db.commit()
    assert queued(db) == sorted([cohort.id, other.id])


def test_a_facilitator_taken_off_a_site_queues_its_cohorts(app, factory, db):
    from p4p.modules.facilitators.service import set_facilitator_sites

    cohort = factory.cohort()
    facilitator = factory.facilitator(cohort.site)
    db.execute(ReplanRequest.__table__.delete())
    db.commit()
    assert set_facilitator_sites(db, facilitator, [], actor_id=facilitator.id, now=START)
    db.commit()
    assert db.scalar(select(func.count()).select_from(FacilitatorSite)) == 0
    assert queued(db) == [cohort.id]


def test_a_change_is_planned_at_the_next_tick_and_its_request_taken(app, factory, db):
    from p4p.modules.sites.meetings import move_meeting

    cohort = factory.cohort()
    person = factory.participant(cohort)
    coordinator = factory.user("coordinator")
    meeting = next(m for m in cohort.meetings if m.starts_at > START + timedelta(days=1))
    now = meeting.starts_at - timedelta(days=2)
    plan_at(app, now)
    db.execute(ReplanRequest.__table__.delete())
    db.commit()
    old_eve = db.scalar(
        select(Reminder.key).where(
            Reminder.user_id == person.user_id,
            Reminder.kind == "meeting-eve",
            Reminder.payload["meeting_id"].as_integer() == meeting.id,
        )
    )
    assert old_eve is not None
    with app.test_request_context():  # a move queues its change notices, in the site's words
        move_meeting(
            db, meeting, meeting.starts_at + timedelta(hours=3), "Room taken", coordinator.id, now
        )
    db.commit()
    assert queued(db) == [cohort.id]
    result = tick(app, now + timedelta(minutes=1))
    assert result.cohorts == 1 and old_eve in result.keys
    assert queued(db) == []
    new_eve = f"meeting-eve:m{meeting.id}@{int(meeting.starts_at.timestamp())}"
    assert any(key.startswith(new_eve) for key in result.new_keys), result.new_keys


def test_turns_come_round_spread_over_a_quarter_of_the_horizon(app, factory, db):
    cohorts = [factory.cohort() for _ in range(8)]
    plan_at(app, START)
    turns = sorted(db.scalars(select(ReminderPlanState.replan_at)))
    assert len(turns) == len(cohorts)
    assert turns[0] > START and turns[-1] == START + timedelta(hours=12)
    gaps = {b - a for a, b in zip(turns, turns[1:], strict=False)}
    assert gaps == {timedelta(hours=12) / 8}
    db.execute(ReplanRequest.__table__.delete())
    db.commit()
    # Three hours on, the cohorts whose turn came (a quarter of them) are planned, no others.
    assert tick(app, START + timedelta(hours=3)).cohorts == 2
    assert tick(app, START + timedelta(hours=3, minutes=1)).cohorts == 0


def test_a_tick_plans_at_most_its_share_of_turns_and_new_cohorts_first(
    app, factory, db, monkeypatch
):
    from p4p.modules.reminders import service

    factory.cohort()
    plan_at(app, START)
    newer = [factory.cohort() for _ in range(3)]  # never planned: their turn is now
    db.execute(ReplanRequest.__table__.delete())
    db.commit()
    monkeypatch.setattr(service, "TURNS_PER_TICK", 2)
    assert tick(app, START + timedelta(minutes=1)).cohorts == 2
    assert tick(app, START + timedelta(minutes=2)).cohorts == 1
    planned = set(db.scalars(select(ReminderPlanState.cohort_id)))
    assert {c.id for c in newer} <= planned


@pytest.mark.parametrize(
    "run_seed", [int(s) for s in os.environ.get("P4P_PLAN_SEEDS", "20261203").split(",")]
)
def test_a_month_of_ticks_leaves_the_outbox_a_full_plan_would(app, factory, db, run_seed):
    """Hourly ticks over 30 days while people enrol, withdraw, log practice, answer and change
    their reminders and the coordinator moves and cancels meetings, in a random order: after
    every tick a full plan (rolled back) would add and cancel nothing due within 36 hours."""
    from p4p.modules.auth.models import User
    from p4p.modules.sites.meetings import cancel_meeting, move_meeting

    chance = random.Random(run_seed)
    coordinator = factory.user("coordinator")
    chicago = factory.site(timezone="America/Chicago")
    honolulu = factory.site(timezone="Pacific/Honolulu")
    cohorts = [
        factory.cohort(chicago, start=START.date() + timedelta(days=2)),
        factory.cohort(honolulu, start=START.date() - timedelta(days=20), at=time(17, 30)),
        factory.cohort(chicago, arm="keys_to_wellbeing", start=START.date() + timedelta(days=9)),
    ]
    factory.facilitator(chicago)
    people = [factory.participant(c) for c in cohorts for _ in range(3)]
    for n, person in enumerate(people[::2]):
        db.get(User, person.user_id).phone = f"+1312555{n:04d}"
    db.commit()
    plan_at(app, START)
    problems: list[str] = []
    moment = START
    for hour in range(30 * 24):
        moment = START + timedelta(hours=hour + 1)
        roll = chance.random()
        person = chance.choice(people)
        if roll < 0.04:
            person = factory.participant(chance.choice(cohorts))
            person.enrolled_at = moment  # enrolled now, as the enrolment form does
            people.append(person)
        elif roll < 0.06 and person.withdrawn_at is None:
            person.withdrawn_at = moment
        elif roll < 0.12:
            db.add(
                PracticeLog(
                    participant_id=person.id,
                    practiced_on=(moment - timedelta(days=chance.randint(0, 2))).date(),
                    minutes=15,
                    practice_type="breathing",
                    guided=False,
                    created_at=moment,
                    updated_at=moment,
                )
            )
        elif roll < 0.15:
            preference = db.get(ReminderPreference, person.user_id) or ReminderPreference(
                user_id=person.user_id, kinds_off=[]
            )
            preference.sms_on, preference.updated_at = chance.random() < 0.5, moment
            preference.kinds_off = chance.sample(["meeting-eve", "practice", "questionnaire"], 1)
            db.add(preference)
        elif roll < 0.17:
            months = chance.choice([2, 4, 6])
            if db.get(SurveyCompletion, (person.id, months)) is None:
                db.add(SurveyCompletion(participant_id=person.id, months=months, done_at=moment))
        elif roll < 0.21:
            # A weekly questionnaire is answered while it is open, in the days after its
            # session (instruments.service.open_occasions), never before.
            open_weeks = [
                m.week
                for m in db.get(Cohort, person.cohort_id).meetings
                if moment - timedelta(days=3) < m.starts_at <= moment
            ]
            occasions = [f"week-{week}" for week in open_weeks]
            answered = db.scalars(
                select(InstrumentResponse.occasion).where(
                    InstrumentResponse.participant_id == person.id
                )
            ).all()
            for occasion in set(occasions) - set(answered):
                db.add(
                    InstrumentResponse(
                        participant_id=person.id,
                        instrument="peg",
                        occasion=occasion,
                        started_at=moment,
                        submitted_at=moment,
                    )
                )
        elif roll < 0.25:
            ahead = [
                m
                for m in chance.choice(cohorts).meetings
                if m.status != "cancelled" and m.starts_at > moment + timedelta(hours=6)
            ]
            if ahead:
                meeting = chance.choice(ahead[:3])
                if chance.random() < 0.8:
                    shift = timedelta(days=chance.choice([-1, 1, 2]), hours=chance.choice([0, 2]))
                    if meeting.starts_at + shift > moment + timedelta(hours=2):
                        # A move out of its week's order is refused: nothing changes then.
                        with app.test_request_context(), contextlib.suppress(Problems):
                            move_meeting(
                                db,
                                meeting,
                                meeting.starts_at + shift,
                                "Room",
                                coordinator.id,
                                moment,
                            )
                else:
                    with app.test_request_context():
                        cancel_meeting(db, meeting, "Snow", coordinator.id, moment)
        db.commit()
        tick(app, moment)
        if hour % 6 == 5:
            send_at(app, moment)
        problems += planned_as_a_full_plan_would(app, moment)
    assert problems == [], "\n".join(problems[:40])
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Reminder)) > 500  # a month's worth
