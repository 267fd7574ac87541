"""A participant's weeks: their own arm only, opening on meeting dates, marked done."""

from datetime import timedelta

from conftest import login
from sqlalchemy import select

from p4p.modules.curriculum.service import get_program
from p4p.modules.participants.models import WeekProgress


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
