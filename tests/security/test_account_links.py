"""Invite and reset links under attack and outage (issue 16, items 4 and 5; issue 11, mail
after commit): /reset says nothing about who has an account, not even by its timing, survives
a mail server that is down, cannot be used to flood a person or to kill the link they just got,
nothing is mailed for a change that was rolled back, and a link works once however many
requests use it at the same moment."""

import re
import statistics
import threading
import time
from datetime import timedelta

import pytest
from conftest import PASSWORD
from coordinator_helpers import as_role, events, real_smtp, smtp_down
from flask import abort
from smtp_server import SmtpServer
from sqlalchemy import select

from p4p.access import public
from p4p.clock import now
from p4p.db import session as app_db
from p4p.modules.auth.accounts import send_invite
from p4p.modules.auth.models import TokenPurpose, User
from p4p.modules.auth.service import issue_token
from p4p.modules.reminders.models import Reminder, ReminderStatus

from .live_server import LiveServer

NEW_PASSWORD = "new garden gate"


def _links(smtp, kind="reset") -> list[str]:
    return [
        re.search(rf"http://p4p.test(/{kind}/\S+)", m.get_content()).group(1) for m in smtp.messages
    ]


def _ask_for_reset(client, email: str):
    response = client.post("/reset", data={"email": email})
    response.close()  # the response is delivered: what it queued is tried now
    return response


def test_reset_with_the_mail_server_down_is_never_a_500_and_the_link_goes_later(
    app, factory, client, runner, clock
):
    user = factory.user("participant")
    smtp_down(app)
    response = _ask_for_reset(client, user.email)
    assert response.status_code == 302  # before: a 500, for a real account only
    assert _ask_for_reset(client, "nobody@example.org").status_code == 302
    with app.app_context():
        queued = app_db.scalars(select(Reminder)).all()
        assert [(r.status, r.attempts) for r in queued] == [(ReminderStatus.PLANNED, 1)]
        assert "ConnectionRefusedError" in queued[0].last_error
    with real_smtp(app) as smtp:
        clock.advance(minutes=6)  # past the first retry's wait
        result = runner.invoke(args=["reminders", "send"])
        assert "sent 1," in result.output
        [link] = _links(smtp)  # built at send time from what the row keeps
    page = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert page.status_code == 302 and page.headers["Location"] == "/login"


def test_at_most_three_reset_emails_an_hour_whoever_asks_and_the_page_is_the_same(
    app, factory, client, clock
):
    user = factory.user("participant")
    with real_smtp(app) as smtp:
        pages = set()
        for _ in range(30):  # before: 30 requests sent 30 emails
            response = client.post("/reset", data={"email": user.email}, follow_redirects=True)
            # The login form's CSRF token is signed with the wall-clock second: not compared.
            pages.add(
                re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))
            )
        assert len(smtp.messages) == 3
        assert len(pages) == 1  # the answer does not show that the limit was reached
        clock.advance(minutes=61)
        _ask_for_reset(client, user.email)
        assert len(smtp.messages) == 4  # an hour later a new one goes


def test_requests_after_the_persons_own_cannot_kill_the_link_they_just_got(app, factory, client):
    user = factory.user("participant")
    with real_smtp(app) as smtp:
        _ask_for_reset(client, user.email)  # the person's own request
        for _ in range(10):  # then someone else, over and over
            _ask_for_reset(client, user.email)
        links = _links(smtp)
    own, newest = links[0], links[-1]
    assert client.get(own).status_code == 200  # before: 410, killed by the next request
    assert client.get(newest).status_code == 200
    page = client.post(own, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert page.status_code == 302
    assert client.get(newest).status_code == 410  # once the password is set, the others end


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def test_reset_takes_the_same_time_whether_or_not_the_account_exists(app, factory):
    # Distinct accounts, so the per-account limit never spares an existing one its work.
    count = 200
    users = [factory.user("participant") for _ in range(count)]
    with real_smtp(app) as smtp:
        timings: dict[str, list[float]] = {"existing": [], "missing": []}
        delivered = []
        for n, user in enumerate(users):  # interleaved: load on the machine hits both alike
            pair = [("existing", user.email), ("missing", f"nobody{n}@example.org")]
            for label, email in pair if n % 2 else reversed(pair):
                fresh = app.test_client()  # no cookie: flashed messages would pile up in it
                started = time.perf_counter()
                response = fresh.post("/reset", data={"email": email})
                timings[label].append(time.perf_counter() - started)
                delivered.append(response)
        # What waits for the response's close runs now: in one test process it would otherwise
        # run between the timed requests and slow whichever came next (a server runs it on
        # the worker that answered, once the answer has gone).
        for response in delivered:
            response.close()
        assert len(smtp.messages) == count
    existing, missing = (_median_ms(timings[k]) for k in ("existing", "missing"))
    print(f"/reset median: existing {existing:.2f} ms, missing {missing:.2f} ms")
    # Before: the real account waited for the mail server (13.0 vs 5.4 ms in the issue).
    assert abs(existing - missing) < max(1.0, 0.10 * min(existing, missing))


def test_nothing_is_mailed_for_a_change_that_was_rolled_back(app, factory, db):
    user = factory.user("participant", password=None)
    coordinator = factory.user("coordinator")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 page, as in production

    @app.route("/test/invite-then-fail/<int:user_id>", methods=["POST"])
    @public
    def invite_then_fail(user_id):
        send_invite(app_db, app_db.get(User, user_id), actor_id=coordinator.id, now=now())
        abort(500)  # something later in the same request fails

    with real_smtp(app) as smtp:
        response = app.test_client().post(f"/test/invite-then-fail/{user.id}")
        response.close()
        assert response.status_code == 500
        assert smtp.messages == []  # before: the invite had gone out before the failure
    db.expire_all()
    assert db.scalars(select(Reminder)).all() == [] and events(db, "invite-sent") == []


def _not_yet_invited(factory, db, cohort, n: int) -> None:
    from p4p.modules.participants.models import Participant

    user = factory.user("participant", password=None)
    db.add(
        Participant(
            user=user,
            study_id=f"Q-{n:04d}",
            arm=cohort.arm,
            cohort=cohort,
            enrolled_at=now_of(factory),
        )
    )
    db.commit()


def now_of(factory):
    return factory.clock()


def test_sending_a_hundred_invites_returns_at_once_and_the_list_shows_their_progress(
    app, factory, client, db
):
    as_role(factory, client, "coordinator")
    cohort = factory.cohort()
    for n in range(100):
        _not_yet_invited(factory, db, cohort, n)
    with SmtpServer(delay=0.03) as smtp:  # a slow mail server: 3 s for the hundred
        app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
        started = time.perf_counter()
        response = client.post("/admin/roster/invites")
        elapsed = time.perf_counter() - started
        print(f"100 invites queued in {elapsed * 1000:.0f} ms")
        assert response.status_code == 302 and elapsed < 1.5  # before: it waited for each
        listing = client.get("/admin/participants").get_data(as_text=True)
        assert listing.count("Invite queued") == 100
        response.close()  # delivered: now they go
        assert len(smtp.messages) == 100
    listing = client.get("/admin/participants").get_data(as_text=True)
    assert listing.count("Invite queued") == 0 and listing.count("Invited ") == 100
    assert "Everyone with an email or phone has been sent an invite link." in client.get(
        "/admin/roster/invites"
    ).get_data(as_text=True)


def test_invites_the_mail_server_refused_show_as_queued_then_failed(
    app, factory, client, db, runner, clock
):
    as_role(factory, client, "coordinator")
    _not_yet_invited(factory, db, factory.cohort(), 0)
    smtp_down(app)
    client.post("/admin/roster/invites").close()  # tried, refused: waits for its retry
    assert "Invite queued" in client.get("/admin/participants").get_data(as_text=True)
    for _ in range(6):  # REMINDER_MAX_ATTEMPTS, the mail server down all along
        clock.advance(hours=7)
        runner.invoke(args=["reminders", "send"])
    as_role(factory, client, "coordinator")  # the session ended meanwhile
    assert "Invite email failed" in client.get("/admin/participants").get_data(as_text=True)


def _use_at_once(server, path: str) -> list[tuple[int, str]]:
    """Two requests set a password with the same link at the same moment."""
    barrier, answers = threading.Barrier(2), []

    def use():
        barrier.wait()
        answers.append(server.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}))

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.parametrize("purpose", [TokenPurpose.RESET, TokenPurpose.INVITE])
def test_a_link_used_by_two_requests_at_once_works_once(app_config, purpose):
    # OWASP-strength hashing, as in production: the race window is as wide as there.
    app_config.update(PASSWORD_HASH_TIME_COST=2, PASSWORD_HASH_MEMORY_KIB=19456)
    from conftest import Factory

    from p4p import create_app

    app = create_app(app_config)
    db = app.extensions["p4p.sessionmaker"]()
    user = Factory(app, db, app_config["CLOCK"]).user(
        "participant", password=None if purpose == TokenPurpose.INVITE else PASSWORD
    )
    doubles = 0
    try:
        with LiveServer(app) as server:
            for _ in range(10):
                with app.test_request_context():
                    raw = issue_token(db, user, purpose, now())
                    db.commit()
                answers = _use_at_once(server, f"/{purpose}/{raw}")
                assert sorted(status for status, _ in answers) in ([302, 302], [302, 410])
                doubles += [status for status, _ in answers].count(302) > 1
        db.expire_all()
        used = len(events(db, f"password-{purpose}"))
        assert doubles == 0, f"{doubles} of 10 rounds used one link twice"
        assert used == 10
    finally:
        db.close()
        from tests_cleanup import empty_tables

        empty_tables(app)


def test_an_expired_queued_link_is_not_sent(app, factory, client, runner, clock):
    user = factory.user("participant")
    smtp_down(app)
    _ask_for_reset(client, user.email)
    with real_smtp(app) as smtp:
        clock.advance(hours=2, minutes=1)  # past RESET_TTL_HOURS
        runner.invoke(args=["reminders", "send"])
        assert smtp.messages == []
    with app.app_context():
        [row] = app_db.scalars(select(Reminder)).all()
        assert row.status == ReminderStatus.EXPIRED
    assert timedelta(hours=2) == timedelta(hours=app.config["RESET_TTL_HOURS"])
