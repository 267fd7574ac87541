"""A coordinator moves a meeting or switches it between video and in person: a reason is
required, the week's release follows the new date, and the audit trail keeps old and new."""

from datetime import timedelta

import pytest
from conftest import login
from coordinator_helpers import as_role, events
from sqlalchemy import select

from p4p.local_time import local_datetime
from p4p.modules.sites.meetings import move_meeting, set_meeting_mode
from p4p.modules.sites.models import Meeting
from p4p.problems import Problems


@pytest.fixture
def coordinator(factory, client):
    return as_role(factory, client, "coordinator")


def _week(cohort, number):
    return next(meeting for meeting in cohort.meetings if meeting.week == number)


def _move(client, meeting, day, at="10:00", reason="Holiday at the site"):
    return client.post(
        f"/admin/meetings/{meeting.id}/move",
        data={"move-date": day.isoformat(), "move-time": at, "move-reason": reason},
    )


def test_the_move_page_shows_the_meeting_in_local_time(factory, coordinator):
    cohort = factory.cohort()
    meeting = _week(cohort, 4)
    page = coordinator.get(f"/admin/meetings/{meeting.id}/move").get_data(as_text=True)
    local = local_datetime(meeting.starts_at, cohort.site.timezone)
    assert f'value="{local.date().isoformat()}"' in page and 'value="10:00"' in page
    assert "America/Chicago" in page and "Week 4 meeting" in page


def test_moving_a_meeting_opens_its_week_on_the_new_day(db, factory, client, clock):
    participant = factory.participant()
    cohort = participant.cohort
    week4 = _week(cohort, 4)  # six days away: weeks 1 to 3 are open
    login(client, participant.user.email)
    assert "Week 3 of 9" in client.get("/home").get_data(as_text=True)
    client.post("/logout")
    as_role(factory, client, "coordinator")
    today = local_datetime(clock(), cohort.site.timezone).date()
    response = _move(client, week4, today, "08:00")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/cohorts/{cohort.id}"
    (event,) = events(db, "move", "meeting")
    assert event.reason == "Holiday at the site"
    assert event.old["local"] == f"{(today + timedelta(days=6)).isoformat()} 10:00"
    assert event.new["local"] == f"{today.isoformat()} 08:00"
    client.post("/logout")
    login(client, participant.user.email)
    assert "Week 4 of 9" in client.get("/home").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"move-reason": ""}, "move-reason", "Write the reason"),
        ({"move-reason": "x" * 501}, "move-reason", "500"),
        ({"move-date": ""}, "move-date", "Enter the new date."),
        ({"move-date": "2026-02-30"}, "move-date", "Enter a date, like"),
        ({"move-date": "9999-12-31"}, "move-date", "between 2000 and 2099"),
        ({"move-time": "7pm"}, "move-time", "Enter a time, like"),
    ],
)
def test_bad_move_input_gets_a_field_message_and_changes_nothing(
    db, factory, coordinator, data, field, message
):
    meeting = _week(factory.cohort(), 5)
    before = meeting.starts_at
    form = {"move-date": "2026-03-25", "move-time": "10:00", "move-reason": "Snow", **data}
    response = coordinator.post(f"/admin/meetings/{meeting.id}/move", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    db.expire_all()
    assert db.get(Meeting, meeting.id).starts_at == before
    assert events(db, "move") == []


def test_a_meeting_stays_between_the_weeks_before_and_after_it(db, factory, coordinator):
    cohort = factory.cohort()
    week4, week5 = _week(cohort, 4), _week(cohort, 5)
    tz = cohort.site.timezone
    week3_day = local_datetime(_week(cohort, 3).starts_at, tz).date()
    page = _move(coordinator, week4, week3_day).get_data(as_text=True)
    assert "Week 4 must stay after week 3." in page
    week5_day = local_datetime(week5.starts_at, tz).date()
    response = _move(coordinator, week4, week5_day + timedelta(days=1))
    assert response.status_code == 422
    assert "Week 4 must stay before week 5." in response.get_data(as_text=True)
    same = local_datetime(week4.starts_at, tz)
    page = _move(coordinator, week4, same.date(), same.strftime("%H:%M")).get_data(as_text=True)
    assert "already at that date and time" in page
    assert events(db, "move") == []


def test_a_held_meeting_cannot_be_moved(db, factory, clock):
    cohort = factory.cohort()
    meeting = _week(cohort, 1)
    meeting.status = "held"
    db.commit()
    actor = factory.user("coordinator")
    with pytest.raises(Problems) as refused:
        move_meeting(db, meeting, meeting.starts_at + timedelta(hours=1), "Late", actor.id, clock())
    assert "held" in str(refused.value.problems["date"])


def test_switching_to_video_needs_a_link_which_becomes_the_cohorts(db, factory, coordinator):
    cohort = factory.cohort()
    meeting = _week(cohort, 5)
    url = f"/admin/meetings/{meeting.id}/mode"
    response = coordinator.post(url, data={"mode-mode": "video", "mode-reason": "Storm"})
    assert response.status_code == 422
    assert 'id="mode-video_link-error"' in response.get_data(as_text=True)
    link = "https://video.example.org/north"
    form = {"mode-mode": "video", "mode-video_link": link, "mode-reason": "Storm"}
    assert coordinator.post(url, data=form).status_code == 302
    db.expire_all()
    assert db.get(Meeting, meeting.id).mode == "video"
    assert db.get(Meeting, meeting.id).cohort.video_link == link
    (event,) = events(db, "mode", "meeting")
    assert event.old == {"mode": "in_person", "video_link": None}
    assert event.new == {"mode": "video", "video_link": link}
    assert event.reason == "Storm"
    page = coordinator.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True)
    assert "By video" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"mode-reason": ""}, "mode-reason", "Write the reason"),
        ({"mode-mode": "hologram"}, "mode-mode", "Choose one of the options shown."),
        ({"mode-mode": "in_person"}, "mode-mode", "already held this way"),
        ({"mode-video_link": "ftp://x.org/room"}, "mode-video_link", "https://"),
    ],
)
def test_bad_mode_input_gets_a_field_message_and_changes_nothing(
    db, factory, coordinator, data, field, message
):
    meeting = _week(factory.cohort(), 5)
    form = {"mode-mode": "video", "mode-video_link": "https://v.example.org/1", "mode-reason": "x"}
    response = coordinator.post(f"/admin/meetings/{meeting.id}/mode", data={**form, **data})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    db.expire_all()
    assert db.get(Meeting, meeting.id).mode == "in_person"
    assert events(db, "mode") == []


def test_set_meeting_mode_back_to_in_person_keeps_the_link(app, db, factory, clock):
    cohort = factory.cohort()
    meeting, actor = _week(cohort, 6), factory.user("coordinator").id
    with app.app_context():  # the notice reads the study's quiet hours
        set_meeting_mode(db, meeting, "video", "Storm", actor, clock(), "https://v.example.org/n")
        set_meeting_mode(db, meeting, "in_person", "Storm passed", actor, clock())
    modes = [(e.old["mode"], e.new["mode"]) for e in events(db, "mode")]
    assert modes == [("in_person", "video"), ("video", "in_person")]
    assert db.scalar(select(Meeting.mode).where(Meeting.id == meeting.id)) == "in_person"
    assert db.get(Meeting, meeting.id).cohort.video_link == "https://v.example.org/n"
