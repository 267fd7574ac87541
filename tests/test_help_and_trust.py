"""Help and trust (issue 15): a help page that says what the app is, who sees what and how to
reach the study team; the check-in (the PEG) says who sees it; a practice entry is deleted only after a
confirmation; a week page points on to the next week."""

from datetime import date, time, timedelta

import pytest
from conftest import login
from sqlalchemy import func, select

from p4p.modules.practice.models import PracticeLog

TEXTS = {
    "en": {
        "about": "What this app is",
        "part_of": "This app is part of %s",
        "who": "Your group leader sees which meetings you came to",
        "team": "The study team sees the same things",
        "nobody": "Nobody else sees them.",
        "ask_leader": "Ask your group leader at your next meeting.",
        "stop": "reply STOP",
        "crisis": "call or text 988",
        "check_in": "Your group leader and the study team can see your answers.",
        "home_check_in": "Your group leader and the study team see your answers.",
        "confirm": "Delete this practice entry?",
        "keep": "Keep it",
        "delete": "Delete",
        "opens": "Week 4 opens on Monday, March 16, 2026.",
    },
    "es": {
        "about": "Qué es esta aplicación",
        "part_of": "Esta aplicación es parte de %s",
        "who": "Tu líder del grupo ve a qué reuniones fuiste",
        "team": "El equipo del estudio ve lo mismo",
        "nobody": "Nadie más los ve.",
        "ask_leader": "Pregúntale a tu líder del grupo en tu próxima reunión.",
        "stop": "responde STOP",
        "crisis": "llama o manda un texto al 988",
        "check_in": "Su líder de grupo y el equipo del estudio pueden ver sus respuestas.",
        "home_check_in": "Tu líder del grupo y el equipo del estudio ven tus respuestas.",
        "confirm": "¿Borrar esta práctica anotada?",
        "keep": "Conservarla",
        "delete": "Borrar",
        "opens": "La semana 4 se abre el lunes, 16 de marzo de 2026.",
    },
}


def _participant_client(client, factory, language):
    participant = factory.participant(language=language)
    assert login(client, participant.user.email).status_code == 302
    return participant


def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["en", "es"])
def test_help_page_says_what_the_app_is_and_who_sees_what(app, factory, client, language):
    _participant_client(client, factory, language)
    page = _page(client, "/help")
    text = TEXTS[language]
    study = app.extensions["p4p.program"].name_in(language)
    assert study and text["part_of"] % study in page
    for key in ("about", "who", "team", "nobody", "stop", "crisis"):
        assert text[key] in page, key
    assert 'href="/preferences"' in page
    assert 'href="#when-to-get-help"' in page
    # The sections come before the shared block, which is still there, once.
    assert page.index(text["about"]) < page.index('id="when-to-get-help"')
    assert page.count('id="when-to-get-help"') == 1
    # No study phone or email configured: the page says to ask the group leader, no dead links.
    assert text["ask_leader"] in page
    assert "mailto:" not in page
    assert 'href="tel:' not in page.replace('href="tel:988"', "").replace('href="tel:911"', "")


def test_help_page_links_the_study_teams_phone_and_email(app, factory, client):
    app.config.update(STUDY_PHONE="+1 (312) 555-0100", STUDY_EMAIL="study@example.org")
    _participant_client(client, factory, "en")
    page = _page(client, "/help")
    assert '<a href="tel:+13125550100">+1 (312) 555-0100</a>' in page
    assert '<a href="mailto:study@example.org">study@example.org</a>' in page
    assert TEXTS["en"]["ask_leader"] not in page


def test_the_study_contact_settings_come_from_the_environment(monkeypatch, tmp_path):
    from flask import Flask

    from p4p.config import DEFAULTS, load_config

    assert DEFAULTS["STUDY_PHONE"] is None and DEFAULTS["STUDY_EMAIL"] is None
    monkeypatch.setenv("P4P_STUDY_PHONE", "312 555 0100")
    monkeypatch.setenv("P4P_STUDY_EMAIL", "study@example.org")
    probe = Flask("probe", instance_path=str(tmp_path), instance_relative_config=True)
    load_config(probe, None)
    assert probe.config["STUDY_PHONE"] == "312 555 0100"
    assert probe.config["STUDY_EMAIL"] == "study@example.org"


@pytest.mark.parametrize("language", ["en", "es"])
def test_check_in_says_the_group_leader_sees_the_answers(factory, client, language):
    _participant_client(client, factory, language)
    text = TEXTS[language]
    check_in = client.get("/check-in")  # the weekly check-in is the week's PEG now
    assert check_in.headers["Location"].endswith("/questionnaires/peg/week-3")
    first = _page(client, "/questionnaires/peg/week-3/1")
    assert text["check_in"] in first
    assert "own tracking" not in first and "propio seguimiento" not in first
    assert text["home_check_in"] in _page(client, "/home")


def _log_practice(client, db, participant):
    today = date(2026, 3, 10)
    response = client.post(
        "/practice",
        data={
            "practiced_on": today.isoformat(),
            "practice_type": "body-scan",
            "minutes": "15",
            "guided": "self",
        },
    )
    assert response.status_code == 302
    return db.scalar(select(PracticeLog.id).where(PracticeLog.participant_id == participant.id))


def _entries(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(PracticeLog))


@pytest.mark.parametrize("language", ["en", "es"])
def test_deleting_a_practice_entry_asks_first(db, factory, client, language):
    participant = _participant_client(client, factory, language)
    entry = _log_practice(client, db, participant)
    text = TEXTS[language]
    # The log page's Delete is a link to the question, not a form that deletes at once.
    log_page = _page(client, "/practice")
    assert f'href="/practice/{entry}/delete"' in log_page
    assert f'action="/practice/{entry}/delete"' not in log_page

    question = _page(client, f"/practice/{entry}/delete")
    assert text["confirm"] in question
    assert f'<form method="post" action="/practice/{entry}/delete"' in question
    assert 'name="csrf_token"' in question
    assert f">{text['delete']}</button>" in question
    assert f'href="/practice">{text["keep"]}</a>' in question
    assert _entries(db) == 1  # asking deletes nothing

    response = client.post(f"/practice/{entry}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/practice"
    assert _entries(db) == 0
    assert client.get(f"/practice/{entry}/delete").status_code == 404


def test_the_delete_question_needs_the_csrf_token(app, db, factory, client):
    participant = _participant_client(client, factory, "en")
    entry = _log_practice(client, db, participant)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/practice/{entry}/delete").status_code == 400
        assert _entries(db) == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_another_participants_entry_has_no_delete_question(db, factory, client):
    owner = _participant_client(client, factory, "en")
    entry = _log_practice(client, db, owner)
    client.post("/logout")
    other = factory.participant(owner.cohort)
    assert login(client, other.user.email).status_code == 302
    assert client.get(f"/practice/{entry}/delete").status_code == 404
    assert _entries(db) == 1


# Los Angeles, 8 p.m.: the meeting's UTC date is the next day, the page shows the local one.
LATE_WEST = {"at": time(20, 0)}


@pytest.fixture
def west_cohort(factory):
    def make(start):
        return factory.cohort(
            site=factory.site(timezone="America/Los_Angeles"), start=start, **LATE_WEST
        )

    return make


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_week_page_links_to_the_next_open_week(factory, client, west_cohort, language):
    cohort = west_cohort(date(2026, 2, 23))  # weeks 1-3 open; week 4 meets Mon 16 March, 8 p.m.
    participant = factory.participant(cohort, language=language)
    assert login(client, participant.user.email).status_code == 302
    week_two = _page(client, "/weeks/2")
    assert 'href="/weeks/3">' in week_two
    week_three = _page(client, "/weeks/3")
    assert 'href="/weeks/4"' not in week_three
    assert TEXTS[language]["opens"] in week_three


def test_the_last_week_has_no_next_week(factory, client, west_cohort):
    cohort = west_cohort(date(2026, 3, 10) - timedelta(weeks=12))
    participant = factory.participant(cohort)
    assert login(client, participant.user.email).status_code == 302
    last = _page(client, "/weeks/9")
    assert 'href="/weeks/10"' not in last and "Week 10" not in last
    assert 'href="/weeks/8">' in last
