"""An arm's sessions need not be weekly: `schedule` in program.yaml gives each arm every N days or
named weekdays (twice a week, as pain reprocessing therapy's 8 sessions over 4 weeks are). The
cohort's meetings, each session's window and its last window follow the arm's rhythm, at the
cohort's local time across a daylight-saving change."""

import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import yaml
from coordinator_helpers import as_role, events
from sqlalchemy import func, select

from p4p.local_time import local_datetime
from p4p.modules.curriculum.models import SessionRhythm
from p4p.modules.curriculum.service import PACKAGED_CONTENT, load_program, read_program
from p4p.modules.participants.service import week_states, week_windows
from p4p.modules.sites.models import Cohort

CHICAGO = "America/Chicago"  # clocks go forward on Sunday 14 March 2027


def _content(tmp_path, **schedules) -> str:
    """The shipped content with `schedule` set per arm key (None leaves the arm as shipped)."""
    content = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, content)
    path = content / "program.yaml"
    definition = yaml.safe_load(path.read_text())
    for arm in definition["arms"]:
        if schedules.get(arm["key"]) is not None:
            arm["schedule"] = schedules[arm["key"]]
    path.write_text(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False))
    return str(content)


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["CONTENT_DIR"] = _content(
        tmp_path, partners4pain={"weekdays": ["monday", "thursday"]}
    )
    load_program.cache_clear()
    return app_config


def test_named_weekdays_give_the_sessions_in_order_from_the_first():
    twice = SessionRhythm(weekdays=(0, 3))
    dates = twice.dates(date(2027, 3, 1), 8)
    assert dates == [date(2027, 3, d) for d in (1, 4, 8, 11, 15, 18, 22, 25)]
    # The last session's window runs until the next session would have fallen: Thursday to Monday.
    assert twice.days_after_last(dates[-1]) == 4
    assert twice.days_after_last(date(2027, 3, 22)) == 3
    fortnightly = SessionRhythm(every_days=14)
    assert fortnightly.dates(date(2027, 3, 1), 3) == [
        date(2027, 3, 1),
        date(2027, 3, 15),
        date(2027, 3, 29),
    ]
    assert fortnightly.days_after_last(date(2027, 3, 29)) == 14


def test_the_definition_reads_each_arms_rhythm(app):
    program = app.extensions["p4p.program"]
    assert program.arm("partners4pain").rhythm == SessionRhythm(weekdays=(0, 3))
    # An arm without a schedule keeps the study's cadence_days.
    assert program.arm("keys_to_wellbeing").rhythm == SessionRhythm(every_days=7)


def test_a_twice_weekly_cohort_meets_at_its_local_time_across_daylight_saving(db, factory, client):
    coordinator = as_role(factory, client, "coordinator")
    site = factory.site("North", CHICAGO)
    response = coordinator.post("/admin/cohorts/new", data=_cohort_form(site))
    assert response.status_code == 302, response.get_data(as_text=True)
    cohort = db.scalar(select(Cohort).where(Cohort.name == "Spring group"))
    local = [local_datetime(m.starts_at, CHICAGO) for m in cohort.meetings]
    assert [m.week for m in cohort.meetings] == list(range(1, 10))
    assert [moment.date() for moment in local] == [
        date(2027, 3, d) for d in (1, 4, 8, 11, 15, 18, 22, 25, 29)
    ]
    assert {moment.time() for moment in local} == {time(17, 0)}
    # 17:00 is 23:00 UTC before the change and 22:00 after it.
    assert {m.starts_at.hour for m in cohort.meetings[:4]} == {23}
    assert {m.starts_at.hour for m in cohort.meetings[4:]} == {22}
    windows = week_windows(
        cohort.meetings, CHICAGO, tuple(range(1, 10)), SessionRhythm(weekdays=(0, 3))
    )
    assert windows[1] == (date(2027, 3, 1), date(2027, 3, 3))
    assert windows[2] == (date(2027, 3, 4), date(2027, 3, 7))


def test_the_last_session_window_follows_the_arms_rhythm(app, factory):
    program = app.extensions["p4p.program"]
    site = factory.site("North", CHICAGO)
    cohort = factory.cohort(site=site, start=date(2027, 3, 1), at=time(17, 0))
    person = factory.participant(cohort=cohort)
    states = week_states(person, program, set(), datetime(2027, 3, 30, 15, 0, tzinfo=UTC))
    last = states[-1]
    # Session 9 is on Monday 29 March; the next would be Thursday: its window is Mon to Wed.
    assert (last.opens_on, last.ends_on) == (date(2027, 3, 29), date(2027, 3, 31))


def test_a_cohort_of_a_weekday_arm_must_start_on_one_of_its_weekdays(db, factory, client):
    coordinator = as_role(factory, client, "coordinator")
    site = factory.site("North", CHICAGO)
    response = coordinator.post("/admin/cohorts/new", data=_cohort_form(site, weekday="1"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="weekday-error"' in page
    assert "This program meets on Monday and Thursday: choose one of those days." in page
    db.expire_all()
    assert db.scalar(select(func.count(Cohort.id))) == 0
    assert events(db, "create", "cohort") == []


def _cohort_form(site, **changes):
    form = {
        "site_id": str(site.id),
        "arm": "partners4pain",
        "name": "Spring group",
        "start_date": "2027-03-01",
        "weekday": "0",
        "local_start_time": "17:00",
        "duration_minutes": "90",
        "location": "Room 2",
        "video_link": "",
    }
    form.update(changes)
    return form


BAD_SCHEDULES = [
    ({"weekdays": ["monday", "thurs"]},
     "arm partners4pain: schedule weekdays: 'thurs' is not a weekday: write monday, tuesday,"),
    ({"weekdays": []}, "arm partners4pain: schedule weekdays: list one or more days"),
    ({"weekdays": ["monday", "monday"]}, "arm partners4pain: schedule weekdays: 'monday' is written twice"),
    ({"every_days": 0}, "arm partners4pain: schedule every_days: write a whole number of days from 1 to 28"),
    ({"every_days": 7, "weekdays": ["monday"]},
     "arm partners4pain: schedule: write every_days or weekdays, not both"),
    ({"fortnightly": True},
     "arm partners4pain: schedule: write every_days: 7 or weekdays: [monday, thursday]"),
    ("weekly", "arm partners4pain: schedule: write every_days: 7 or weekdays: [monday, thursday]"),
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "message"), BAD_SCHEDULES)
def test_a_schedule_p4p_cannot_follow_is_refused_saying_what_to_write(tmp_path, schedule, message):
    content = _content(tmp_path, partners4pain=schedule)
    program, problems = read_program(Path(content))
    assert program is None
    assert any(message in problem for problem in problems), problems
    assert all("program.yaml" in problem for problem in problems)


def test_an_arm_without_meetings_may_not_give_meeting_days(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, content)
    path = content / "program.yaml"
    definition = yaml.safe_load(path.read_text())
    definition["arms"][0].update(delivery="self-paced", schedule={"weekdays": ["monday"]})
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    _program, problems = read_program(content)
    assert any(
        "arm partners4pain: a self-paced arm has no meetings: remove its schedule" in problem
        for problem in problems
    ), problems


def test_twelve_weeks_of_mondays_is_what_a_weekly_schedule_gives():
    weekly = SessionRhythm(weekdays=(0,))
    assert weekly.dates(date(2027, 3, 1), 12) == [
        date(2027, 3, 1) + timedelta(days=7 * n) for n in range(12)
    ]
    assert weekly.days_after_last(date(2027, 5, 17)) == 7


def test_a_spanish_coordinator_reads_the_days_in_spanish(factory, client):
    from conftest import login

    assert login(client, factory.user("coordinator", language="es").email).status_code == 302
    site = factory.site("North", CHICAGO)
    response = client.post("/admin/cohorts/new", data=_cohort_form(site, weekday="2"))
    assert response.status_code == 422
    assert "Este programa se reúne los lunes y jueves: elija uno de esos días." in (
        response.get_data(as_text=True)
    )


def test_the_cohort_pages_say_every_day_a_twice_weekly_cohort_meets(db, factory, client):
    coordinator = as_role(factory, client, "coordinator")
    site = factory.site("North", CHICAGO)
    coordinator.post("/admin/cohorts/new", data=_cohort_form(site))
    cohort = db.scalar(select(Cohort).where(Cohort.name == "Spring group"))
    for path in ("/admin/cohorts", f"/admin/cohorts/{cohort.id}"):
        assert "Monday and Thursday, 17:00" in coordinator.get(path).get_data(as_text=True), path
