"""The participant home page is kept rendered (p4p.page_cache) under the participant's
home_version. Every change to what it shows, by anyone, must show at once; the clock must move
it on; nothing may leak between people, sessions or languages."""

from datetime import timedelta

import pytest
from conftest import login
from coordinator_helpers import as_role
from sqlalchemy import select, update

from p4p.modules.auth.models import User
from p4p.modules.practice.models import PracticeLog
from p4p.modules.sites.service import local_datetime


def _cache(app):
    return app.extensions["p4p.page_cache"]


def _home(client) -> str:
    response = client.get("/home")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _change(client, url, data=None):
    """POST as a browser does, following the redirect: the page it lands on shows (and so
    uses up) the flashed message, and the next home page is a plain one that may be kept."""
    response = client.post(url, data=data or {}, follow_redirects=True)
    assert response.status_code == 200
    return response


def _meeting(participant, week):
    return next(m for m in participant.cohort.meetings if m.week == week)


@pytest.fixture
def coordinator(app, factory):
    return as_role(factory, app.test_client(), "coordinator")


def test_a_kept_page_is_served_with_the_user_query_alone(app, participant_client, count_queries):
    with count_queries() as rendered:
        first = _home(participant_client)
    with count_queries() as kept:
        again = _home(participant_client)
    assert again == first
    assert rendered.count == 3  # the user, the page's rows, the week's practice
    assert kept.count == 1  # the user (who must still be signed in, active, and this session's)
    assert (_cache(app).misses, _cache(app).hits) == (1, 1)


def test_the_participants_own_changes_show_at_once(participant_client, clock):
    assert "0 minutes on 0 days" in _home(participant_client)
    _change(
        participant_client,
        "/practice",
        {
            "practiced_on": clock().date().isoformat(),
            "practice_type": "body-scan",
            "minutes": "25",
            "guided": "self",
        },
    )
    assert "25 minutes on 1 day" in _home(participant_client)

    assert "You have no plan for this week yet." in _home(participant_client)
    plan = {"what": "Walk to the park", "how_much": "10 minutes", "when": "after lunch"}
    _change(participant_client, "/weeks/3/plan", {**plan, "how_often": "3 days", "confidence": "8"})
    assert "Walk to the park" in _home(participant_client)

    _change(participant_client, "/weeks/3/done", {"done": "1"})
    assert "1 of 9 weeks done" in _home(participant_client)
    _change(participant_client, "/weeks/3/done", {"done": "0"})
    assert "0 of 9 weeks done" in _home(participant_client)


def test_a_deleted_practice_entry_leaves_the_page(participant_client, db, participant, clock):
    form = {"practiced_on": clock().date().isoformat(), "practice_type": "body-scan"}
    _change(participant_client, "/practice", {**form, "minutes": "40", "guided": "self"})
    assert "40 minutes on 1 day" in _home(participant_client)
    entry = db.scalar(select(PracticeLog.id).where(PracticeLog.participant_id == participant.id))
    _change(participant_client, f"/practice/{entry}/delete")
    assert "0 minutes on 0 days" in _home(participant_client)


def test_staff_changes_to_the_schedule_and_enrolment_show_at_once(
    participant_client, participant, coordinator
):
    meeting = _meeting(participant, 4)
    before = _home(participant_client)
    assert "Session 4 of 9" in before and "Room 4" in before

    moved = local_datetime(meeting.starts_at, "America/Chicago") + timedelta(days=1)
    coordinator.post(
        f"/admin/meetings/{meeting.id}/move",
        data={"move-date": moved.date().isoformat(), "move-time": "18:30", "move-reason": "Room"},
    )
    assert "6:30" in _home(participant_client)

    link = "https://video.example.org/north"
    form = {"mode-mode": "video", "mode-video_link": link, "mode-reason": "Storm"}
    assert coordinator.post(f"/admin/meetings/{meeting.id}/mode", data=form).status_code == 302
    page = _home(participant_client)
    assert "By video." in page and link in page  # the meeting's mode and the cohort's link

    cohort_form = {"name": participant.cohort.name, "location": "Hall B", "video_link": link}
    coordinator.post(f"/admin/cohorts/{participant.cohort_id}/edit", data=cohort_form)
    meeting_form = {"mode-mode": "in_person", "mode-reason": "Storm over"}
    coordinator.post(f"/admin/meetings/{meeting.id}/mode", data=meeting_form)
    assert "Hall B" in _home(participant_client)

    coordinator.post(
        f"/admin/participants/{participant.id}/withdraw", data={"withdraw-reason": "Moved away"}
    )
    assert "You have left the program" in _home(participant_client)


def test_a_renamed_site_and_a_cancelled_meeting_show_at_once(
    participant_client, participant, db, factory, clock
):
    from p4p.modules.attendance.service import record_delivery
    from p4p.modules.sites.service import update_site

    assert "Session 4 of 9" in _home(participant_client)
    site = participant.cohort.site
    update_site(
        db, site, name="Eastside Library", timezone=site.timezone, address=None,
        actor_id=factory.user("coordinator").id, now=clock(),
    )  # fmt: skip
    db.commit()
    assert "Eastside Library" in _home(participant_client)

    record_delivery(
        db, db.merge(_meeting(participant, 4)), status="cancelled", actual_minutes=None,
        sections=[], note=None, actor=factory.user("coordinator"), now=clock(),
    )  # fmt: skip
    db.commit()
    assert "Session 5 of 9" in _home(participant_client)


def test_the_clock_moves_the_page_on_without_any_change(client, participant, clock):
    week4 = _meeting(participant, 4)
    local_start = local_datetime(week4.starts_at, "America/Chicago")
    clock.at = local_start.replace(hour=23, minute=50) - timedelta(days=1)  # the evening before
    login(client, participant.user.email)
    page = _home(client)
    assert "Week 3 of 9" in page and "Session 4 of 9" in page
    assert _home(client) == page  # kept

    clock.advance(minutes=20)  # past local midnight: week 4 opens
    page = _home(client)
    assert "Week 4 of 9" in page and "Session 4 of 9" in page

    clock.at = week4.starts_at + timedelta(minutes=week4.duration_minutes - 5)
    login(client, participant.user.email)  # (hours later: the idle session had ended)
    page = _home(client)
    assert "Session 4 of 9" in page and _home(client) == page
    clock.advance(minutes=5)  # the meeting has ended: the next one is week 5's
    assert "Session 5 of 9" in _home(client)


def test_nothing_is_shared_between_people_sessions_or_languages(app, factory, participant):
    other = factory.participant(cohort=participant.cohort)
    mine, theirs, my_phone = app.test_client(), app.test_client(), app.test_client()
    login(mine, participant.user.email)
    login(theirs, other.user.email)
    login(my_phone, participant.user.email)
    _change(mine, "/weeks/3/plan", {"what": "Stretch at my desk", "how_much": "5 minutes",
                                    "when": "at 11", "how_often": "daily", "confidence": "9"})  # fmt: skip
    _home(mine)
    assert "Stretch at my desk" in _home(mine)
    assert "Stretch at my desk" not in _home(theirs)
    misses = _cache(app).misses
    assert "Stretch at my desk" in _home(my_phone)
    assert _cache(app).misses == misses + 1  # each session renders its own: its CSRF tokens

    _change(mine, "/language", {"language": "es", "next": "/weeks"})
    page = _home(mine)
    assert 'lang="es"' in page and "Stretch at my desk" in page
    assert 'lang="en"' in _home(my_phone)  # the other session shows English until it reloads
    assert 'lang="es"' in _home(my_phone)  # ... and the account's language from then on


def test_a_flashed_message_is_shown_and_the_page_with_it_is_not_kept(app, participant_client):
    with participant_client.session_transaction() as session:
        session["_flashes"] = [("info", "Saved your plan.")]
    assert "Saved your plan." in _home(participant_client)
    assert "Saved your plan." not in _home(participant_client)
    assert _cache(app).hits == 0


def test_bulk_changes_to_what_the_page_shows_are_refused(db, participant):
    with pytest.raises(RuntimeError, match="would not raise home versions"):
        db.execute(update(PracticeLog).values(minutes=5))
    db.rollback()
    version = db.scalar(select(User.home_version).where(User.id == participant.user_id))
    db.execute(update(User).where(User.id == participant.user_id).values(name="Renamed"))
    db.commit()  # other tables stay free to change in bulk
    assert db.scalar(select(User.home_version).where(User.id == participant.user_id)) == version


def test_the_cache_keeps_at_most_its_size(app_config, factory, participant):
    from p4p import create_app

    small = create_app({**app_config, "PAGE_CACHE_SIZE": 1})
    first, second = small.test_client(), small.test_client()
    login(first, participant.user.email)
    login(second, factory.participant(cohort=participant.cohort).user.email)
    for client in (first, second, first, second):
        _home(client)
    cache = _cache(small)
    assert (cache.misses, cache.hits, len(cache._pages)) == (4, 0, 1)
    small.extensions["p4p.engine"].dispose()
