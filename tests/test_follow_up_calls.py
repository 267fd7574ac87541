"""The follow-up list's calls and dismissals (issue "Nobody left out", facilitator part)."""

from datetime import timedelta

import pytest
from attendance_helpers import past_meeting, setup_site, sheet_data
from conftest import login
from sqlalchemy import func, select

from p4p.local_time import local_datetime
from p4p.modules.attendance.models import FollowUpCall, FollowUpDismissal
from p4p.modules.audit.models import AuditEvent
from p4p.modules.audit.queries import WHAT_HAPPENED
from p4p.modules.practice.models import PracticeLog


def _mark(client, meeting, choices):
    url = f"/staff/meetings/{meeting.id}/attendance"
    response = client.post(url, data=sheet_data(client.get(url).get_data(as_text=True), choices))
    assert response.status_code == 302


def _log_practice(db, person, clock):
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
    db.commit()


def _follow_up_section(client) -> str:
    page = client.get("/staff/").get_data(as_text=True)
    return page[page.index('id="follow-title"') : page.index('id="cohorts-title"')]


def _local_now(person, clock):
    return local_datetime(clock(), person.cohort.site.timezone)


def _call_data(person, clock, **changes):
    local = _local_now(person, clock)
    data = {
        "called_on": local.date().isoformat(),
        "called_time": local.strftime("%H:%M"),
        "outcome": "left_message",
        "note": "Will try again Friday",
    }
    data.update(changes)
    return data


@pytest.fixture
def missing_person(factory, client, db, clock):
    """A person who missed weeks 2 and 3 (and practises, so "missed" is the only reason)."""
    _site, cohort, people, facilitator = setup_site(factory, client, people=2)
    person, other = people
    for week in (1, 2, 3):
        _mark(
            client,
            past_meeting(cohort, week),
            {person.id: "present" if week == 1 else "absent", other.id: "present"},
        )
    for someone in people:
        _log_practice(db, someone, clock)
    return person, cohort, facilitator


def test_recording_a_call_shows_it_on_the_list_and_the_persons_page(
    client, db, clock, missing_person
):
    person, _cohort, _f = missing_person
    form = client.get(f"/staff/participants/{person.id}/call").get_data(as_text=True)
    local = _local_now(person, clock)
    assert f'value="{local.date().isoformat()}"' in form  # defaults to now, site's local time
    assert f'value="{local.strftime("%H:%M")}"' in form
    response = client.post(f"/staff/participants/{person.id}/call", data=_call_data(person, clock))
    assert response.status_code == 302
    call = db.scalar(select(FollowUpCall))
    assert call.participant_id == person.id and call.outcome == "left_message"
    assert abs(call.called_at - clock()) < timedelta(minutes=1)  # stored in UTC
    section = _follow_up_section(client)
    assert "Last call:" in section and "Left a message" in section
    assert "Will try again Friday" in section
    history = client.get(f"/staff/participants/{person.id}").get_data(as_text=True)
    assert "Left a message" in history and "Will try again Friday" in history
    assert "own tracking" not in history and "facilitators of this site see" in history
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "follow-up-call"))
    assert event.entity == "participant" and event.entity_id == str(person.id)
    assert event.new["outcome"] == "left_message"


def test_the_list_shows_language_in_words_and_a_tel_link(client, db, missing_person):
    person, _cohort, _f = missing_person
    person.user.language, person.user.phone = "es", "+13125550142"
    db.commit()
    section = _follow_up_section(client)
    assert "Language: Spanish" in section
    assert 'href="tel:+13125550142"' in section and "(312) 555-0142" in section


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"outcome": ""}, "outcome", "Choose how the call went."),
        ({"outcome": "hung_up"}, "outcome", "Not a valid choice"),
        ({"called_on": ""}, "called_on", "Enter the day of the call."),
        ({"called_on": "2026-02-30"}, "called_on", ""),
        ({"called_time": "25:61"}, "called_time", ""),
        ({"note": "x" * 301}, "note", "Keep this to 300 characters."),
        ({"note": "a\u202eb"}, "note", ""),
    ],
)
def test_bad_call_input_gets_a_field_message_and_saves_nothing(
    client, db, clock, missing_person, changes, field, message
):
    person, _cohort, _f = missing_person
    response = client.post(
        f"/staff/participants/{person.id}/call", data=_call_data(person, clock, **changes)
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page or f'aria-describedby="{field}-error' in page, page
    if message and message != "Not a valid choice":
        assert message in page
    assert db.scalar(select(func.count(FollowUpCall.id))) == 0
    assert db.scalar(select(func.count()).where(AuditEvent.action == "follow-up-call")) == 0


def test_a_call_later_today_or_tomorrow_is_refused(client, db, clock, missing_person):
    person, _cohort, _f = missing_person
    later = _local_now(person, clock) + timedelta(hours=2)
    tomorrow = _local_now(person, clock) + timedelta(days=1)
    for when in (later, tomorrow):
        response = client.post(
            f"/staff/participants/{person.id}/call",
            data=_call_data(
                person, clock, called_on=when.date().isoformat(), called_time=when.strftime("%H:%M")
            ),
        )
        assert response.status_code == 422
        assert "in the future" in response.get_data(as_text=True)
    assert db.scalar(select(func.count(FollowUpCall.id))) == 0


def test_dismissed_person_returns_only_on_a_further_missed_meeting(
    client, db, clock, missing_person
):
    person, cohort, facilitator = missing_person
    assert person.user.name in _follow_up_section(client)
    assert client.post(f"/staff/participants/{person.id}/follow-up/dismiss").status_code == 302
    assert person.user.name not in _follow_up_section(client)
    dismissal = db.scalar(select(FollowUpDismissal))
    assert dismissal.reasons == "missed"
    # Correcting an old mark of the same streak is nothing new.
    _mark(client, past_meeting(cohort, 3), {person.id: "excused"})
    assert person.user.name not in _follow_up_section(client)
    clock.advance(days=7)  # week 4 is over
    login(client, facilitator.email)  # the session timed out meanwhile
    _log_practice(db, person, clock)
    assert person.user.name not in _follow_up_section(client)  # still the same two misses
    _mark(client, past_meeting(cohort, 4), {person.id: "absent"})
    assert person.user.name in _follow_up_section(client)  # a further miss: back on the list


def test_dismissed_person_returns_on_a_reason_they_did_not_have(
    factory, client, db, clock, missing_person
):
    person, cohort, facilitator = missing_person
    client.post(f"/staff/participants/{person.id}/follow-up/dismiss")
    assert person.user.name not in _follow_up_section(client)
    clock.advance(days=15)  # two weeks without practice: a reason not there at the dismissal
    login(client, facilitator.email)
    assert person.user.name in _follow_up_section(client)


def test_dismissed_for_no_practice_returns_after_a_new_quiet_spell(factory, client, db, clock):
    _site, cohort, people, facilitator = setup_site(factory, client, people=1)
    (person,) = people
    assert "No practice logged for 14 days" in _follow_up_section(client)
    client.post(f"/staff/participants/{person.id}/follow-up/dismiss")
    clock.advance(days=3)
    login(client, facilitator.email)
    assert person.user.name not in _follow_up_section(client)  # the same quiet spell
    _log_practice(db, person, clock)
    clock.advance(days=15)
    login(client, facilitator.email)
    assert person.user.name in _follow_up_section(client)  # quiet again since practising


def test_dismissal_is_audited_and_a_person_not_on_the_list_is_not_dismissed(
    factory, client, db, clock, missing_person
):
    person, cohort, _f = missing_person
    client.post(f"/staff/participants/{person.id}/follow-up/dismiss")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "follow-up-dismiss"))
    assert event.entity_id == str(person.id) and event.new == {"reasons": "missed"}
    fine = factory.participant(cohort)
    _log_practice(db, fine, clock)
    assert fine.user.name not in _follow_up_section(client)
    response = client.post(f"/staff/participants/{fine.id}/follow-up/dismiss")
    assert response.status_code == 302
    assert db.scalar(select(func.count(FollowUpDismissal.id))) == 1


def test_the_audit_trail_has_words_for_calls_and_dismissals():
    assert ("follow-up-call", "participant") in WHAT_HAPPENED
    assert ("follow-up-dismiss", "participant") in WHAT_HAPPENED


def test_another_sites_person_is_a_404_and_nothing_is_saved(factory, client, db, clock):
    other_site = factory.site()
    stranger = factory.participant(factory.cohort(site=other_site))
    _site, _cohort, _people, _f = setup_site(factory, client, people=1)
    base = f"/staff/participants/{stranger.id}"
    assert client.get(f"{base}/call").status_code == 404
    assert client.post(f"{base}/call", data=_call_data(stranger, clock)).status_code == 404
    assert client.post(f"{base}/follow-up/dismiss").status_code == 404
    assert db.scalar(select(func.count(FollowUpCall.id))) == 0
    assert db.scalar(select(func.count(FollowUpDismissal.id))) == 0


def test_a_coordinator_may_record_a_call_for_any_site(factory, client, db, clock):
    stranger = factory.participant(factory.cohort())
    login(client, factory.user("coordinator").email)
    response = client.post(
        f"/staff/participants/{stranger.id}/call", data=_call_data(stranger, clock)
    )
    assert response.status_code == 302
    assert db.scalar(select(func.count(FollowUpCall.id))) == 1


def test_a_participant_cannot_record_a_call(factory, client, db, clock):
    person = factory.participant()
    login(client, person.user.email)
    response = client.post(f"/staff/participants/{person.id}/call", data=_call_data(person, clock))
    assert response.status_code in (403, 404)
    assert db.scalar(select(func.count(FollowUpCall.id))) == 0


def test_spanish_facilitator_sees_titles_and_the_list_in_spanish(
    app, client, db, clock, missing_person
):
    person, cohort, facilitator = missing_person
    facilitator.language = "es"
    db.commit()
    client.post(f"/staff/participants/{person.id}/call", data=_call_data(person, clock))
    week3 = past_meeting(cohort, 3)
    arm = app.extensions["p4p.program"].arm(cohort.arm)
    spanish, english = arm.week(3, "es").title, arm.week(3, "en").title
    assert spanish != english
    sheet = client.get(f"/staff/meetings/{week3.id}/attendance").get_data(as_text=True)
    assert spanish in sheet and english not in sheet
    delivery = client.get(f"/staff/meetings/{week3.id}/delivery").get_data(as_text=True)
    assert spanish in delivery and english not in delivery
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert spanish in dashboard and english not in dashboard
    assert "Idioma: inglés" in dashboard and "Dejé un mensaje" in dashboard
    assert "Listo por ahora" in dashboard
    form = client.get(f"/staff/participants/{person.id}/call").get_data(as_text=True)
    assert "Hora de la llamada" in form and "No contestó" in form
    refused = client.post(
        f"/staff/participants/{person.id}/call", data=_call_data(person, clock, outcome="")
    )
    assert refused.status_code == 422 and "Elija cómo fue la llamada." in refused.get_data(
        as_text=True
    )
    page = client.get(f"/staff/participants/{person.id}").get_data(as_text=True)
    assert "Llamadas" in page and "Los facilitadores de este sitio ven" in page


def test_missed_sessions_call_for_follow_up_until_a_week_after_the_last_meeting(
    client, db, clock, missing_person
):
    """Once the program is over there is no next session to come back to: the list stops
    naming people for misses (as for quiet practice) a week after the cohort's last meeting."""
    from p4p.modules.attendance.queries import follow_up_reasons
    from p4p.modules.sites.models import Cohort

    person, cohort, facilitator = missing_person
    last = max(meeting.starts_at for meeting in cohort.meetings)
    scope = [Cohort.id == cohort.id]
    assert "missed" in follow_up_reasons(db, clock(), scope)[person.id].reasons
    clock.advance(seconds=(last + timedelta(days=6) - clock()).total_seconds())
    assert "missed" in follow_up_reasons(db, clock(), scope)[person.id].reasons
    login(client, facilitator.email)  # weeks later: the old session has expired
    assert person.user.name in _follow_up_section(client)
    clock.advance(days=3)
    assert person.id not in follow_up_reasons(db, clock(), scope)
    login(client, facilitator.email)
    assert person.user.name not in _follow_up_section(client)
