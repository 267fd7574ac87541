"""Dose data cannot be made up: attendance and delivery records exist only for a meeting whose
start has passed and that is not cancelled, whichever screen or service writes them; a mark can
be taken back; cancelling a meeting with marks asks first; reports ignore old impossible marks.

The clock stands at Tuesday 2026-03-10 15:00 UTC; the factory's cohort meets on Mondays at
10:00 Chicago time from Feb 23, so weeks 1-3 have started and week 4 (March 16) has not.
"""

import re
from datetime import timedelta

import pytest
from attendance_helpers import past_meeting, setup_site, sheet_data
from reports_helpers import csv_rows, staff_client
from sqlalchemy import select

from p4p.modules.attendance import service
from p4p.modules.attendance.models import Attendance
from p4p.modules.audit.models import AuditEvent
from p4p.modules.reports.grid import cohort_grid
from p4p.modules.reports.queries import ReportFilters, Scope, visible_sites
from p4p.modules.reports.summary import summary_report
from p4p.problems import Problems


def _marks(db, meeting):
    db.expire_all()
    rows = db.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    return {a.participant_id: a.status for a in rows}


def _events(db, action):
    db.expire_all()
    return db.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def _cancel(client, meeting, **extra):
    return client.post(
        f"/staff/meetings/{meeting.id}/delivery", data={"status": "cancelled", **extra}
    )


def test_a_future_meeting_takes_no_attendance_and_the_sheet_says_when_it_opens(factory, client, db):
    _site, cohort, people, _f = setup_site(factory, client)
    future = past_meeting(cohort, 4)
    url = f"/staff/meetings/{future.id}/attendance"
    page = client.get(url).get_data(as_text=True)
    assert "This meeting has not started yet" in page
    assert "attendance opens at 10:00" in page and "Monday, March 16, 2026" in page
    assert "Mark everyone present" not in page and "Save attendance" not in page
    versions = {f"version-{p.id}": "0" for p in people}
    saved = client.post(url, data={**versions, f"status-{people[0].id}": "present"})
    everyone = client.post(url, data={**versions, "action": "all-present"})
    for response in (saved, everyone):
        assert response.status_code == 422
        assert "This meeting has not started yet" in response.get_data(as_text=True)
    assert _marks(db, future) == {}
    assert _events(db, "attendance") == []


def test_a_future_meeting_cannot_be_recorded_held(factory, client, db):
    _site, cohort, _people, _f = setup_site(factory, client)
    future = past_meeting(cohort, 4)
    response = client.post(
        f"/staff/meetings/{future.id}/delivery", data={"status": "held", "actual_minutes": "90"}
    )
    assert response.status_code == 422
    assert "This meeting has not started yet" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(type(future), future.id).status == "scheduled"
    assert _events(db, "meeting-delivery") == []


def test_a_cancelled_meeting_takes_no_attendance_nor_a_held_record(factory, client, db):
    _site, cohort, people, _f = setup_site(factory, client)
    meeting = past_meeting(cohort, 2)
    assert _cancel(client, meeting).status_code == 302
    url = f"/staff/meetings/{meeting.id}/attendance"
    page = client.get(url).get_data(as_text=True)
    assert "This meeting was cancelled" in page and "Save attendance" not in page
    line = {f"version-{people[0].id}": "0", f"status-{people[0].id}": "present"}
    response = client.post(url, data=line)  # as a sheet opened before the cancel would send
    assert response.status_code == 422 and "This meeting was cancelled" in response.get_data(
        as_text=True
    )
    held = client.post(
        f"/staff/meetings/{meeting.id}/delivery", data={"status": "held", "actual_minutes": "90"}
    )
    assert held.status_code == 422 and "This meeting was cancelled" in held.get_data(as_text=True)
    assert _marks(db, meeting) == {}
    db.expire_all()
    assert db.get(type(meeting), meeting.id).status == "cancelled"


def test_the_rule_is_the_services_so_every_caller_shares_it(app, factory, client, db, clock):
    _site, cohort, people, facilitator = setup_site(factory, client)
    future = past_meeting(cohort, 4)
    mark = service.Mark("present", "in_person", None, 0)
    with app.test_request_context():
        with pytest.raises(Problems) as refused:
            service.save_sheet(db, future, {people[0].id: mark}, facilitator, clock())
        assert "has not started yet" in str(refused.value.problems["meeting"])
        with pytest.raises(Problems):
            service.record_delivery(
                db, future, status="held", actual_minutes=90, sections=[], note=None,
                actor=facilitator, now=clock(),
            )  # fmt: skip
        with pytest.raises(Problems):
            service.record_makeup(
                db, people[0], future, made_up_on=clock().date(), how="recording",
                actor=facilitator, now=clock(),
            )  # fmt: skip
        # The moment it starts, it opens.
        service.save_sheet(db, future, {people[0].id: mark}, facilitator, future.starts_at)
    assert _marks(db, future) == {people[0].id: "present"}


def test_a_mark_can_be_set_back_to_unmarked_and_the_audit_trail_keeps_it(factory, client, db):
    _site, cohort, people, _f = setup_site(factory, client)
    meeting = past_meeting(cohort, 2)
    url = f"/staff/meetings/{meeting.id}/attendance"
    page = client.get(url).get_data(as_text=True)
    client.post(url, data=sheet_data(page, {people[0].id: "present", people[1].id: "late"}))
    page = client.get(url).get_data(as_text=True)
    assert f'name="status-{people[0].id}" id="s-{people[0].id}-unmarked" value=""' in page
    response = client.post(url, data=sheet_data(page, {people[0].id: "", people[1].id: "late"}))
    assert response.status_code == 302
    assert _marks(db, meeting) == {people[1].id: "late"}
    last = _events(db, "attendance")[-1]
    assert last.entity_id == str(people[0].id)
    assert last.old["status"] == "present" and last.new["status"] is None


def test_cancelling_a_meeting_with_marks_asks_then_removes_them_into_the_audit_trail(
    factory, client, db
):
    _site, cohort, people, _f = setup_site(factory, client)
    meeting = past_meeting(cohort, 3)
    url = f"/staff/meetings/{meeting.id}/attendance"
    page = client.get(url).get_data(as_text=True)
    client.post(url, data=sheet_data(page, {people[0].id: "present", people[1].id: "absent"}))

    asked = _cancel(client, meeting)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 409
    assert "Marks at this meeting: 2" in page
    assert "Cancel the meeting and remove the marks" in page and "Keep the meeting" in page
    db.expire_all()
    assert db.get(type(meeting), meeting.id).status == "scheduled"
    assert len(_marks(db, meeting)) == 2

    assert _cancel(client, meeting, remove_marks="1").status_code == 302
    db.expire_all()
    assert db.get(type(meeting), meeting.id).status == "cancelled"
    assert _marks(db, meeting) == {}
    removed = [e for e in _events(db, "attendance") if e.new.get("reason") == "meeting cancelled"]
    assert {(e.entity_id, e.old["status"]) for e in removed} == {
        (str(people[0].id), "present"),
        (str(people[1].id), "absent"),
    }


def test_a_meeting_wrongly_recorded_held_can_be_cleared_then_moved(app, factory, client, db, clock):
    from p4p.modules.sites.meetings import move_meeting

    _site, cohort, _people, _f = setup_site(factory, client)
    future = past_meeting(cohort, 4)
    future.status = "held"  # old data, from before the rule
    db.commit()
    page = client.get(f"/staff/meetings/{future.id}/delivery").get_data(as_text=True)
    assert "Not recorded yet (clear this record)" in page
    cleared = client.post(f"/staff/meetings/{future.id}/delivery", data={"status": "scheduled"})
    assert cleared.status_code == 302
    db.expire_all()
    future = db.get(type(future), future.id)
    assert future.status == "scheduled"
    later = future.starts_at + timedelta(days=1)
    with app.test_request_context():
        move_meeting(db, future, later, "holiday", _f.id, clock())
    db.expire_all()
    assert db.get(type(future), future.id).starts_at == later


def test_a_meeting_with_marks_cannot_move_into_the_future(app, factory, client, db, clock):
    from p4p.modules.sites.meetings import move_meeting

    _site, cohort, people, facilitator = setup_site(factory, client)
    meeting = past_meeting(cohort, 3)
    url = f"/staff/meetings/{meeting.id}/attendance"
    page = client.get(url).get_data(as_text=True)
    client.post(url, data=sheet_data(page, {people[0].id: "present"}))
    db.expire_all()
    meeting = db.get(type(meeting), meeting.id)
    with app.test_request_context():
        with pytest.raises(Problems) as refused:
            move_meeting(db, meeting, clock() + timedelta(days=2), "rain", facilitator.id, clock())
        assert "marked" in str(refused.value.problems["date"])


def test_reports_and_exports_ignore_marks_on_future_or_cancelled_meetings(
    app, factory, client, db, clock
):
    """Old data may hold such marks: no report or export counts them (they read as unmarked)."""
    _site, cohort, people, facilitator = setup_site(factory, client)
    coordinator = staff_client(app, factory.user("coordinator"))
    cancelled = past_meeting(cohort, 2)
    cancelled.status = "cancelled"
    for week in (2, 4, 5, 6, 7, 8, 9):
        db.add(
            Attendance(
                meeting_id=past_meeting(cohort, week).id, participant_id=people[0].id,
                status="present", mode="in_person", recorded_by_id=facilitator.id,
                recorded_at=clock(),
            )
        )  # fmt: skip
    db.commit()
    summary = csv_rows(
        coordinator.post("/reports/attendance.csv", data={"format": "summary"}).get_data(
            as_text=True
        )
    )
    header, rows = (
        summary[0],
        {row[0]: dict(zip(summary[0], row, strict=True)) for row in summary[1:]},
    )
    assert header[0] == "study_id"
    row = rows[people[0].study_id]
    assert (row["meetings_attended"], row["dose"], row["completer"], row["last_activity"]) == (
        "0", "0", "0", "",
    )  # fmt: skip
    redcap = csv_rows(
        coordinator.post("/reports/attendance.csv", data={"format": "redcap"}).get_data(
            as_text=True
        )
    )
    record = next(
        dict(zip(redcap[0], r, strict=True)) for r in redcap[1:] if r[0] == people[0].study_id
    )
    assert record["p4p_w9_status"] == "0" and record["p4p_w2_status"] == "0"
    assert record["p4p_dose"] == "0"
    with app.test_request_context():
        program = app.extensions["p4p.program"]
        grid = cohort_grid(db, cohort, program, clock())
        scope = Scope(None, tuple(visible_sites(db, None)), ReportFilters(), clock())
        report = summary_report(db, scope, program, clock(), 6)
    assert next(r for r in grid.rows if r.participant.id == people[0].id).dose == 0
    arm = next(a for a in report.arms if a.key == "partners4pain")
    assert arm.completers == 0 and arm.dose[0] == len(people)
    long = csv_rows(
        coordinator.post("/reports/attendance.csv", data={"format": "long"}).get_data(as_text=True)
    )
    assert {r[7] for r in long[1:] if r[0] == people[0].study_id} == {"unmarked"}


def test_participant_pages_ignore_marks_the_reports_do_not_count(app, factory, client, db, clock):
    """The participant's progress and the facilitator's page agree with the reports."""
    from conftest import login

    _site, cohort, people, facilitator = setup_site(factory, client)
    person = people[0]
    for week, status in ((2, "present"), (4, "present"), (5, "late")):
        db.add(
            Attendance(
                meeting_id=past_meeting(cohort, week).id, participant_id=person.id,
                status=status, mode="in_person", recorded_by_id=facilitator.id,
                recorded_at=clock(),
            )
        )  # fmt: skip
    db.commit()
    page = client.get(f"/staff/participants/{person.id}").get_data(as_text=True)
    assert re.search(r"<dt>Meetings attended</dt><dd>(\d+)", page).group(1) == "1"
    own = app.test_client()
    login(own, person.user.email)
    progress = own.get("/progress").get_data(as_text=True)
    assert re.search(r"<dt>Group meetings attended</dt><dd>(\d+)", progress).group(1) == "1"
