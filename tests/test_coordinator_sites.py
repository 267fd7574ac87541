"""Admins keep the study's sites, coordinators its cohorts: validated, audited, times in local
time."""

from datetime import date, time

import pytest
from coordinator_helpers import as_role, events
from sqlalchemy import func, select

from p4p.local_time import local_datetime
from p4p.modules.sites.models import Cohort, Meeting, Site


@pytest.fixture
def coordinator(factory, client):
    return as_role(factory, client, "coordinator")


@pytest.fixture
def admin(factory, client):
    return as_role(factory, client, "admin")


def _site_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count(Site.id)))


def test_admin_adds_a_site_and_the_event_names_the_actor(db, admin):
    response = admin.post(
        "/admin/sites/new",
        data={"name": " Eastside Library ", "timezone": "America/New_York", "address": "9 Elm St"},
    )
    assert response.status_code == 302
    site = db.scalar(select(Site))
    assert (site.name, site.timezone, site.address) == (
        "Eastside Library",
        "America/New_York",
        "9 Elm St",
    )
    (event,) = events(db, "create", "site")
    assert event.new["timezone"] == "America/New_York" and event.actor_id is not None
    page = admin.get("/admin/sites").get_data(as_text=True)
    assert "Eastside Library" in page and "America/New_York" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "name."),
        ({"name": "x" * 121}, "name", "120"),
        ({"timezone": ""}, "timezone", "timezone."),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Enter a timezone name from the list"),
        ({"timezone": "../../etc/passwd"}, "timezone", "Enter a timezone name from the list"),
        ({"timezone": "america/chicago"}, "timezone", "Enter a timezone name from the list"),
        ({"timezone": "localtime"}, "timezone", "Enter a timezone name from the list"),
        ({"address": "x" * 256}, "address", "255"),
        ({"name": "NORTH"}, "name", "Another site already has this name."),
    ],
)
def test_bad_site_input_gets_a_field_message_and_saves_nothing(
    db, factory, admin, data, field, message
):
    factory.site("North")
    form = {"name": "East", "timezone": "America/Chicago", "address": "", **data}
    response = admin.post("/admin/sites/new", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert _site_count(db) == 1


def test_editing_a_site_records_old_and_new_values(db, factory, admin):
    site = factory.site("North")
    response = admin.post(
        f"/admin/sites/{site.id}/edit",
        data={"name": "North Center", "timezone": "America/Chicago", "address": "2 Oak Ave"},
    )
    assert response.status_code == 302
    (event,) = events(db, "update", "site")
    assert event.old == {"name": "North", "timezone": "America/Chicago", "address": "1 Main St"}
    assert event.new == {
        "name": "North Center",
        "timezone": "America/Chicago",
        "address": "2 Oak Ave",
    }


def test_a_site_cannot_take_another_sites_name_but_keeps_its_own(db, factory, admin):
    site, _other = factory.site("North"), factory.site("South")
    form = {"name": "South", "timezone": "America/Chicago"}
    assert admin.post(f"/admin/sites/{site.id}/edit", data=form).status_code == 422
    form = {"name": "north", "timezone": "America/Denver"}
    assert admin.post(f"/admin/sites/{site.id}/edit", data=form).status_code == 302


def test_correcting_a_timezone_keeps_upcoming_meetings_at_their_local_time(
    db, factory, admin, clock
):
    cohort = factory.cohort(site=factory.site("North"), at=time(18, 0))
    past = [m.starts_at for m in cohort.meetings if m.starts_at < clock()]
    response = admin.post(
        f"/admin/sites/{cohort.site_id}/edit",
        data={"name": "North", "timezone": "America/Los_Angeles", "address": "1 Main St"},
    )
    assert response.status_code == 302
    db.expire_all()
    meetings = db.scalars(select(Meeting).where(Meeting.cohort_id == cohort.id)).all()
    upcoming = [m for m in meetings if m.starts_at > clock()]
    assert upcoming and all(
        local_datetime(m.starts_at, "America/Los_Angeles").time() == time(18, 0) for m in upcoming
    )
    assert sorted(m.starts_at for m in meetings if m.starts_at < clock()) == sorted(past)
    (event,) = events(db, "update", "site")
    assert event.new["meetings_retimed"] == len(upcoming)


def _cohort_form(site, **changes):
    form = {
        "site_id": str(site.id),
        "arm": "keys_to_wellbeing",
        "name": "Fall group",
        "start_date": "2026-10-20",
        "weekday": "1",
        "local_start_time": "18:00",
        "duration_minutes": "90",
        "location": "Room 2",
        "video_link": "",
    }
    form.update(changes)
    return form


def test_a_new_cohort_gets_its_weekly_meetings_at_local_time_across_daylight_saving(
    db, factory, coordinator
):
    site = factory.site("North")
    response = coordinator.post("/admin/cohorts/new", data=_cohort_form(site))
    assert response.status_code == 302
    cohort = db.scalar(select(Cohort).where(Cohort.name == "Fall group"))
    assert response.headers["Location"] == f"/admin/cohorts/{cohort.id}"
    local = [local_datetime(m.starts_at, "America/Chicago") for m in cohort.meetings]
    assert [m.week for m in cohort.meetings] == list(range(1, 10))
    assert {moment.time() for moment in local} == {time(18, 0)}  # clocks change on 1 November
    assert {moment.weekday() for moment in local} == {1}
    assert local[0].date() == date(2026, 10, 20)
    (event,) = events(db, "create", "cohort")
    assert event.new["arm"] == "keys_to_wellbeing"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"site_id": ""}, "site_id", ""),
        ({"site_id": "999"}, "site_id", "Choose one of the options shown."),
        ({"arm": "usual_care"}, "arm", "Choose one of the options shown."),
        ({"arm": ""}, "arm", "Choose the program."),
        ({"name": ""}, "name", "Enter a name for the cohort."),
        ({"name": "North group"}, "name", "Another cohort already has this name."),
        ({"start_date": ""}, "start_date", "Enter the start date."),
        ({"start_date": "2026-02-30"}, "start_date", "Enter a date, like"),
        ({"start_date": "0202-10-20"}, "start_date", "between 2000 and 2099"),
        ({"weekday": "7"}, "weekday", "Choose one of the options shown."),
        ({"local_start_time": "25:00"}, "local_start_time", "Enter a time, like"),
        ({"duration_minutes": "5"}, "duration_minutes", "from 15 to 480"),
        ({"duration_minutes": "481"}, "duration_minutes", "from 15 to 480"),
        ({"duration_minutes": "ninety"}, "duration_minutes", ""),
        ({"video_link": "javascript:alert(1)"}, "video_link", "starting with https://"),
    ],
)
def test_bad_cohort_input_gets_a_field_message_and_saves_nothing(
    db, factory, coordinator, changes, field, message
):
    site = factory.site("North")
    factory.cohort(site=site, name="North group")
    response = coordinator.post("/admin/cohorts/new", data=_cohort_form(site, **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    db.expire_all()
    assert db.scalar(select(func.count(Cohort.id))) == 1
    assert len(events(db, "create", "cohort")) == 1


def test_the_cohort_list_filters_by_site_and_program(factory, coordinator):
    north, south = factory.site("North"), factory.site("South")
    factory.cohort(site=north, name="North P4P")
    factory.cohort(site=north, arm="keys_to_wellbeing", name="North KTW")
    factory.cohort(site=south, name="South P4P")
    page = coordinator.get(f"/admin/cohorts?site={north.id}").get_data(as_text=True)
    assert "North P4P" in page and "North KTW" in page and "South P4P" not in page
    page = coordinator.get("/admin/cohorts?arm=keys_to_wellbeing").get_data(as_text=True)
    assert "North KTW" in page and "P4P</a>" not in page
    assert coordinator.get("/admin/cohorts?site=nowhere").status_code == 422
    assert coordinator.get("/admin/cohorts?arm=usual_care").status_code == 422


def test_the_cohort_page_shows_local_meetings_and_the_roster_with_withdrawn(
    db, factory, coordinator, clock
):
    cohort = factory.cohort(site=factory.site("West", "America/Los_Angeles"), at=time(18, 30))
    staying = factory.participant(cohort)
    leaving = factory.participant(cohort)
    leaving.withdrawn_at = clock()
    db.commit()
    page = coordinator.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True)
    assert page.count("6:30\u202fPM") + page.count("6:30 PM") == 9
    assert "America/Los_Angeles" in page and "Scheduled" in page and "In person" in page
    assert staying.study_id in page and leaving.study_id in page
    assert "Withdrawn" in page and "Active" in page
    assert page.index(staying.study_id) < page.index(leaving.study_id)


def _edit(coordinator, cohort, **changes):
    data = {"name": cohort.name, "location": cohort.location or "", "video_link": ""}
    data.update(changes)
    return coordinator.post(f"/admin/cohorts/{cohort.id}/edit", data=data)


def test_a_cohort_can_be_renamed_and_moved_to_another_room_and_participants_see_it(
    db, factory, coordinator, client
):
    cohort = factory.cohort(name="Tuesday evenings")
    page = coordinator.get(f"/admin/cohorts/{cohort.id}/edit").get_data(as_text=True)
    assert 'value="Tuesday evenings"' in page and 'value="Room 4"' in page
    link = "https://video.example.org/tuesday"
    response = _edit(coordinator, cohort, name="Tuesday group", location="Hall B", video_link=link)
    assert response.status_code == 302
    db.expire_all()
    saved = db.get(Cohort, cohort.id)
    assert (saved.name, saved.location, saved.video_link) == ("Tuesday group", "Hall B", link)
    (event,) = events(db, "update", "cohort")
    assert event.old == {"name": "Tuesday evenings", "location": "Room 4", "video_link": None}
    assert event.new == {"name": "Tuesday group", "location": "Hall B", "video_link": link}
    assert "Hall B" in coordinator.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True)
    assert _edit(coordinator, saved, video_link=link).status_code == 302  # nothing changed:
    assert len(events(db, "update", "cohort")) == 1  # no event


def test_a_cohort_edit_refuses_a_taken_name_a_bad_link_and_losing_a_needed_link(
    db, factory, coordinator
):
    factory.cohort(name="Monday mornings")
    cohort = factory.cohort(name="Thursday group")
    response = _edit(coordinator, cohort, name="monday MORNINGS")
    assert response.status_code == 422
    assert "Another cohort already has this name." in response.get_data(as_text=True)
    response = _edit(coordinator, cohort, video_link="javascript:alert(1)")
    assert response.status_code == 422
    assert 'id="video_link-error"' in response.get_data(as_text=True)

    link = "https://video.example.org/thursday"
    week5 = next(m for m in cohort.meetings if m.week == 5)
    form = {"mode-mode": "video", "mode-video_link": link, "mode-reason": "Snow"}
    assert coordinator.post(f"/admin/meetings/{week5.id}/mode", data=form).status_code == 302
    response = _edit(coordinator, cohort, video_link="")
    assert response.status_code == 422
    assert "Upcoming meetings are by video" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Cohort, cohort.id).name == "Thursday group"
    assert db.get(Cohort, cohort.id).video_link == link
    assert events(db, "update", "cohort") == []


def test_the_cohort_list_comes_in_pages_newest_first_keeping_its_filters(
    db, factory, coordinator, count_queries
):
    from datetime import timedelta

    from p4p.modules.sites.queries import COHORTS_PER_PAGE

    site = factory.site("North")
    first = date(2026, 1, 5)
    for n in range(COHORTS_PER_PAGE + 3):
        factory.cohort(site=site, start=first + timedelta(days=7 * n), name=f"Group {n:03d}")
    factory.cohort(arm="keys_to_wellbeing", name="Elsewhere")
    with count_queries() as one_page:
        page = coordinator.get("/admin/cohorts?arm=partners4pain").get_data(as_text=True)
    newest = f"Group {COHORTS_PER_PAGE + 2:03d}"
    assert newest in page and "Group 002" not in page and "Elsewhere" not in page
    assert "Page 1 of 2" in page
    # The first and last meeting dates come from the database, not from loading every meeting.
    assert "Jan 5, 2026" not in page and "Group 003" in page
    second = coordinator.get("/admin/cohorts?arm=partners4pain&page=2").get_data(as_text=True)
    assert "Group 000" in second and "Group 002" in second and newest not in second
    assert "Jan 5, 2026 – Mar 2, 2026" in second  # Group 000: 9 weekly meetings from 5 January
    assert 'href="/admin/cohorts?arm=partners4pain&amp;page=1"' in second
    assert one_page.count <= 6, one_page.count
