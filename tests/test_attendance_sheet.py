"""The facilitator's attendance sheet: fast, scoped to their site, never silently overwriting."""

from attendance_helpers import past_meeting, setup_site, sheet_data, versions
from conftest import login
from sqlalchemy import func, select

from p4p.modules.attendance.models import Attendance
from p4p.modules.audit.models import AuditEvent


def _marks(db, meeting):
    db.expire_all()
    rows = db.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    return {a.participant_id: a.status for a in rows}


def test_facilitator_takes_attendance_and_unmarked_stays_unmarked(factory, client, db):
    _site, cohort, people, _f = setup_site(factory, client)
    meeting = past_meeting(cohort)
    url = f"/staff/meetings/{meeting.id}/attendance"
    page = client.get(url).get_data(as_text=True)
    assert page.count("Unmarked") >= 3
    response = client.post(
        url, data=sheet_data(page, {people[0].id: "present", people[1].id: "late"})
    )
    assert response.status_code == 302
    assert _marks(db, meeting) == {people[0].id: "present", people[1].id: "late"}
    page = client.get(url).get_data(as_text=True)
    assert "Attendance saved (2 changed)" in page


def test_mark_everyone_present_fills_only_the_unmarked_and_skips_the_withdrawn(
    factory, client, db, clock
):
    _site, cohort, people, _f = setup_site(factory, client, people=4)
    people[3].withdrawn_at = clock()
    db.commit()
    meeting = past_meeting(cohort)
    url = f"/staff/meetings/{meeting.id}/attendance"
    page = client.get(url).get_data(as_text=True)
    client.post(url, data=sheet_data(page, {people[0].id: "absent"}))
    page = client.get(url).get_data(as_text=True)
    assert "Mark everyone present" in page and "(2)" in page
    form = {"action": "all-present", f"version-{people[1].id}": "0", f"version-{people[2].id}": "0"}
    assert client.post(url, data=form).status_code == 302
    assert _marks(db, meeting) == {
        people[0].id: "absent",
        people[1].id: "present",
        people[2].id: "present",
    }


def test_a_stale_save_is_refused_with_what_changed_and_nothing_is_overwritten(
    factory, client, db, app
):
    site, cohort, people, facilitator = setup_site(factory, client)
    meeting = past_meeting(cohort)
    url = f"/staff/meetings/{meeting.id}/attendance"
    phone = client.get(url).get_data(as_text=True)  # device one opens the sheet
    other_device = app.test_client()
    co_facilitator = factory.facilitator(site)
    login(other_device, co_facilitator.email)
    tablet = other_device.get(url).get_data(as_text=True)
    assert (
        other_device.post(url, data=sheet_data(tablet, {people[0].id: "late"})).status_code == 302
    )

    response = client.post(
        url, data=sheet_data(phone, {people[0].id: "present", people[1].id: "absent"})
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This sheet changed since you opened it" in page
    assert people[0].user.name in page and "now Late" in page and co_facilitator.name in page
    assert _marks(db, meeting) == {
        people[0].id: "late"
    }  # the other save stands, nothing half-saved
    assert 'value="present" checked' in page  # this person's own choices are still on the form

    retry = client.post(
        url, data=sheet_data(page, {people[0].id: "present", people[1].id: "absent"})
    )
    assert retry.status_code == 302
    assert _marks(db, meeting) == {people[0].id: "present", people[1].id: "absent"}


def test_two_first_saves_of_the_same_line_do_not_both_win(factory, client, db, app):
    site, cohort, people, _f = setup_site(factory, client, people=1)
    meeting = past_meeting(cohort)
    url = f"/staff/meetings/{meeting.id}/attendance"
    first = client.get(url).get_data(as_text=True)
    second_client = app.test_client()
    login(second_client, factory.facilitator(site).email)
    second = second_client.get(url).get_data(as_text=True)
    assert client.post(url, data=sheet_data(first, {people[0].id: "present"})).status_code == 302
    assert (
        second_client.post(url, data=sheet_data(second, {people[0].id: "absent"})).status_code
        == 409
    )
    assert _marks(db, meeting) == {people[0].id: "present"}


def test_every_change_is_audited_with_old_and_new(factory, client, db):
    _site, cohort, people, facilitator = setup_site(factory, client, people=1)
    meeting = past_meeting(cohort)
    url = f"/staff/meetings/{meeting.id}/attendance"
    client.post(
        url, data=sheet_data(client.get(url).get_data(as_text=True), {people[0].id: "present"})
    )
    client.post(
        url, data=sheet_data(client.get(url).get_data(as_text=True), {people[0].id: "excused"})
    )
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "attendance").order_by(AuditEvent.id)
    ).all()
    assert [(e.old and e.old["status"], e.new["status"]) for e in events] == [
        (None, "present"),
        ("present", "excused"),
    ]
    assert {e.actor_id for e in events} == {facilitator.id}
    assert events[0].entity_id == str(people[0].id)


def test_bad_sheet_input_names_the_line_and_saves_nothing(factory, client, db):
    _site, cohort, people, _f = setup_site(factory, client, people=2)
    meeting = past_meeting(cohort)
    url = f"/staff/meetings/{meeting.id}/attendance"
    page = client.get(url).get_data(as_text=True)
    data = sheet_data(page, {people[0].id: "present", people[1].id: "asleep"})
    data[f"note-{people[0].id}"] = "x" * 201
    response = client.post(url, data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Choose one of the statuses" in text and "under 200 characters" in text
    assert _marks(db, meeting) == {}


def test_facilitator_of_another_site_gets_404_for_everything_of_this_site(factory, client, db):
    _site, cohort, people, _f = setup_site(factory, client)
    meeting = past_meeting(cohort)
    client.post("/logout")
    login(client, factory.facilitator(factory.site()).email)
    for path in (
        f"/staff/meetings/{meeting.id}/attendance",
        f"/staff/meetings/{meeting.id}/print",
        f"/staff/meetings/{meeting.id}/delivery",
        f"/staff/participants/{people[0].id}",
        f"/staff/participants/{people[0].id}/makeup",
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path, data={f"status-{people[0].id}": "absent"}).status_code in (
            404,
            405,
        ), path
    page = client.get("/staff/").get_data(as_text=True)
    assert cohort.name not in page and people[0].user.name not in page
    assert db.scalar(select(func.count(Attendance.id))) == 0


def test_coordinator_may_open_any_sites_sheet(factory, client):
    _site, cohort, _people, _f = setup_site(factory, client)
    client.post("/logout")
    login(client, factory.user("coordinator").email)
    assert client.get(f"/staff/meetings/{past_meeting(cohort).id}/attendance").status_code == 200


def test_printable_sheet_lists_everyone_with_boxes(factory, client):
    _site, cohort, people, _f = setup_site(factory, client)
    page = client.get(f"/staff/meetings/{past_meeting(cohort).id}/print").get_data(as_text=True)
    assert all(p.user.name in page for p in people)
    assert page.count("☐") == 3 * 5
    assert 'media="print"' in page


def test_versions_move_forward_on_each_save(factory, client):
    _site, cohort, people, _f = setup_site(factory, client, people=1)
    url = f"/staff/meetings/{past_meeting(cohort).id}/attendance"
    client.post(
        url, data=sheet_data(client.get(url).get_data(as_text=True), {people[0].id: "present"})
    )
    assert versions(client.get(url).get_data(as_text=True)) == {f"version-{people[0].id}": "1"}
    client.post(
        url, data=sheet_data(client.get(url).get_data(as_text=True), {people[0].id: "late"})
    )
    assert versions(client.get(url).get_data(as_text=True)) == {f"version-{people[0].id}": "2"}
