"""Home practice, action plans and the weekly check-in (the PEG): validated, own records only."""

from datetime import UTC, datetime, timedelta

import pytest
from check_in_helpers import answer_check_in
from conftest import login
from sqlalchemy import func, select

from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.practice.models import ActionPlan, PracticeLog


def _valid(clock, **changes):
    data = {
        "practiced_on": clock().date().isoformat(),
        "practice_type": "belly-breathing",
        "minutes": "15",
        "guided": "guided",
        "pain_before": "6",
        "pain_after": "4",
        "note": "After lunch",
    }
    data.update(changes)
    return data


def _count(db, model=PracticeLog):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_logging_practice_saves_it_and_shows_it_in_the_list(db, clock, participant_client):
    response = participant_client.post("/practice", data=_valid(clock))
    assert response.status_code == 302
    entry = db.scalar(select(PracticeLog))
    assert (entry.minutes, entry.guided, entry.pain_before, entry.pain_after) == (15, True, 6, 4)
    page = participant_client.get("/practice").get_data(as_text=True)
    assert "15 minutes" in page and "After lunch" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"minutes": "0"}, "minutes", "from 1 to 240"),
        ({"minutes": "241"}, "minutes", "from 1 to 240"),
        ({"minutes": "ten"}, "minutes", ""),
        ({"minutes": ""}, "minutes", "from 1 to 240"),
        ({"pain_before": "11"}, "pain_before", "from 0 to 10"),
        ({"pain_after": "-1"}, "pain_after", "from 0 to 10"),
        (
            {"practice_type": "body-scan-of-the-other-arm"},
            "practice_type",
            "Choose one of the options shown.",
        ),
        ({"practiced_on": "2026-13-45"}, "practiced_on", ""),
        ({"guided": "maybe"}, "guided", ""),
        ({"note": "x" * 1001}, "note", "1000"),
    ],
)
def test_bad_practice_input_gets_a_field_message_and_saves_nothing(
    db, clock, participant_client, changes, field, message
):
    response = participant_client.post("/practice", data=_valid(clock, **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert message in page
    assert 'aria-invalid="true"' in page
    assert _count(db) == 0


def test_practice_cannot_be_dated_in_the_future_or_before_enrolment(
    db, clock, participant, participant_client
):
    tomorrow = (clock().date() + timedelta(days=1)).isoformat()
    page = participant_client.post("/practice", data=_valid(clock, practiced_on=tomorrow)).get_data(
        as_text=True
    )
    assert "cannot be in the future" in page
    before = (participant.enrolled_at.date() - timedelta(days=1)).isoformat()
    page = participant_client.post("/practice", data=_valid(clock, practiced_on=before)).get_data(
        as_text=True
    )
    assert "before you joined" in page
    assert _count(db) == 0


def test_types_come_from_the_weeks_opened_so_far(clock, participant_client):
    page = participant_client.get("/practice").get_data(as_text=True)
    assert 'value="body-scan"' in page  # week 2
    assert 'value="muscle-relaxation"' not in page  # week 4 is not open yet
    response = participant_client.post(
        "/practice", data=_valid(clock, practice_type="muscle-relaxation")
    )
    assert response.status_code == 422


def test_participant_edits_and_deletes_their_own_entries(db, clock, participant_client):
    participant_client.post("/practice", data=_valid(clock))
    entry_id = db.scalar(select(PracticeLog.id))
    response = participant_client.post(
        f"/practice/{entry_id}/edit", data=_valid(clock, minutes="30")
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.get(PracticeLog, entry_id).minutes == 30
    assert participant_client.post(f"/practice/{entry_id}/delete").status_code == 302
    assert _count(db) == 0


def test_another_participants_entry_is_not_found(app, db, clock, factory, client, participant):
    login(client, participant.user.email)
    client.post("/practice", data=_valid(clock))
    entry_id = db.scalar(select(PracticeLog.id))
    client.post("/logout")
    other = factory.participant(participant.cohort)
    login(client, other.user.email)
    assert client.get(f"/practice/{entry_id}/edit").status_code == 404
    assert (
        client.post(f"/practice/{entry_id}/edit", data=_valid(clock, minutes="1")).status_code
        == 404
    )
    assert client.post(f"/practice/{entry_id}/delete").status_code == 404
    assert _count(db) == 1


def test_action_plan_saves_and_suggests_a_smaller_plan_under_seven(db, participant_client):
    plan = {
        "what": "Belly breathing",
        "how_much": "5 minutes",
        "when": "before bed",
        "how_often": "5 days",
        "confidence": "5",
    }
    response = participant_client.post("/weeks/3/plan", data=plan, follow_redirects=True)
    assert "try making it a bit smaller" in response.get_data(as_text=True)
    assert "Under 7?" in response.get_data(as_text=True)
    participant_client.post("/weeks/3/plan", data={**plan, "confidence": "8"})
    db.expire_all()
    saved = db.scalars(select(ActionPlan)).all()
    assert [(p.week, p.confidence) for p in saved] == [(3, 8)]


def test_action_plan_with_missing_fields_names_each_and_saves_nothing(db, participant_client):
    response = participant_client.post("/weeks/3/plan", data={"what": "", "confidence": "12"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("what", "how_much", "when", "how_often", "confidence"):
        assert f'id="{field}-error"' in page
    assert _count(db, ActionPlan) == 0


def test_last_weeks_plan_is_marked_done_or_not_at_the_next_week(db, participant_client):
    plan = {
        "what": "Walk",
        "how_much": "10 minutes",
        "when": "morning",
        "how_often": "4 days",
        "confidence": "8",
    }
    participant_client.post("/weeks/2/plan", data=plan)
    page = participant_client.get("/weeks/3").get_data(as_text=True)
    assert "Last week&#39;s plan" in page or "Last week's plan" in page
    participant_client.post("/weeks/3/plan/outcome", data={"outcome": "partly"})
    db.expire_all()
    assert db.scalar(select(ActionPlan.outcome).where(ActionPlan.week == 2)) == "partly"
    assert (
        participant_client.post("/weeks/2/plan/outcome", data={"outcome": "done"}).status_code
        == 404
    )


def test_the_weekly_check_in_is_the_weeks_peg_on_progress_and_the_facilitator_page(
    factory, client, db, clock
):
    """Week 3's PEG, sent in the evening of 10 March in Chicago (already the 11th in UTC): the
    progress chart and list, and the site's facilitator, show it; another site's gets 404."""
    cohort = factory.cohort()
    me = factory.participant(cohort)
    facilitator = factory.facilitator(cohort.site)
    elsewhere = factory.facilitator(factory.site())
    clock.at = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)  # 22:00 on the 10th, in Chicago
    login(client, me.user.email)
    assert client.get("/check-in").headers["Location"].endswith("/questionnaires/peg/week-3")
    answer_check_in(client, 3, 6, 5, 4)
    db.expire_all()
    response = db.scalar(select(InstrumentResponse))
    assert (response.occasion, response.scores) == ("week-3", {"peg_score": 5.0})
    progress = client.get("/progress").get_data(as_text=True)
    assert progress.count("<svg") == 2 and "<td>5.0</td>" in progress
    assert "Your pain in the past week · Week 3</strong>:\n        ✓ Sent Mar 10, 2026" in progress
    client.post("/logout")
    login(client, facilitator.email)
    page = client.get(f"/staff/participants/{me.id}").get_data(as_text=True)
    assert "<td>5.0</td>" in page
    assert page.count("<td>not answered</td>") == 2  # weeks 1 and 2 closed unanswered
    client.post("/logout")
    login(client, elsewhere.email)
    assert client.get(f"/staff/participants/{me.id}").status_code == 404


def test_a_missed_week_shows_as_missed_and_the_open_one_links_to_it(participant_client):
    page = participant_client.get("/progress").get_data(as_text=True)
    history = page[page.index("My questionnaires") :]
    assert history.count("Missed") == 2  # weeks 1 and 2: their 7 days are over, not sent
    assert "Week 2</strong>:\n        Missed" in history
    assert 'href="/questionnaires/peg/week-3"' in history and "Open until Mar 15, 2026" in history
    assert "month" not in history  # the 2-month follow-up has not opened yet
    assert "Do my check-in" in page  # no check-in sent: the chart's place asks for one


def test_check_in_goes_to_this_weeks_peg_or_to_the_questionnaires(factory, client, clock):
    not_started = factory.participant(factory.cohort(start=clock().date() + timedelta(days=6)))
    login(client, not_started.user.email)
    assert client.get("/check-in").headers["Location"].endswith("/questionnaires")
    finished = factory.participant(factory.cohort(start=clock().date() - timedelta(days=70)))
    client.post("/logout")
    login(client, finished.user.email)  # week 9 opened 14 days ago: its check-in is closed
    assert client.get("/check-in").headers["Location"].endswith("/questionnaires")
    assert client.post("/check-in", data={"pain": "5"}).status_code == 405  # nothing is saved


def test_progress_page_draws_charts_with_their_numbers(db, clock, participant_client):
    participant_client.post("/practice", data=_valid(clock, minutes="25"))
    answer_check_in(participant_client, 3, 6, 6, 6)
    page = participant_client.get("/progress").get_data(as_text=True)
    assert page.count("<svg") == 2
    assert "Practice minutes by week" in page
    assert "<td>25</td>" in page
    assert "<td>6.0</td>" in page


def test_someone_who_left_is_not_shown_an_open_check_in(participant, participant_client, db):
    """Left on the 8th: weeks 1 and 2 stay missed, week 3 (opened the 9th) is not asked."""
    participant.withdrawn_at = datetime(2026, 3, 8, 18, 0, tzinfo=UTC)
    db.commit()
    page = participant_client.get("/progress").get_data(as_text=True)
    history = page[page.index("My questionnaires") :]
    assert history.count("Missed") == 2 and "Week 3" not in history
    assert "/questionnaires/peg/week-3" not in history
    assert participant_client.get("/check-in").headers["Location"].endswith("/questionnaires")
