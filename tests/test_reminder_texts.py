"""Snapshot tests of every reminder text: email (text and HTML) and SMS, as the recipient sees them.

A changed wording fails here on purpose; after reading the new text, regenerate with
P4P_UPDATE_SNAPSHOTS=1 and commit the snapshots with the change.
"""

import os
import re
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from p4p.modules.reminders.models import Reminder

SNAPSHOTS = Path(__file__).parent / "snapshots"
MOMENT = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)
# The wording ("today", "tomorrow") is worked out as a reminder is sent: each at its usual time.
SENT_AT = {"meeting-soon": datetime(2026, 3, 16, 13, 0, tzinfo=UTC)}


@pytest.fixture
def story(factory, db):
    site = factory.site(name="Northside Community Center")
    cohort = factory.cohort(site=site, name="Tuesday group", at=time(10, 0))
    participant = factory.participant(cohort)
    participant.user.name, participant.user.phone = "Rosa Martinez", "+15550001234"
    participant.study_id = "P4P-001"
    facilitator = factory.facilitator(site)
    facilitator.name = "Nia Thompson"
    db.commit()
    meeting = next(m for m in cohort.meetings if m.week == 4)
    return participant, facilitator, meeting


def _reminder(db, kind, channel, user, payload):
    reminder = Reminder(
        key=f"{kind}:snapshot:u{user.id}:{channel}",
        user_id=user.id,
        kind=kind,
        channel=channel,
        payload=payload,
        due_at=MOMENT,
        expires_at=MOMENT,
        created_at=MOMENT,
        updated_at=MOMENT,
    )
    db.add(reminder)
    db.commit()
    return reminder


def _stable(text: str) -> str:
    return re.sub(r"/stop/[\w.-]+", "/stop/TOKEN", text)


CASES = [
    ("meeting-eve", ("email", "sms")),
    ("meeting-soon", ("email", "sms")),
    ("meeting-moved", ("email", "sms")),
    ("week-open", ("email", "sms")),
    ("practice", ("email", "sms")),
    ("survey", ("email", "sms")),
    ("questionnaire", ("email", "sms")),
    ("digest", ("email",)),
]


@pytest.mark.parametrize(("kind", "channels"), CASES)
def test_reminder_texts_match_their_snapshots(app, db, story, kind, channels):
    from p4p.modules.reminders.messages import render

    participant, facilitator, meeting = story
    user = facilitator if kind == "digest" else participant.user
    payload = {
        "participant_id": participant.id,
        "meeting_id": meeting.id,
        "week": 4,
        "months": 2,
        "since": "2026-03-16",
        "until": "2026-03-19",
        "instrument": "peg",
        "occasion": "week-4",
        "opens_on": "2026-03-16",
        "last_day": "2026-03-18",
        "round": 1,
    }
    for channel in channels:
        reminder = _reminder(db, kind, channel, user, payload)
        with app.app_context():
            from p4p.db import get_session

            message = render(
                get_session(),
                get_session().get(Reminder, reminder.id),
                app.extensions["p4p.program"],
                SENT_AT.get(kind, MOMENT),
            )
        parts = (
            {"sms": message.text}
            if channel == "sms"
            else {"subject": message.subject, "text": message.text, "html": message.html}
        )
        for part, content in parts.items():
            _compare(f"{kind}.{channel}.{part}", _stable(content))
        if channel == "sms":
            assert len(message.text) <= 320, "two SMS segments at most"
            assert "pain" not in message.text.lower()


def _compare(name: str, content: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("P4P_UPDATE_SNAPSHOTS") == "1":
        path.write_text(content, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with P4P_UPDATE_SNAPSHOTS=1 and review it"
    assert content == path.read_text(encoding="utf-8"), f"{name} changed"
