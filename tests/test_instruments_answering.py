"""Answering the study's questionnaires in the app: what is due from the schedule, one
question a screen with field messages, resume, review, submit with scores, and who may see what.

The factory's cohort meets on Mondays from 2026-02-23 (week 3 opened on 2026-03-09; the
clock is Tuesday 2026-03-10); its participants start on that first meeting.
"""

from datetime import UTC, datetime

import pytest
import yaml
from conftest import login
from sqlalchemy import select

from p4p.modules.instruments.answer_models import InstrumentAnswer, InstrumentResponse
from p4p.modules.instruments.definitions import parse_instrument

# Every item type, for the partners4pain arm only, weekly.
EXAMPLE = """
key: example
title: {en: An example, es: Un ejemplo}
items:
  - name: mood
    type: choice
    required: true
    text: {en: "How is your mood?", es: "¿Cómo está su ánimo?"}
    choices:
      - {code: 1, label: {en: Low, es: Bajo}}
      - {code: 2, label: {en: Fair, es: Regular}}
      - {code: 3, label: {en: Good, es: Bueno}}
  - name: walked
    type: yes_no
    required: true
    text: {en: "Did you walk today?", es: "¿Caminó hoy?"}
  - name: steps
    type: number
    min: 0
    max: 50
    required: true
    text: {en: "How many blocks did you walk?", es: "¿Cuántas cuadras caminó?"}
  - name: note
    type: short_text
    max_length: 10
    text: {en: "Anything else?", es: "¿Algo más?"}
schedule:
  partners4pain:
    weekly: {window_days: 3}
"""


@pytest.fixture
def example(app, monkeypatch):
    program = app.extensions["p4p.program"]
    arms = {key: len(arm.weeks) for key, arm in program.arms.items()}
    instrument, problems = parse_instrument(
        yaml.safe_load(EXAMPLE), "example.yaml", program.languages, arms
    )
    assert problems == []
    monkeypatch.setitem(program.instruments, "example", instrument)
    return instrument


def _response(db, participant, key="peg", occasion="week-3"):
    db.expire_all()
    return db.scalar(
        select(InstrumentResponse).where(
            InstrumentResponse.participant_id == participant.id,
            InstrumentResponse.instrument == key,
            InstrumentResponse.occasion == occasion,
        )
    )


def _answers(db, participant, key="peg", occasion="week-3") -> dict:
    response = _response(db, participant, key, occasion)
    if response is None:
        return {}
    return {a.item: (a.number, a.text) for a in response.answers}


def _move_to(client, clock, participant, moment) -> None:
    """Move the clock and log in again: a jump of days ends the session."""
    clock.at = moment
    assert login(client, participant.user.email).status_code == 302


def _due_links(client) -> list[str]:
    answer = client.get("/questionnaires")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    return [occasion for occasion in ("week-3", "week-4", "month-2") if f"/peg/{occasion}" in page]


def test_the_peg_is_due_in_the_week_window_and_at_month_2_and_not_after_a_window(
    participant_client, participant, clock
):
    assert _due_links(participant_client) == ["week-3"]  # week 3 opened yesterday, 7 days
    _move_to(
        participant_client, clock, participant, datetime(2026, 3, 15, 15, tzinfo=UTC)
    )  # its 7th and last day
    assert _due_links(participant_client) == ["week-3"]
    _move_to(participant_client, clock, participant, datetime(2026, 3, 16, 15, tzinfo=UTC))
    assert _due_links(participant_client) == ["week-4"]  # week 3's closed as week 4's opened
    _move_to(
        participant_client, clock, participant, datetime(2026, 4, 23, 15, tzinfo=UTC)
    )  # two months from the start, 23 Feb
    assert _due_links(participant_client) == ["month-2"]
    _move_to(
        participant_client, clock, participant, datetime(2026, 5, 6, 15, tzinfo=UTC)
    )  # its 14th and last day
    assert _due_links(participant_client) == ["month-2"]
    _move_to(participant_client, clock, participant, datetime(2026, 5, 7, 15, tzinfo=UTC))
    page = participant_client.get("/questionnaires").get_data(as_text=True)
    assert _due_links(participant_client) == [] and "Nothing to answer right now." in page
    assert participant_client.get("/questionnaires/peg/month-2/1").status_code == 404


def test_an_instrument_of_the_other_arm_is_not_due(app, factory, client, example):
    other = factory.participant(factory.cohort(arm="keys_to_wellbeing"))
    login(client, other.user.email)
    assert "/example/" not in client.get("/questionnaires").get_data(as_text=True)
    assert client.get("/questionnaires/example/week-3/1").status_code == 404


@pytest.mark.parametrize(
    ("number", "bad", "message", "good", "stored"),
    [
        (1, "7", "Please choose one of the answers shown.", "2", (2, None)),
        (1, "", "Please choose an answer.", "3", (3, None)),
        (2, "maybe", "Please choose one of the answers shown.", "0", (0, None)),
        (3, "51", "Enter a number from 0 to 50.", "12", (12, None)),
        (3, "2.5", "Enter a whole number, like 20.", "7", (7, None)),
        (3, "", "Please write an answer.", "0", (0, None)),
        (4, "far too long", "Please keep it to 10 characters or fewer.", " fine ", (None, "fine")),
    ],
)
def test_each_type_refuses_bad_input_at_the_field_and_saves_nothing(
    participant_client, participant, db, example, number, bad, message, good, stored
):
    url = f"/questionnaires/example/week-3/{number}"
    refused = participant_client.post(url, data={"answer": bad})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page
    if number == 3:
        assert "A number from 0 to 50." in page and "answer-hint answer-error" in page
    assert _response(db, participant, "example") is None
    saved = participant_client.post(url, data={"answer": good})
    assert saved.status_code == 302
    name = example.items[number - 1].name
    assert _answers(db, participant, "example") == {name: stored}


def test_the_peg_scale_refuses_11_and_keeps_the_earlier_answer(participant_client, participant, db):
    participant_client.post("/questionnaires/peg/week-3/1", data={"answer": "4"})
    assert (
        participant_client.post("/questionnaires/peg/week-3/1", data={"answer": "11"}).status_code
        == 422
    )
    assert _answers(db, participant) == {"peg_pain": (4, None)}


def test_a_screen_saves_and_goes_to_the_next_with_progress_and_back_link(participant_client):
    first = participant_client.get("/questionnaires/peg/week-3/1").get_data(as_text=True)
    assert "Question 1 of 3" in first and 'type="radio"' in first
    assert "Pick the number from 0 to 10" in first  # the intro, on the first screen
    assert "0 – No pain" in first and "Your group leader and the study team" in first
    saved = participant_client.post("/questionnaires/peg/week-3/1", data={"answer": "6"})
    assert saved.headers["Location"].endswith("/questionnaires/peg/week-3/2")
    second = participant_client.get("/questionnaires/peg/week-3/2").get_data(as_text=True)
    assert "Question 2 of 3" in second and 'href="/questionnaires/peg/week-3/1"' in second
    again = participant_client.get("/questionnaires/peg/week-3/1").get_data(as_text=True)
    assert 'value="6" checked' in again


def test_coming_back_carries_on_at_the_first_unanswered_question(participant_client):
    start = participant_client.get("/questionnaires/peg/week-3")
    assert start.headers["Location"].endswith("/peg/week-3/1")
    participant_client.post("/questionnaires/peg/week-3/1", data={"answer": "6"})
    participant_client.post("/questionnaires/peg/week-3/2", data={"answer": "5"})
    assert "Carry on" in participant_client.get("/questionnaires").get_data(as_text=True)
    back = participant_client.get("/questionnaires/peg/week-3")
    assert back.headers["Location"].endswith("/peg/week-3/3")
    participant_client.post("/questionnaires/peg/week-3/3", data={"answer": "4"})
    assert (
        participant_client.get("/questionnaires/peg/week-3")
        .headers["Location"]
        .endswith("/peg/week-3/review")
    )


def test_review_lists_answers_with_change_links_and_submit_stores_the_peg_mean(
    participant_client, participant, db, clock
):
    for number, answer in ((1, "6"), (2, "5"), (3, "4")):
        participant_client.post(f"/questionnaires/peg/week-3/{number}", data={"answer": answer})
    review = participant_client.get("/questionnaires/peg/week-3/review").get_data(as_text=True)
    assert "Check your answers" in review and "how bad was your pain" in review
    assert 'href="/questionnaires/peg/week-3/2?then=review"' in review
    changed = participant_client.post(
        "/questionnaires/peg/week-3/2", data={"answer": "8", "then": "review"}
    )
    assert changed.headers["Location"].endswith("/peg/week-3/review")
    sent = participant_client.post("/questionnaires/peg/week-3/review")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/questionnaires")
    response = _response(db, participant)
    assert response.submitted_at == clock()
    assert response.scores == {"peg_score": pytest.approx(6.0)}  # (6 + 8 + 4) / 3
    page = participant_client.get("/questionnaires").get_data(as_text=True)
    assert f"/questionnaires/answers/{response.id}" in page and '/peg/week-3"' not in page


def test_submit_with_a_required_answer_missing_is_refused_naming_it(
    participant_client, participant, db
):
    participant_client.post("/questionnaires/peg/week-3/1", data={"answer": "6"})
    participant_client.post("/questionnaires/peg/week-3/3", data={"answer": "4"})
    refused = participant_client.post("/questionnaires/peg/week-3/review")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Please answer these before you send:" in page
    assert "<li>In the past week, how much did pain get in the way of enjoying life?</li>" in page
    response = _response(db, participant)
    assert response.submitted_at is None and response.scores is None


def test_an_optional_item_can_be_left_empty_and_sent(participant_client, participant, db, example):
    for number, answer in ((1, "3"), (2, "1"), (3, "10"), (4, "")):
        assert (
            participant_client.post(
                f"/questionnaires/example/week-3/{number}", data={"answer": answer}
            ).status_code
            == 302
        )
    assert participant_client.post("/questionnaires/example/week-3/review").status_code == 302
    assert _response(db, participant, "example").submitted_at is not None


def test_a_submitted_response_cannot_be_changed(participant_client, participant, db):
    for number in (1, 2, 3):
        participant_client.post(f"/questionnaires/peg/week-3/{number}", data={"answer": "2"})
    participant_client.post("/questionnaires/peg/week-3/review")
    response = _response(db, participant)
    again = participant_client.post("/questionnaires/peg/week-3/1", data={"answer": "9"})
    assert again.headers["Location"].endswith(f"/questionnaires/answers/{response.id}")
    participant_client.post("/questionnaires/peg/week-3/review")
    assert _answers(db, participant) == {
        n: (2, None) for n in ("peg_pain", "peg_enjoyment", "peg_activity")
    }
    assert _response(db, participant).submitted_at == response.submitted_at
    shown = participant_client.get(f"/questionnaires/answers/{response.id}").get_data(as_text=True)
    assert "Sent on" in shown and "Change" not in shown


def test_another_participants_response_is_not_found(app, factory, participant, client, db):
    login(client, participant.user.email)
    for number in (1, 2, 3):
        client.post(f"/questionnaires/peg/week-3/{number}", data={"answer": "7"})
    client.post("/questionnaires/peg/week-3/review")
    mine = _response(db, participant)
    other = factory.participant(participant.cohort)
    client.post("/logout")
    login(client, other.user.email)
    assert client.get(f"/questionnaires/answers/{mine.id}").status_code == 404
    # the same questionnaire is the other person's own, empty one
    assert 'value="7" checked' not in client.get("/questionnaires/peg/week-3/1").get_data(
        as_text=True
    )


@pytest.mark.parametrize("role", ["facilitator", "coordinator", "admin"])
def test_staff_cannot_use_the_participant_pages(factory, client, role):
    user = factory.user(role)
    login(client, user.email)
    for path in ("/questionnaires", "/questionnaires/peg/week-3", "/questionnaires/peg/week-3/1"):
        assert client.get(path).status_code == 403
    assert client.post("/questionnaires/peg/week-3/1", data={"answer": "1"}).status_code == 403


def test_a_spanish_participant_sees_spanish_items_and_screens(factory, client, db):
    spanish = factory.participant(language="es")
    login(client, spanish.user.email)
    listing = client.get("/questionnaires").get_data(as_text=True)
    assert "Cuestionarios" in listing and "Su dolor en la última semana" in listing
    page = client.get("/questionnaires/peg/week-3/1").get_data(as_text=True)
    assert "¿qué tan fuerte fue su dolor en promedio?" in page
    assert "Pregunta 1 de 3" in page and "0 – Nada de dolor" in page
    refused = client.post("/questionnaires/peg/week-3/1", data={"answer": ""})
    assert "Por favor, elija una respuesta." in refused.get_data(as_text=True)
    for number in (1, 2):
        client.post(f"/questionnaires/peg/week-3/{number}", data={"answer": "3"})
    missing = client.post("/questionnaires/peg/week-3/review").get_data(as_text=True)
    assert "¿cuánto le impidió el dolor hacer sus actividades de todos los días?" in missing


def test_the_home_page_links_to_a_due_questionnaire(participant_client, participant, clock):
    assert "/questionnaires" in participant_client.get("/home").get_data(as_text=True)
    _move_to(
        participant_client, clock, participant, datetime(2026, 3, 12, 15, tzinfo=UTC)
    )  # nothing open
    assert 'href="/questionnaires"' not in participant_client.get("/home").get_data(as_text=True)


def _add_people_with_answers(factory, cohort, how_many: int, clock) -> None:
    db = factory.db
    for _ in range(how_many):
        other = factory.participant(cohort)
        response = InstrumentResponse(
            participant=other, instrument="peg", occasion="week-3", started_at=clock()
        )
        response.answers = [
            InstrumentAnswer(item="peg_pain", number=3, answered_at=clock()),
            InstrumentAnswer(item="peg_enjoyment", number=4, answered_at=clock()),
        ]
        db.add(response)
    db.commit()


def test_the_list_and_a_question_run_the_same_queries_at_two_sizes(
    factory, client, db, count_queries, clock
):
    cohort = factory.cohort()
    me = factory.participant(cohort)
    _add_people_with_answers(factory, cohort, 3, clock)
    login(client, me.user.email)
    client.post("/questionnaires/peg/week-3/1", data={"answer": "5"})
    paths = ["/questionnaires", "/questionnaires/peg/week-3/2", "/questionnaires/peg/week-3/review"]

    def measure() -> dict[str, int]:
        counts = {}
        for path in paths:
            with count_queries() as counter:
                assert client.get(path).status_code == 200
            counts[path] = counter.count
        return counts

    small = measure()
    _add_people_with_answers(factory, cohort, 40, clock)
    for week in (1, 2):  # and my own history grows: questionnaires sent earlier
        db.add(
            InstrumentResponse(
                participant_id=me.id,
                instrument="peg",
                occasion=f"week-{week}",
                started_at=clock(),
                submitted_at=clock(),
                scores={"peg_score": 5.0},
                answers=[InstrumentAnswer(item="peg_pain", number=5, answered_at=clock())],
            )
        )
    db.commit()
    large = measure()
    assert small == large
    assert small["/questionnaires"] <= 7


def test_someone_who_left_the_program_is_asked_nothing_more(
    participant_client, participant, db, clock
):
    participant.withdrawn_at = clock()
    db.commit()
    assert _due_links(participant_client) == []
    assert participant_client.get("/questionnaires/peg/week-3/1").status_code == 404
    assert 'href="/questionnaires"' not in participant_client.get("/home").get_data(as_text=True)


def test_a_first_answer_sent_twice_at_once_lands_on_one_response(app, participant, db, clock):
    """Both requests found no response; the second's insert meets the first's row."""
    from p4p.modules.instruments import service
    from p4p.modules.participants.program_start import program_start
    from p4p.modules.participants.service import participant_context

    program = app.extensions["p4p.program"]
    with app.test_request_context():
        context = participant_context(db, participant.user_id, program, clock())
        start = program_start(db, participant)
        (stale, *_), _sent = service.due_questionnaires(
            db, participant, program, context.states, start, context.today
        )
        assert stale.response is None
        other = app.extensions["p4p.sessionmaker"]()
        service.save_answer(
            other,
            other.get(type(participant), participant.id),
            stale,
            stale.instrument.items[0],
            "3",
            clock(),
        )
        other.commit()
        other.close()
        service.save_answer(db, participant, stale, stale.instrument.items[0], "4", clock())
        db.commit()
    assert _answers(db, participant) == {"peg_pain": (4, None)}
