"""The audit view: the append-only trail, newest first, filtered by participant, cohort, actor
and dates, a hundred a page, with old → new values people can read. Nothing edits it."""

from datetime import timedelta

import pytest
from coordinator_helpers import as_role
from sqlalchemy import func, select

from p4p.modules.audit.models import AuditEvent
from p4p.modules.audit.service import record


@pytest.fixture
def coordinator(factory, client):
    return as_role(factory, client, "coordinator")


def _rows(page: str) -> int:
    return page.count("<tr>") - 1  # less the header row


def test_events_read_newest_first_with_who_what_and_old_to_new(db, factory, coordinator, clock):
    participant = factory.participant()
    week5 = participant.cohort.meetings[4]
    clock.advance(hours=1)
    coordinator.post(
        f"/admin/meetings/{week5.id}/move",
        data={"move-date": "2026-03-24", "move-time": "11:30", "move-reason": "Site closed"},
    )
    page = coordinator.get("/admin/audit").get_data(as_text=True)
    move = page.index("Moved the meeting")  # the stored code "move", in words
    assert move < page.index("Added the cohort")  # newest first
    # In the study's time zone (its first site's: Chicago), UTC on hover.
    assert (
        '<time datetime="2026-03-10T16:00:00+00:00" title="2026-03-10 16:00 UTC">'
        "Mar 10, 2026, 11:00\u202fAM</time>"
    ) in page
    assert "Site closed" in page
    assert f"Moved the meeting {participant.cohort.name} · 5." in page  # the meeting, named
    assert (
        "Date and time changed from Mar 23, 2026, 10:00\u202fAM to Mar 24, 2026, 11:30\u202fAM."
        in page
    )
    assert "<li>Email: coordinator" in page  # a creation tells only what it was made with
    assert "Coordinator" in page and "the system" in page


def test_filter_by_participant_shows_their_events_and_their_accounts(db, factory, coordinator):
    mine, other = factory.participant(), factory.participant()
    coordinator.post(f"/admin/participants/{mine.id}/withdraw", data={"withdraw-reason": "Moved"})
    coordinator.post(f"/admin/participants/{other.id}/withdraw", data={"withdraw-reason": "Busy"})
    typed = mine.study_id.lower()
    page = coordinator.get(f"/admin/audit?participant={typed}").get_data(as_text=True)
    assert "Moved" in page and "Busy" not in page
    assert f"Withdrew {mine.study_id} from the study." in page
    assert f"Created the account of {mine.user.name}." in page  # their account's own event
    response = coordinator.get("/admin/audit?participant=NOBODY-1")
    assert response.status_code == 422
    assert "No participant has this study ID." in response.get_data(as_text=True)


def test_filter_by_cohort_shows_the_cohort_its_meetings_and_its_people(db, factory, coordinator):
    here = factory.participant()
    there = factory.participant()
    cohort = here.cohort
    for who, reason in ((here, "Here"), (there, "There")):
        coordinator.post(f"/admin/participants/{who.id}/withdraw", data={"withdraw-reason": reason})
    coordinator.post(
        f"/admin/meetings/{cohort.meetings[6].id}/mode",
        data={
            "mode-mode": "video",
            "mode-video_link": "https://v.example.org/x",
            "mode-reason": "Ice",
        },
    )
    page = coordinator.get(f"/admin/audit?cohort={cohort.id}").get_data(as_text=True)
    assert "Here" in page and "Ice" in page and f"Added the cohort {cohort.name}" in page
    assert "There" not in page and there.cohort.name not in page.split("<table")[1]


def test_filter_by_actor_and_by_dates(db, factory, coordinator, clock):
    participant = factory.participant()
    other = factory.user("admin")
    record(
        db,
        at=clock() - timedelta(days=3),
        actor_id=other.id,
        action="note",
        entity="site",
        entity_id=participant.cohort.site_id,
        reason="Three days ago",
    )
    db.commit()
    page = coordinator.get(f"/admin/audit?actor={other.id}").get_data(as_text=True)
    assert _rows(page) == 1 and "Three days ago" in page
    day = (clock() - timedelta(days=3)).date()
    page = coordinator.get(f"/admin/audit?since={day}&until={day}").get_data(as_text=True)
    assert _rows(page) == 1 and "Three days ago" in page
    later = (day + timedelta(days=1)).isoformat()
    page = coordinator.get(f"/admin/audit?since={later}").get_data(as_text=True)
    assert "Three days ago" not in page and _rows(page) > 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=2026-13-01", "since"),
        ("until=yesterday", "until"),
        ("since=2026-03-10&until=2026-03-01", "until"),
        ("cohort=abc", "cohort"),
        ("actor=999", "actor"),
        ("participant=" + "x" * 41, "participant"),
    ],
)
def test_bad_filters_get_a_field_message(coordinator, query, field):
    response = coordinator.get(f"/admin/audit?{query}")
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)


def test_a_hundred_events_a_page(db, factory, coordinator, clock):
    site = factory.site()
    for n in range(150):
        record(
            db,
            at=clock() + timedelta(minutes=n),
            actor_id=None,
            action="note",
            entity="site",
            entity_id=site.id,
            reason=f"note {n:03d}",
        )
    db.commit()
    first = coordinator.get("/admin/audit").get_data(as_text=True)
    assert _rows(first) == 100 and "note 149" in first and "note 049" not in first
    assert "Page 1 of 2" in first
    second = coordinator.get("/admin/audit?page=2").get_data(as_text=True)
    assert _rows(second) == 52  # 50 notes, the site's creation and the coordinator's account
    assert "note 049" in second and "note 050" not in second


def test_the_audit_view_only_reads(app, db, factory, coordinator):
    methods = {
        m for rule in app.url_map.iter_rules() if rule.rule == "/admin/audit" for m in rule.methods
    }
    assert methods <= {"GET", "HEAD", "OPTIONS"}
    factory.site()
    before = db.scalar(select(func.count(AuditEvent.id)))
    assert coordinator.post("/admin/audit").status_code == 405
    event = db.scalar(select(AuditEvent))
    event.reason = "rewritten"
    with pytest.raises(PermissionError):
        db.flush()
    db.rollback()
    assert db.scalar(select(func.count(AuditEvent.id))) == before


def test_every_kind_of_event_the_app_records_has_words(app):
    """Each (action, entity) that a service passes to audit.record is in WHAT_HAPPENED, so the
    trail never shows a bare code: read from the source, as new kinds get added."""
    import re
    from pathlib import Path

    from p4p.modules.audit.queries import WHAT_HAPPENED

    recorded = set()
    for path in (Path(app.root_path)).rglob("*.py"):
        text = path.read_text()
        for action, entity in re.findall(r'action="([a-z-]+)",\s*entity="([a-z]+)"', text):
            recorded.add((action, entity))
    recorded |= {("password-invite", "user"), ("password-reset", "user"),
                 ("deactivate", "user"), ("reactivate", "user")}  # fmt: skip
    assert len(recorded) > 15
    assert recorded <= set(WHAT_HAPPENED)
