"""The facilitator's dashboard, follow-up list, meeting record, make-ups and participant page."""

from datetime import timedelta

from attendance_helpers import past_meeting, setup_site, sheet_data
from sqlalchemy import select

from p4p.modules.attendance.models import Attendance
from p4p.modules.practice.models import PracticeLog
from p4p.modules.sites.models import Meeting


def _mark(client, meeting, choices):
    url = f"/staff/meetings/{meeting.id}/attendance"
    return client.post(url, data=sheet_data(client.get(url).get_data(as_text=True), choices))


def test_dashboard_lists_meetings_still_to_record(factory, client):
    _site, cohort, people, _f = setup_site(factory, client, people=2)
    page = client.get("/staff/").get_data(as_text=True)
    assert page.count("Take attendance") == 3  # weeks 1-3 are over, nothing recorded
    for week in (1, 2, 3):
        _mark(client, past_meeting(cohort, week), {p.id: "present" for p in people})
    page = client.get("/staff/").get_data(as_text=True)
    assert "not yet marked held" in page  # the sheet is full, the meeting record is not
    for week in (1, 2, 3):
        meeting = past_meeting(cohort, week)
        client.post(
            f"/staff/meetings/{meeting.id}/delivery",
            data={"status": "held", "actual_minutes": "90", "sections": ["key-ideas"]},
        )
    assert "All past meetings are recorded" in client.get("/staff/").get_data(as_text=True)


def test_follow_up_list_names_who_needs_a_call_and_why(factory, client, db, clock):
    _site, cohort, people, _f = setup_site(factory, client, people=4)
    missed, lazy, fine, withdrawn = people
    for week in (1, 2, 3):
        _mark(
            client,
            past_meeting(cohort, week),
            {missed.id: "absent", fine.id: "present", lazy.id: "present", withdrawn.id: "absent"},
        )
    for person in (missed, fine, withdrawn):
        db.add(
            PracticeLog(
                participant_id=person.id,
                practiced_on=clock().date(),
                practice_type="body-scan",
                minutes=10,
                guided=False,
                created_at=clock(),
                updated_at=clock(),
            )
        )
    withdrawn.withdrawn_at = clock()
    db.commit()
    page = client.get("/staff/").get_data(as_text=True)
    section = page[page.index("Who needs a call") : page.index('id="cohorts-title"')]
    assert missed.user.name in section and "Missed the last 2 meetings" in section
    assert lazy.user.name in section and "No practice logged for 14 days" in section
    assert fine.user.name not in section
    assert withdrawn.user.name not in section


def test_never_activated_accounts_are_on_the_follow_up_list(factory, client, db):
    _site, cohort, people, _f = setup_site(factory, client, people=1)
    people[0].user.activated_at = None
    db.commit()
    assert "Has not set a password yet" in client.get("/staff/").get_data(as_text=True)


def test_a_made_up_week_breaks_the_missed_streak(factory, client, db, clock):
    _site, cohort, people, _f = setup_site(factory, client, people=1)
    for week in (2, 3):
        _mark(client, past_meeting(cohort, week), {people[0].id: "absent"})
    week3 = past_meeting(cohort, 3)
    made_up_on = (week3.starts_at + timedelta(days=1)).date().isoformat()
    response = client.post(
        f"/staff/participants/{people[0].id}/makeup",
        data={"meeting_id": str(week3.id), "made_up_on": made_up_on, "how": "recording"},
    )
    assert response.status_code == 302
    db.expire_all()
    mark = db.scalar(select(Attendance).where(Attendance.meeting_id == week3.id))
    assert (mark.status, mark.made_up_how) == ("absent", "recording")
    assert "Missed the last 2 meetings" not in client.get("/staff/").get_data(as_text=True)
    detail = client.get(f"/staff/participants/{people[0].id}").get_data(as_text=True)
    assert "+ 1" in detail and "made up" in detail


def test_makeup_form_refuses_future_dates_and_dates_before_the_meeting(factory, client, db, clock):
    _site, cohort, people, _f = setup_site(factory, client, people=1)
    week2 = past_meeting(cohort, 2)
    url = f"/staff/participants/{people[0].id}/makeup"
    for day, message in (
        (clock().date() + timedelta(days=1), "cannot be in the future"),
        (week2.starts_at.date() - timedelta(days=1), "comes after the meeting"),
    ):
        response = client.post(
            url,
            data={"meeting_id": str(week2.id), "made_up_on": day.isoformat(), "how": "one_to_one"},
        )
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert db.scalar(select(Attendance)) is None


def test_an_attended_week_cannot_be_made_up(factory, client):
    _site, cohort, people, _f = setup_site(factory, client, people=1)
    week2 = past_meeting(cohort, 2)
    _mark(client, week2, {people[0].id: "present"})
    response = client.post(
        f"/staff/participants/{people[0].id}/makeup",
        data={
            "meeting_id": str(week2.id),
            "made_up_on": week2.starts_at.date().isoformat(),
            "how": "one_to_one",
        },
    )
    assert response.status_code == 422


def test_meeting_record_keeps_length_parts_covered_and_notes(factory, client, db):
    _site, cohort, _people, _f = setup_site(factory, client, people=1)
    meeting = past_meeting(cohort, 2)
    url = f"/staff/meetings/{meeting.id}/delivery"
    page = client.get(url).get_data(as_text=True)
    assert (
        "Try it together" in page and "Home practice" in page
    )  # the checklist is the week's sections
    missing = client.post(url, data={"status": "held"})
    assert missing.status_code == 422 and "Enter how long the meeting was" in missing.get_data(
        as_text=True
    )
    client.post(
        url,
        data={
            "status": "held",
            "actual_minutes": "85",
            "sections": ["what-we-do", "try-it"],
            "note": "Two new people",
        },
    )
    db.expire_all()
    saved = db.get(Meeting, meeting.id)
    assert (saved.status, saved.actual_minutes, saved.sections_covered, saved.delivery_notes) == (
        "held",
        85,
        ["what-we-do", "try-it"],
        "Two new people",
    )
    client.post(url, data={"status": "cancelled", "note": "Snow day"})
    db.expire_all()
    assert db.get(Meeting, meeting.id).status == "cancelled"


def test_participant_page_shows_contact_and_week_by_week_record(factory, client, db, clock):
    _site, cohort, people, _f = setup_site(factory, client, people=1)
    person = people[0]
    person.user.phone = "+1 555 0100"
    db.add(
        PracticeLog(
            participant_id=person.id,
            practiced_on=clock().date(),
            practice_type="body-scan",
            minutes=25,
            guided=True,
            created_at=clock(),
            updated_at=clock(),
        )
    )
    db.commit()
    _mark(client, past_meeting(cohort, 1), {person.id: "late"})
    page = client.get(f"/staff/participants/{person.id}").get_data(as_text=True)
    assert person.study_id in page and "tel:+1 555 0100" in page
    assert "Late" in page and "25 min, 1 day" in page
