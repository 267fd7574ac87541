"""Answering questionnaires the way a participant does (the app's own HTTP routes), and an
instrument of every item type for the export tests."""

import yaml
from conftest import login

from p4p.modules.instruments.definitions import parse_instrument

# Every item type, asked weekly in both programs. The texts name no program.
MOOD = """
key: mood
title: {en: Your mood, es: Su ánimo}
items:
  - name: mood_level
    type: choice
    required: true
    text: {en: "How is your mood?", es: "¿Cómo está su ánimo?"}
    choices:
      - {code: 1, label: {en: "Low, very low", es: "Bajo, muy bajo"}}
      - {code: 2, label: {en: Fair, es: Regular}}
      - {code: 3, label: {en: Good, es: Bueno}}
  - name: mood_walked
    type: yes_no
    required: true
    text: {en: "Did you walk today?", es: "¿Caminó hoy?"}
  - name: mood_hours
    type: number
    decimal: true
    min: 0
    max: 24
    text: {en: "How many hours did you sleep?", es: "¿Cuántas horas durmió?"}
  - name: mood_note
    type: short_text
    text: {en: "Anything else?", es: "¿Algo más?"}
scores:
  - name: mood_total
    method: sum
    items: [mood_level, mood_walked]
    min_answers: 2
schedule:
  partners4pain:
    weekly: {window_days: 3}
  keys_to_wellbeing:
    weekly: {window_days: 3}
"""


def add_instrument(app, monkeypatch, text: str = MOOD):
    """The instrument in `text`, asked from now on in this test's app."""
    program = app.extensions["p4p.program"]
    arms = {key: len(arm.weeks) for key, arm in program.arms.items()}
    raw = yaml.safe_load(text)
    instrument, problems = parse_instrument(raw, f"{raw['key']}.yaml", program.languages, arms)
    assert problems == [], problems
    monkeypatch.setitem(program.instruments, instrument.key, instrument)
    return instrument


def answer(app, participant, key: str, occasion: str, answers: list[str], send: bool = True):
    """Log in as the participant and answer each question in turn, then send (or not)."""
    client = app.test_client()
    assert login(client, participant.user.email).status_code == 302
    for number, value in enumerate(answers, start=1):
        saved = client.post(f"/questionnaires/{key}/{occasion}/{number}", data={"answer": value})
        assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    if send:
        sent = client.post(f"/questionnaires/{key}/{occasion}/review")
        assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    return client
