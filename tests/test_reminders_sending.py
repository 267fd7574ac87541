"""Sending: each reminder once, through a real SMTP server and a local SMS provider, never lost."""

import logging
from datetime import timedelta

import pytest
from reminder_helpers import (
    WEEK4_EVE,
    WEEK4_START,
    SmsProvider,
    enrolled,
    plan_at,
    reminders,
    send_at,
    use_smtp,
)
from smtp_server import SmtpServer, free_port

from p4p.modules.reminders.sending import claim_due

# Sending is judged here on meeting reminders, counted message by message.
pytestmark = pytest.mark.usefixtures("without_questionnaires")


def _eve_mails(smtp):
    return [m for m in smtp.messages if "meets tomorrow" in m["Subject"]]


def test_due_reminders_go_once_and_a_second_send_delivers_nothing(app, factory, db):
    participant = enrolled(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        assert send_at(app, WEEK4_EVE - timedelta(minutes=1)).sent == 0  # not due yet
        first = send_at(app, WEEK4_EVE)
        second = send_at(app, WEEK4_EVE + timedelta(minutes=5))
    assert first.sent >= 1 and second.sent == 0
    (mail,) = _eve_mails(smtp)
    assert mail["To"] == participant.user.email
    body = mail.get_body(("plain",)).get_content()
    assert "10:00" in body and "Room 4" in body and "/stop/" in body
    assert reminders(db, kind="meeting-eve")[0].status == "sent"


def test_a_reminder_whose_moment_passed_is_expired_not_sent_late(app, factory, db):
    enrolled(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        result = send_at(
            app, WEEK4_START + timedelta(hours=2)
        )  # the server was off for the evening
    assert _eve_mails(smtp) == []
    assert reminders(db, kind="meeting-eve")[0].status == "expired"
    assert result.expired >= 1


def test_server_off_for_the_evening_sends_the_eve_reminder_late_but_once(app, factory, db):
    enrolled(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(days=1))
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, WEEK4_EVE + timedelta(hours=3))  # back on at 21:00: still "tomorrow"
        send_at(app, WEEK4_EVE + timedelta(hours=4))
    assert len(_eve_mails(smtp)) == 1
    statuses = {r.kind: r.status for r in reminders(db)}
    assert statuses["meeting-eve"] == "sent"


def test_server_off_overnight_expires_the_eve_reminder_on_the_meeting_day(app, factory, db):
    enrolled(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(days=1))
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, WEEK4_START - timedelta(hours=4))  # back on the morning of the meeting
    assert _eve_mails(smtp) == []  # "meets tomorrow" would be wrong on the day itself
    assert reminders(db, kind="meeting-eve")[0].status == "expired"


def test_smtp_down_for_an_hour_retries_with_backoff_and_loses_nothing(app, factory, db):
    enrolled(factory, db, phone="+15550003333")
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    dead_port = free_port()
    app.config.update(
        MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=dead_port, SMTP_TIMEOUT=2
    )
    with SmsProvider() as provider:
        provider.configure(app)
        moment = WEEK4_EVE
        first = send_at(app, moment)
        assert first.retried >= 1
        assert any("meets tomorrow" in r["Body"] for r in provider.received)  # texts keep flowing
        (email,) = [r for r in reminders(db, kind="meeting-eve") if r.channel == "email"]
        assert (email.status, email.attempts) == ("planned", 1)
        assert email.next_attempt_at == moment + timedelta(minutes=5)
        assert "Connection" in email.last_error or "refused" in email.last_error.lower()
        assert send_at(app, moment + timedelta(minutes=3)).retried == 0  # waits for its backoff
        send_at(app, moment + timedelta(minutes=5))
        (email,) = [r for r in reminders(db, kind="meeting-eve") if r.channel == "email"]
        assert email.next_attempt_at == moment + timedelta(minutes=5 + 15)
        send_at(app, moment + timedelta(minutes=20))
        with SmtpServer() as smtp:
            use_smtp(app, smtp)
            send_at(app, moment + timedelta(minutes=65))
            send_at(app, moment + timedelta(minutes=70))
        assert len(provider.received) == len(
            [r for r in reminders(db) if r.channel == "sms" and r.status == "sent"]
        )
    assert len(_eve_mails(smtp)) == 1
    (email,) = [r for r in reminders(db, kind="meeting-eve") if r.channel == "email"]
    assert (email.status, email.attempts) == ("sent", 4)


def test_after_the_last_try_a_reminder_is_failed_and_shown_to_staff(app, factory, db, client):
    enrolled(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    app.config.update(
        MAIL_BACKEND="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=free_port(),
        SMTP_TIMEOUT=2,
        REMINDER_MAX_ATTEMPTS=2,
    )
    send_at(app, WEEK4_EVE)
    send_at(app, WEEK4_EVE + timedelta(minutes=5))
    (email,) = reminders(db, kind="meeting-eve")
    assert email.status == "failed"
    from conftest import login

    login(client, factory.user("coordinator").email)
    page = client.get("/staff/outbox?status=failed").get_data(as_text=True)
    assert email.user.name in page and "Send again" in page
    assert client.post(f"/staff/outbox/{email.id}/retry").status_code == 302
    assert reminders(db, kind="meeting-eve")[0].status == "planned"


def test_a_process_killed_between_claim_and_send_is_retried_once_and_logged(
    app, factory, db, caplog
):
    enrolled(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    with app.app_context():
        from p4p.db import get_session

        claimed = claim_due(get_session(), WEEK4_EVE, "worker-that-dies", limit=10)
        get_session().commit()  # as send_due does before it sends
    assert claimed  # claimed and committed, then the process died before sending
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        assert (
            send_at(app, WEEK4_EVE + timedelta(minutes=2)).sent == 0
        )  # still leased to the dead worker
        with caplog.at_level(logging.WARNING, logger="p4p.reminders"):
            result = send_at(app, WEEK4_EVE + timedelta(minutes=11))
        send_at(app, WEEK4_EVE + timedelta(minutes=12))
    assert result.reclaimed == len(claimed)
    assert "reclaiming reminder" in caplog.text and "worker-that-dies" in caplog.text
    assert len(_eve_mails(smtp)) == 1


def test_a_moved_meeting_never_gets_the_old_reminder_and_gets_the_new_one(app, factory, db):
    participant = enrolled(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    meeting = next(m for m in participant.cohort.meetings if m.week == 4)
    meeting.starts_at = WEEK4_START + timedelta(days=2)  # moved after the reminders were planned
    db.commit()
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        old = send_at(
            app, WEEK4_EVE
        )  # the scheduler did not re-plan in between: checked at send time
        plan_at(app, WEEK4_EVE + timedelta(days=2) - timedelta(hours=1))
        send_at(app, WEEK4_EVE + timedelta(days=2))
    assert "cancelled" in " ".join(old.lines) and "meeting moved" in " ".join(old.lines)
    (mail,) = _eve_mails(smtp)
    assert "Wednesday" in mail.get_body(("plain",)).get_content()


def test_a_participant_withdrawn_after_planning_gets_nothing(app, factory, db, clock):
    participant = enrolled(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    participant.withdrawn_at = clock()
    db.commit()
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        result = send_at(app, WEEK4_EVE)
    assert smtp.messages == [] and result.sent == 0
    assert {r.last_error for r in reminders(db, status="cancelled")} == {"withdrawn"}


def test_sms_goes_through_the_providers_http_api_without_health_details(app, factory, db):
    enrolled(factory, db, phone="+15550004444")
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    with SmsProvider() as provider:
        provider.configure(app)
        send_at(app, WEEK4_EVE)
    (text,) = [r for r in provider.received if "tomorrow" in r["Body"]]
    assert text["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert text["To"] == "+15550004444" and text["From"] == "+15550001111"
    assert text["auth"].startswith("Basic ")
    assert "pain" not in text["Body"].lower() and "Partners4Pain" not in text["Body"]
    assert "STOP" in text["Body"]


def test_an_sms_provider_error_is_retried(app, factory, db):
    enrolled(factory, db, phone="+15550005555")
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    app.config["MAIL_BACKEND"] = "console"
    with SmsProvider(fail_with=503) as provider:
        provider.configure(app)
        result = send_at(app, WEEK4_EVE)
    sms = [r for r in reminders(db, kind="meeting-eve") if r.channel == "sms"][0]
    assert sms.status == "planned" and "503" in sms.last_error and result.retried >= 1


def test_a_sender_whose_lease_was_taken_back_neither_sends_nor_records(app, factory, db):
    from p4p.db import get_session
    from p4p.modules.reminders.sending import RunClock, SendResult, deliver
    from p4p.modules.reminders.tasks import senders

    enrolled(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    with app.app_context():
        (slow,) = claim_due(get_session(), WEEK4_EVE, "slow-worker")
        get_session().commit()  # as send_due does before it sends
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        taken = send_at(app, WEEK4_EVE + timedelta(minutes=11), worker="fast-worker")
        late = SendResult()
        with app.app_context():  # the slow sender gets round to its claim at last
            deliver(
                get_session(),
                [slow],
                "slow-worker",
                RunClock(WEEK4_EVE + timedelta(minutes=12)),
                senders(),
                app.extensions["p4p.program"],
                app.config,
                late,
            )
    assert taken.reclaimed == 1
    assert (late.lost, late.sent, late.lines) == (1, 0, [late.lines[0]])
    assert late.lines[0].startswith("lost claim on ")
    keys = [r.key for r in reminders(db, status="sent")]
    assert len(smtp.messages) == len(keys)  # the reclaimed one went once, by the fast sender
    (row,) = [r for r in reminders(db) if r.id == slow]
    assert row.status == "sent" and row.claimed_by.startswith("fast-worker#")
