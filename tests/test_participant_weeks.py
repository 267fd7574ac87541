"""A participant's weeks: their own arm only, opening on meeting dates, marked done; and the
home page, rendered from the database on every visit, showing each kind of change at once."""

from datetime import timedelta

import pytest
from conftest import login
from coordinator_helpers import as_role
from sqlalchemy import select, update

from p4p.local_time import local_datetime
from p4p.modules.curriculum.service import get_program
from p4p.modules.participants.models import WeekProgress
from p4p.modules.practice.models import PracticeLog


def _title(app, arm, week):
    with app.app_context():
        return get_program().arm(arm).week(week).title


def test_this_week_shows_the_current_week_of_the_participants_own_arm(app, participant_client):
    response = participant_client.get("/home")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _title(app, "partners4pain", 3) in page  # the cohort started 15 days ago
    assert "Week 3 of 9" in page
    assert "Next group meeting" in page
    assert "988" in page  # the crisis line on every participant page


def test_login_lands_a_participant_on_this_week(client, participant):
    response = login(client, participant.user.email)
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/home"


def test_each_arm_sees_its_own_week_one_and_never_the_others(app, factory, client):
    p4p_title, ktw_title = _title(app, "partners4pain", 1), _title(app, "keys_to_wellbeing", 1)
    for arm, own, other in (
        ("partners4pain", p4p_title, ktw_title),
        ("keys_to_wellbeing", ktw_title, p4p_title),
    ):
        participant = factory.participant(factory.cohort(arm=arm))
        login(client, participant.user.email)
        page = client.get("/weeks/1").get_data(as_text=True)
        assert own in page and other not in page
        client.post("/logout")


def test_a_week_not_yet_open_shows_its_opening_date_but_not_its_content(app, participant_client):
    response = participant_client.get("/weeks/4")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "opens on" in page
    with app.app_context():
        first_idea = get_program().arm("partners4pain").week(4).section("key-ideas").text[:40]
    assert first_idea not in page


def test_weeks_outside_the_arm_are_not_found(participant_client):
    assert participant_client.get("/weeks/0").status_code == 404
    assert participant_client.get("/weeks/10").status_code == 404
    assert participant_client.get("/weeks/keys_to_wellbeing").status_code == 404


def test_the_week_opens_on_its_meeting_day_in_the_sites_timezone(app, factory, client, clock):
    # Week 4's meeting is 6 days from now at 10:00 in Chicago; before that day it is locked.
    participant = factory.participant()
    login(client, participant.user.email)
    assert "opens on" in client.get("/weeks/4").get_data(as_text=True)
    clock.advance(days=6)
    assert "opens on" not in client.get("/weeks/4").get_data(as_text=True)


def test_a_moved_meeting_moves_the_weeks_release(app, factory, db, client):
    participant = factory.participant()
    meeting = next(m for m in participant.cohort.meetings if m.week == 3)
    meeting.starts_at = meeting.starts_at + timedelta(days=3)  # snow day
    db.commit()
    login(client, participant.user.email)
    assert "opens on" in client.get("/weeks/3").get_data(as_text=True)
    assert "Week 2 of 9" in client.get("/home").get_data(as_text=True)


def test_marking_a_week_done_and_undone(app, db, participant, participant_client):
    response = participant_client.post("/weeks/2/done", data={"done": "1"})
    assert response.status_code == 302
    assert (
        db.scalar(select(WeekProgress.week).where(WeekProgress.participant_id == participant.id))
        == 2
    )
    assert "1 of 9 weeks done" in participant_client.get("/home").get_data(as_text=True)
    participant_client.post("/weeks/2/done", data={"done": "0"})
    db.expire_all()
    assert (
        db.scalar(select(WeekProgress).where(WeekProgress.participant_id == participant.id)) is None
    )


def test_a_locked_week_cannot_be_marked_done(participant_client):
    assert participant_client.post("/weeks/5/done", data={"done": "1"}).status_code == 404


def test_before_the_program_starts_the_home_page_says_when(app, factory, client, clock):
    cohort = factory.cohort(start=clock().date() + timedelta(days=5))
    participant = factory.participant(cohort)
    login(client, participant.user.email)
    page = client.get("/home").get_data(as_text=True)
    assert "has not started yet" in page
    assert client.get("/weeks/1").status_code == 200
    assert "opens on" in client.get("/weeks/1").get_data(as_text=True)


def test_all_weeks_lists_each_week_with_a_word_for_its_status(participant_client):
    page = participant_client.get("/weeks").get_data(as_text=True)
    assert page.count("Open") >= 3
    assert "Opens " in page


def test_a_participant_account_without_enrolment_sees_not_found(factory, client):
    user = factory.user("participant")
    login(client, user.email)
    assert client.get("/home").status_code == 404


# The home page shows every change at once: the participant's own, staff edits, the clock.


@pytest.fixture
def coordinator(app, factory):
    return as_role(factory, app.test_client(), "coordinator")


def _home(client) -> str:
    response = client.get("/home")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _change(client, url, data=None):
    """POST as a browser does, following the redirect to the page that shows the message."""
    response = client.post(url, data=data or {}, follow_redirects=True)
    assert response.status_code == 200
    return response


def _meeting(participant, week):
    return next(m for m in participant.cohort.meetings if m.week == week)


def test_the_participants_own_changes_show_at_once(participant_client, clock):
    assert "0 minutes on 0 days" in _home(participant_client)
    practice = {"practiced_on": clock().date().isoformat(), "practice_type": "body-scan"}
    _change(participant_client, "/practice", {**practice, "minutes": "25", "guided": "self"})
    assert "25 minutes on 1 day" in _home(participant_client)

    assert "You have no plan for this week yet." in _home(participant_client)
    plan = {"what": "Walk to the park", "how_much": "10 minutes", "when": "after lunch"}
    _change(participant_client, "/weeks/3/plan", {**plan, "how_often": "3 days", "confidence": "8"})
    assert "Walk to the park" in _home(participant_client)

    _change(participant_client, "/weeks/3/done", {"done": "1"})
    assert "1 of 9 weeks done" in _home(participant_client)
    _change(participant_client, "/weeks/3/done", {"done": "0"})
    assert "0 of 9 weeks done" in _home(participant_client)


def test_a_deleted_practice_entry_leaves_the_page(participant_client, db, participant, clock):
    form = {"practiced_on": clock().date().isoformat(), "practice_type": "body-scan"}
    _change(participant_client, "/practice", {**form, "minutes": "40", "guided": "self"})
    assert "40 minutes on 1 day" in _home(participant_client)
    entry = db.scalar(select(PracticeLog.id).where(PracticeLog.participant_id == participant.id))
    _change(participant_client, f"/practice/{entry}/delete")
    assert "0 minutes on 0 days" in _home(participant_client)


def test_a_bulk_statement_is_allowed_and_its_change_shows(participant_client, db, clock):
    form = {"practiced_on": clock().date().isoformat(), "practice_type": "body-scan"}
    _change(participant_client, "/practice", {**form, "minutes": "40", "guided": "self"})
    db.execute(update(PracticeLog).values(minutes=15))  # e.g. a data correction
    db.commit()
    assert "15 minutes on 1 day" in _home(participant_client)


def test_staff_changes_to_the_schedule_and_enrolment_show_at_once(
    participant_client, participant, coordinator
):
    meeting = _meeting(participant, 4)
    before = _home(participant_client)
    assert "Session 4 of 9" in before and "Room 4" in before

    moved = local_datetime(meeting.starts_at, "America/Chicago") + timedelta(days=1)
    coordinator.post(
        f"/admin/meetings/{meeting.id}/move",
        data={"move-date": moved.date().isoformat(), "move-time": "18:30", "move-reason": "Room"},
    )
    assert "6:30" in _home(participant_client)

    link = "https://video.example.org/north"
    form = {"mode-mode": "video", "mode-video_link": link, "mode-reason": "Storm"}
    assert coordinator.post(f"/admin/meetings/{meeting.id}/mode", data=form).status_code == 302
    page = _home(participant_client)
    assert "By video." in page and link in page  # the meeting's mode and the cohort's link

    cohort_form = {"name": participant.cohort.name, "location": "Hall B", "video_link": link}
    coordinator.post(f"/admin/cohorts/{participant.cohort_id}/edit", data=cohort_form)
    meeting_form = {"mode-mode": "in_person", "mode-reason": "Storm over"}
    coordinator.post(f"/admin/meetings/{meeting.id}/mode", data=meeting_form)
    assert "Hall B" in _home(participant_client)

    coordinator.post(
        f"/admin/participants/{participant.id}/withdraw", data={"withdraw-reason": "Moved away"}
    )
    assert "You have left the program" in _home(participant_client)


def test_a_renamed_site_and_a_cancelled_meeting_show_at_once(
    participant_client, participant, db, factory, clock
):
    from p4p.modules.attendance.service import record_delivery
    from p4p.modules.sites.service import update_site

    assert "Session 4 of 9" in _home(participant_client)
    site = participant.cohort.site
    update_site(
        db, site, name="Eastside Library", timezone=site.timezone, address=None,
        actor_id=factory.user("coordinator").id, now=clock(),
    )  # fmt: skip
    db.commit()
    assert "Eastside Library" in _home(participant_client)

    record_delivery(
        db, db.merge(_meeting(participant, 4)), status="cancelled", actual_minutes=None,
        sections=[], note=None, actor=factory.user("coordinator"), now=clock(),
    )  # fmt: skip
    db.commit()
    assert "Session 5 of 9" in _home(participant_client)


def test_the_clock_moves_the_page_on_without_any_change(client, participant, clock):
    week4 = _meeting(participant, 4)
    local_start = local_datetime(week4.starts_at, "America/Chicago")
    clock.at = local_start.replace(hour=23, minute=50) - timedelta(days=1)  # the evening before
    login(client, participant.user.email)
    page = _home(client)
    assert "Week 3 of 9" in page and "Session 4 of 9" in page

    clock.advance(minutes=20)  # past local midnight: week 4 opens
    page = _home(client)
    assert "Week 4 of 9" in page and "Session 4 of 9" in page

    clock.at = week4.starts_at + timedelta(minutes=week4.duration_minutes - 5)
    login(client, participant.user.email)  # (hours later: the idle session had ended)
    assert "Session 4 of 9" in _home(client)
    clock.advance(minutes=5)  # the meeting has ended: the next one is week 5's
    assert "Session 5 of 9" in _home(client)
