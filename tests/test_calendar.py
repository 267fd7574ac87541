"""The private calendar feed: its events (local time zone, place or video link, moves and
cancellations), its arm-neutral names, who sees which meetings, and revoking the link."""

import re
from datetime import timedelta

from conftest import login
from icalendar import Calendar
from sqlalchemy import select

from p4p.modules.attendance.delivery import record_delivery
from p4p.modules.audit.models import AuditEvent
from p4p.modules.calendars.models import CalendarFeed
from p4p.modules.sites.meetings import move_meeting, set_meeting_mode

FEED_PATH = re.compile(r'value="http://p4p\.test(/calendar/[^"]+\.ics)"')
OTHER_ARM = [r"keys[\s_-]*to[\s_-]*well[\s_-]*being", r"bienestar"]


def _make_link(client) -> str:
    response = client.post("/calendar/new")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="webcal://p4p.test/calendar/' in page
    (path,) = FEED_PATH.findall(page)
    return path


def _events(client, path) -> dict[str, object]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}, calendar


def test_a_participants_feed_holds_their_meetings_in_the_sites_time_zone(client, factory, db):
    participant = factory.participant()
    other = factory.participant()  # another cohort: none of its meetings
    login(client, participant.user.email)
    assert "/calendar" in client.get("/home").get_data(as_text=True)
    path = _make_link(client)
    client.post("/logout")  # calendar apps do not log in
    events, calendar = _events(client, path)
    meetings = participant.cohort.meetings
    assert set(events) == {f"meeting-{m.id}@p4p.test" for m in meetings}
    assert not {f"meeting-{m.id}@p4p.test" for m in other.cohort.meetings} & set(events)
    first = events[f"meeting-{meetings[0].id}@p4p.test"]
    assert first["dtstart"].params["TZID"] == "America/Chicago"
    assert first["dtstart"].dt.hour == 10  # the cohort's local 10:00
    assert first["dtend"].dt - first["dtstart"].dt == timedelta(minutes=90)
    assert str(first["location"]) == "Room 4"
    assert str(first["summary"]).endswith("group session")
    assert int(first["sequence"]) == 0
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Chicago"]
    # Only the token's hash is stored, and the change is audited.
    stored = db.scalar(select(CalendarFeed.token_hash))
    assert stored not in path and len(stored) == 64
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "calendar-link"))


def test_a_moved_meeting_keeps_its_uid_with_a_higher_sequence_and_a_cancelled_one_stays(
    app, client, factory, db, clock
):
    participant = factory.participant()
    coordinator = factory.user("coordinator")
    login(client, participant.user.email)
    path = _make_link(client)
    meetings = participant.cohort.meetings
    moved, cancelled, by_video = meetings[5], meetings[6], meetings[7]
    new_start = moved.starts_at + timedelta(days=1, hours=2)
    with app.app_context():  # the change notices read the study's quiet hours
        move_meeting(db, moved, new_start, "Holiday", coordinator.id, clock())
        record_delivery(
            db,
            cancelled,
            status="cancelled",
            actual_minutes=None,
            sections=[],
            note=None,
            actor=coordinator,
            now=clock(),
        )
        participant.cohort.video_link = "https://video.example/room"
        set_meeting_mode(db, by_video, "video", "Snow", coordinator.id, clock())
    db.commit()
    events, _ = _events(client, path)
    event = events[f"meeting-{moved.id}@p4p.test"]
    assert event["dtstart"].dt.hour == 12 and event["dtstart"].params["TZID"] == "America/Chicago"
    assert event["dtstart"].dt == new_start
    assert int(event["sequence"]) == 1
    gone = events[f"meeting-{cancelled.id}@p4p.test"]
    assert str(gone["status"]) == "CANCELLED" and int(gone["sequence"]) == 1
    video = events[f"meeting-{by_video.id}@p4p.test"]
    assert str(video["location"]) == "https://video.example/room"
    assert str(events[f"meeting-{meetings[0].id}@p4p.test"]["status"]) == "CONFIRMED"


def test_the_feed_never_names_an_arm_and_speaks_the_persons_language(client, factory):
    for arm in ("partners4pain", "keys_to_wellbeing"):
        participant = factory.participant(factory.cohort(arm=arm), language="es")
        login(client, participant.user.email)
        path = _make_link(client)
        client.post("/logout")
        body = client.get(path).get_data(as_text=True)
        calendar = Calendar.from_ical(body)
        summaries = {str(event["summary"]) for event in calendar.walk("VEVENT")}
        assert summaries == {"Vivir bien: sesión de grupo"}
        body = body.replace("\r\n ", "")  # unfolded, so a name cannot hide across a fold
        names = (
            [r"partners\s*-?\s*4\s*-?\s*pain", r"partners\s+for\s+pain"]
            if arm == "keys_to_wellbeing"
            else OTHER_ARM
        )
        for name in names + [arm, r"keys_to", r"partners4pain"]:
            assert not re.search(name, body, re.IGNORECASE), (arm, name)


def test_revoking_or_replacing_the_link_makes_the_old_url_404(client, factory, db):
    participant = factory.participant()
    login(client, participant.user.email)
    first = _make_link(client)
    second = _make_link(client)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    response = client.post("/calendar/stop")
    assert response.status_code == 302
    assert client.get(second).status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    assert db.scalar(select(CalendarFeed)) is None
    actions = db.scalars(select(AuditEvent.new).where(AuditEvent.action == "calendar-link"))
    assert [new["link"] for new in actions] == ["new", "new", None]


def test_a_facilitators_feed_holds_only_their_sites(client, factory):
    site_a, site_b = factory.site("Site A"), factory.site("Site B", timezone="America/New_York")
    cohort_a, cohort_b = factory.cohort(site=site_a), factory.cohort(site=site_b)
    facilitator = factory.facilitator(site_a)
    login(client, facilitator.email)
    assert "/calendar" in client.get("/staff/").get_data(as_text=True)
    path = _make_link(client)
    events, _ = _events(client, path)
    assert set(events) == {f"meeting-{m.id}@p4p.test" for m in cohort_a.meetings}
    assert not {f"meeting-{m.id}@p4p.test" for m in cohort_b.meetings} & set(events)


def test_coordinators_have_no_feed_and_anonymous_visitors_log_in_first(client, factory):
    assert client.get("/calendar").status_code == 302
    assert client.post("/calendar/new").status_code == 302
    coordinator = factory.user("coordinator")
    login(client, coordinator.email)
    assert client.get("/calendar").status_code in (403, 404)
