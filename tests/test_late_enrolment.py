"""A meeting that started before someone enrolled is "not yet enrolled" for them: not on their
sheet, not in "Meetings to record", not in the follow-up rules nor a week's denominator, and
said as such in the reports and exports. Enrolling into a finished cohort asks first.

The clock stands at Tuesday 2026-03-10 15:00 UTC; the factory's cohort met on Feb 23, Mar 2
and Mar 9 (weeks 1-3). `late` enrols today, after those three meetings.
"""

import io
from datetime import timedelta

import pytest
from attendance_helpers import past_meeting, setup_site, sheet_data
from conftest import login
from coordinator_helpers import enrolment_form, roster_csv, roster_row, upload
from reports_helpers import csv_rows, record_delivery, staff_client
from sqlalchemy import select

from p4p.modules.attendance import service
from p4p.modules.attendance.models import Attendance
from p4p.modules.attendance.queries import dashboard, follow_up_reasons
from p4p.modules.participants.models import Participant
from p4p.modules.reports.queries import ReportFilters, Scope, visible_sites
from p4p.modules.reports.summary import summary_report
from p4p.problems import Problems


@pytest.fixture
def late_cohort(factory, client, clock):
    _site, cohort, people, facilitator = setup_site(factory, client, people=2)
    late = factory.participant(cohort, enrolled_on=clock().date())
    return cohort, people, late, facilitator


def _mark_everyone_else(client, cohort, people):
    for week in (1, 2, 3):
        meeting = past_meeting(cohort, week)
        page = client.get(f"/staff/meetings/{meeting.id}/attendance").get_data(as_text=True)
        data = sheet_data(page, {p.id: "present" for p in people})
        assert client.post(f"/staff/meetings/{meeting.id}/attendance", data=data).status_code == 302
        record_delivery(client, meeting)


def test_a_late_enrolee_is_not_on_earlier_sheets_nor_in_meetings_to_record(
    app, db, client, late_cohort, clock
):
    cohort, people, late, facilitator = late_cohort
    _mark_everyone_else(client, cohort, people)
    page = client.get(f"/staff/meetings/{past_meeting(cohort, 2).id}/attendance")
    assert late.study_id not in page.get_data(as_text=True)
    db.expire_all()
    to_record = dashboard(db, facilitator, clock()).to_record
    assert [item.meeting.week for item in to_record] == []
    # From the first meeting after they enrolled, they are on the sheet.
    later = past_meeting(cohort, 4)
    assert late.id in {person.id for person, _mark in service.sheet(db, later)}


def test_a_sheet_refuses_a_mark_for_someone_not_yet_enrolled(app, db, client, late_cohort, clock):
    cohort, _people, late, facilitator = late_cohort
    meeting = past_meeting(cohort, 2)
    url = f"/staff/meetings/{meeting.id}/attendance"
    data = {f"version-{late.id}": "0", f"status-{late.id}": "absent"}
    assert client.post(url, data=data).status_code == 302  # not on the sheet: left alone
    mark = service.Mark("absent", "in_person", None, 0)
    with app.test_request_context(), pytest.raises(Problems) as refused:
        service.save_sheet(db, meeting, {late.id: mark}, facilitator, clock())
    assert "not enrolled at this meeting" in str(refused.value.problems["meeting"])
    with app.test_request_context(), pytest.raises(Problems):
        service.record_makeup(
            db, late, meeting, made_up_on=clock().date(), how="recording",
            actor=facilitator, now=clock(),
        )  # fmt: skip
    db.expire_all()
    assert db.scalars(select(Attendance).where(Attendance.participant_id == late.id)).all() == []


def test_follow_up_rules_skip_meetings_and_weeks_before_enrolment(db, late_cohort, clock):
    cohort, people, late, facilitator = late_cohort
    # Old data: absences recorded for the late enrolee before they joined.
    for week in (2, 3):
        db.add(
            Attendance(
                meeting_id=past_meeting(cohort, week).id, participant_id=late.id,
                status="absent", mode="in_person", recorded_by_id=facilitator.id,
                recorded_at=clock(),
            )
        )  # fmt: skip
    db.commit()
    flagged = follow_up_reasons(db, clock(), [])
    assert late.id not in flagged  # neither "missed" nor "no practice" (enrolled today)
    assert "no-practice" in flagged[people[0].id].reasons  # the others have had 14 quiet days


def test_reports_count_a_week_only_for_people_enrolled_by_its_meeting(
    app, db, client, late_cohort, clock
):
    cohort, people, late, _f = late_cohort
    _mark_everyone_else(client, cohort, people)
    with app.test_request_context():
        scope = Scope(None, tuple(visible_sites(db, None)), ReportFilters(), clock())
        report = summary_report(db, scope, app.extensions["p4p.program"], clock(), 6)
    arm = next(a for a in report.arms if a.key == "partners4pain")
    assert [arm.by_week[w].participants_open for w in (1, 2, 3)] == [2, 2, 2]
    assert arm.participant_weeks == 6


def test_exports_say_not_yet_enrolled(app, factory, db, client, late_cohort):
    cohort, people, late, _f = late_cohort
    _mark_everyone_else(client, cohort, people)
    coordinator = staff_client(app, factory.user("coordinator"))

    long = csv_rows(
        coordinator.post("/reports/attendance.csv", data={"format": "long"}).get_data(as_text=True)
    )
    statuses = {int(r[4]): r[7] for r in long[1:] if r[0] == late.study_id}
    assert [statuses[w] for w in (1, 2, 3, 4)] == ["not_yet_enrolled"] * 3 + ["unmarked"]

    summary = csv_rows(
        coordinator.post("/reports/attendance.csv", data={"format": "summary"}).get_data(
            as_text=True
        )
    )
    rows = {r[0]: dict(zip(summary[0], r, strict=True)) for r in summary[1:]}
    assert (
        rows[late.study_id]["meetings_offered"],
        rows[late.study_id]["meetings_not_yet_enrolled"],
    ) == ("0", "3")
    assert (rows[people[0].study_id]["meetings_offered"], rows[people[0].study_id]["dose"]) == (
        "3",
        "3",
    )

    redcap = csv_rows(
        coordinator.post("/reports/attendance.csv", data={"format": "redcap"}).get_data(
            as_text=True
        )
    )
    record = next(dict(zip(redcap[0], r, strict=True)) for r in redcap[1:] if r[0] == late.study_id)
    assert [record[f"p4p_w{w}_status"] for w in (1, 2, 3, 4)] == ["6", "6", "6", "0"]
    dictionary = csv_rows(
        coordinator.post("/reports/attendance.csv", data={"format": "redcap-dictionary"}).get_data(
            as_text=True
        )
    )
    choices = next(r[5] for r in dictionary if r[0] == "p4p_w1_status")
    assert choices.startswith("0, Not marked | 1, Present | 2, Late")  # old codes stay
    assert "6, Not yet enrolled" in choices

    page = coordinator.get(f"/reports/cohorts/{cohort.id}").get_data(as_text=True)
    assert page.count("not yet enrolled") == 3


@pytest.fixture
def finished(factory, clock):
    site = factory.site("North")
    return factory.cohort(site=site, name="Done P4P", start=clock().date() - timedelta(days=80))


def test_enrolling_into_a_finished_cohort_asks_for_confirmation(db, factory, client, finished):
    login(client, factory.user("coordinator").email)
    refused = client.post("/admin/participants/new", data=enrolment_form(finished))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Done P4P has finished" in page and 'name="finished_ok"' in page
    assert db.scalar(select(Participant)) is None
    confirmed = client.post(
        "/admin/participants/new", data=enrolment_form(finished, finished_ok="y")
    )
    assert confirmed.status_code == 302
    assert db.scalar(select(Participant)).cohort_id == finished.id


def test_a_roster_row_into_a_finished_cohort_is_named_unless_allowed(db, factory, client, finished):
    login(client, factory.user("coordinator").email)
    other = factory.cohort(site=finished.site, name="Open P4P")
    data = roster_csv([roster_row(other, 1), roster_row(finished, 2)])
    refused = upload(client, data)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert '<th scope="row">3</th>' in page and "Done P4P has finished" in page
    assert db.scalar(select(Participant)) is None
    allowed = client.post(
        "/admin/roster",
        data={"file": (io.BytesIO(data), "roster.csv"), "finished_ok": "y"},
        content_type="multipart/form-data",
    )
    assert allowed.status_code == 302
    assert len(db.scalars(select(Participant)).all()) == 2
