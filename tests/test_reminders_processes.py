"""Real processes: two or three senders, or two schedulers, at once still deliver every reminder exactly once."""

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from reminder_helpers import reminders
from smtp_server import SmtpServer

from p4p.modules.reminders.models import PARTICIPANT_KINDS, Reminder, ReminderPreference
from p4p.modules.reminders.rules import add_months


def _environment(app, smtp, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("P4P_")}
    env.update(
        P4P_DATABASE_URL=app.config["DATABASE_URL"],
        P4P_SECRET_KEY="test-secret",
        P4P_INSTANCE_PATH=str(tmp_path / "proc-instance"),
        P4P_MAIL_BACKEND="smtp",
        P4P_SMTP_HOST="127.0.0.1",
        P4P_SMTP_PORT=str(smtp.port),
        P4P_SMS_BACKEND="file",  # a deployment's processes: console backends are refused
        P4P_SCHEDULER_INTERVAL_SECONDS="1",
        P4P_REMINDER_HORIZON_HOURS="1",
    )
    return env


def _many_due_reminders(factory, db, count: int, due: datetime) -> list[str]:
    cohort = factory.cohort()
    keys = []
    for index in range(count):
        participant = factory.participant(cohort)
        key = f"survey:s2r{index}:u{participant.user_id}:email"
        db.add(
            Reminder(
                key=key,
                user_id=participant.user_id,
                kind="survey",
                channel="email",
                payload={"participant_id": participant.id, "months": 2},
                due_at=due,
                expires_at=due + timedelta(days=3),
                status="planned",
                attempts=0,
                created_at=due,
                updated_at=due,
            )
        )
        keys.append(participant.user.email)
    db.commit()
    return keys


def _flask(*args):
    return [sys.executable, "-m", "flask", "--app", "p4p", *args]


@pytest.mark.parametrize(
    ("senders", "count", "batch", "smtp_delay"),
    [(2, 40, "50", 0.0), (3, 150, "10", 0.03)],  # 150 at 0.03 s: 4.5 s of sending to share
    ids=["two senders", "three senders"],
)
def test_send_processes_at_once_deliver_each_reminder_once(
    app, factory, db, tmp_path, senders, count, batch, smtp_delay
):
    """Senders at once, as on several hosts, share the outbox batch by batch (SKIP LOCKED on
    PostgreSQL): every reminder goes, none twice."""
    moment = datetime(2026, 4, 24, 12, tzinfo=UTC)
    emails = _many_due_reminders(factory, db, count, moment - timedelta(minutes=1))
    with SmtpServer(delay=smtp_delay) as smtp:
        env = _environment(app, smtp, tmp_path)
        env["P4P_REMINDER_SEND_BATCH"] = batch
        command = _flask("reminders", "send", "--now", moment.isoformat())
        processes = [
            subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(senders)
        ]
        outputs = [p.communicate(timeout=180) for p in processes]
    assert [p.returncode for p in processes] == [0] * senders, outputs
    assert Counter(m["To"] for m in smtp.messages) == Counter(emails)  # every one, each once
    sent = [
        len([line for line in out.splitlines() if line.startswith("sent survey")])
        for out, _err in outputs
    ]
    assert sum(sent) == count, sent
    if senders == 3:
        assert sum(1 for n in sent if n) >= 2, sent  # shared, not taken in turns
    assert {r.status for r in reminders(db)} == {"sent"}


def _wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_slow_smtp_server_and_a_short_lease_still_deliver_each_reminder_once(
    app, factory, db, tmp_path
):
    """A sender slower than its lease must not let a second sender send the same rows again."""
    emails = _many_due_reminders(factory, db, 8, datetime.now(UTC) - timedelta(minutes=1))
    with SmtpServer(delay=1.0) as smtp:  # one second per message
        env = _environment(app, smtp, tmp_path)
        env["P4P_REMINDER_LEASE_MINUTES"] = "0.05"  # a 3-second lease, shorter than all 8 sends
        command = _flask("reminders", "send")  # the real clock, so leases do run out
        popen = dict(env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = subprocess.Popen(command, **popen)
        _wait_for(lambda: smtp.messages, timeout=60)
        time.sleep(3.5)  # whatever the first sender claimed at its start is older than the lease
        second = subprocess.Popen(command, **popen)
        outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    assert Counter(m["To"] for m in smtp.messages) == Counter(emails), outputs  # each once
    assert {r.status for r in reminders(db)} == {"sent"}


def _cohort_due_its_two_month_survey(factory, db, count: int) -> list[str]:
    """Real schedule data, so the schedulers' own planning creates the reminders (one each)."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    cohort = factory.cohort(start=add_months(yesterday, -2))
    assert yesterday - timedelta(days=10) <= add_months(cohort.start_date, 2) <= yesterday
    emails = []
    for _ in range(count):
        participant = factory.participant(cohort)
        # Only the survey, so the count of emails is exact whatever today's date.
        others = [k for k in PARTICIPANT_KINDS if k != "survey"]
        db.add(
            ReminderPreference(
                user_id=participant.user_id,
                kinds_off=others,
                quiet_start=None,
                quiet_end=None,
                updated_at=datetime.now(UTC),
            )
        )
        emails.append(participant.user.email)
    db.commit()
    return emails


def test_two_schedulers_started_by_mistake_still_send_each_reminder_once(
    app, factory, db, tmp_path
):
    emails = _cohort_due_its_two_month_survey(factory, db, 20)
    with SmtpServer() as smtp:
        env = _environment(app, smtp, tmp_path)
        command = _flask("scheduler", "--interval", "1", "--run-for", "6")
        processes = [
            subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert Counter(m["To"] for m in smtp.messages) == Counter(emails)
    assert {r.status for r in reminders(db) if r.due_at <= datetime.now(UTC)} == {"sent"}


def test_reminders_commands_print_what_they_did(runner, factory, db):
    factory.participant()
    planned = runner.invoke(args=["reminders", "plan", "--now", "2026-03-15T12:00:00+00:00"])
    assert planned.exit_code == 0 and "planned" in planned.output
    sent = runner.invoke(args=["reminders", "send", "--now", "2026-03-15T23:00:00+00:00"])
    assert (
        sent.exit_code == 0
        and "sent meeting-eve:" in sent.output
        and "sent practice:" in sent.output
    )
    again = runner.invoke(args=["reminders", "send", "--now", "2026-03-15T23:05:00+00:00"])
    assert "sent 0," in again.output
    bad = runner.invoke(args=["reminders", "send", "--now", "2026-03-15T23:05:00"])
    assert bad.exit_code != 0 and "UTC offset" in bad.output
