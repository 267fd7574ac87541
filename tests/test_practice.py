"""Home practice, action plans and the weekly self-check: validated, own records only."""

from datetime import timedelta

import pytest
from conftest import login
from sqlalchemy import func, select

from p4p.modules.practice.models import ActionPlan, PracticeLog, SelfCheck


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


def test_self_check_says_who_sees_it_and_scores_the_mean(db, participant_client):
    page = participant_client.get("/check-in").get_data(as_text=True)
    assert "Your group leader sees your scores" in page and "not a study survey" in page
    participant_client.post("/check-in", data={"pain": "6", "enjoyment": "5", "activity": "4"})
    check = db.scalar(select(SelfCheck))
    assert (check.week, check.score) == (3, 5.0)
    response = participant_client.post(
        "/check-in", data={"pain": "11", "enjoyment": "", "activity": "x"}
    )
    assert response.status_code == 422
    db.expire_all()
    assert db.scalar(select(SelfCheck.pain)) == 6


def test_progress_page_draws_charts_with_their_numbers(db, clock, participant_client):
    participant_client.post("/practice", data=_valid(clock, minutes="25"))
    participant_client.post("/check-in", data={"pain": "6", "enjoyment": "6", "activity": "6"})
    page = participant_client.get("/progress").get_data(as_text=True)
    assert page.count("<svg") == 2
    assert "Practice minutes by week" in page
    assert "<td>25</td>" in page
    assert "<td>6.0</td>" in page
