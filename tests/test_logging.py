"""Logs a deployment can use: one line per request, failed logins and throttling without secrets,
the scheduler's tick, plain or JSON as configured."""

import json
import logging

import pytest
from conftest import login
from sqlalchemy import func, select

from p4p import create_app, logs
from p4p.config import ConfigError
from p4p.modules.reminders.models import Reminder

SECRET_GUESS = "my secret guess 42"


def _text_of(records) -> str:
    """Everything a record carries: its message, its extra fields and its arguments."""
    return "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in records)


def test_a_failed_login_is_logged_without_the_password_or_the_whole_email(client, factory, caplog):
    factory.user(email="rosa.martinez@example.org")
    caplog.set_level(logging.INFO, logger="p4p")
    assert login(client, "rosa.martinez@example.org", SECRET_GUESS).status_code == 200
    failed = [r for r in caplog.records if "failed login" in r.getMessage()]
    assert len(failed) == 1 and failed[0].levelno == logging.WARNING
    assert "example.org" in failed[0].getMessage()  # the domain is enough to see an attack's shape
    everything = _text_of(caplog.records)
    assert SECRET_GUESS not in everything and "rosa.martinez" not in everything


def test_throttling_is_logged_without_the_password(app_config, caplog):
    client = create_app({**app_config, "LOGIN_RATE_LIMIT": "1 per minute"}).test_client()
    caplog.set_level(logging.INFO, logger="p4p")
    assert login(client, "who@example.org", SECRET_GUESS).status_code == 200
    assert login(client, "who@example.org", SECRET_GUESS).status_code == 429
    throttled = [r for r in caplog.records if "throttled" in r.getMessage()]
    assert len(throttled) == 1 and "/login" in throttled[0].getMessage()
    everything = _text_of(caplog.records)
    assert SECRET_GUESS not in everything and "who@" not in everything


def test_the_per_account_limit_never_logs_the_whole_email(app_config, caplog):
    client = create_app({**app_config, "LOGIN_ACCOUNT_RATE_LIMIT": "1 per minute"}).test_client()
    caplog.set_level(logging.DEBUG)  # every logger, the libraries' too
    assert login(client, "who@example.org", SECRET_GUESS).status_code == 200
    assert login(client, "who@example.org", SECRET_GUESS).status_code == 429
    assert any("throttled" in r.getMessage() for r in caplog.records)
    everything = _text_of(caplog.records)
    assert SECRET_GUESS not in everything and "who@" not in everything


def test_each_request_logs_one_line_with_its_status_and_duration_but_no_query(client, caplog):
    caplog.set_level(logging.INFO, logger="p4p")
    assert client.get("/login?next=/reset/secret-token-abc").status_code == 200
    assert client.get("/nothing-here").status_code == 404
    lines = [r for r in caplog.records if r.name == "p4p.requests"]
    assert [(r.method, r.path, r.status) for r in lines] == [
        ("GET", "/login", 200),
        ("GET", "/nothing-here", 404),
    ]
    assert all(isinstance(r.duration_ms, float) and r.duration_ms >= 0 for r in lines)
    assert "GET /login 200" in lines[0].getMessage() and "ms" in lines[0].getMessage()
    assert "secret-token" not in _text_of(caplog.records)


@pytest.fixture
def root_logger_restored():
    """An app that is not TESTING takes the root logger over; give it back to pytest afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logs._applied = None


def test_json_logs_are_one_object_a_line(app_config, capsys, root_logger_restored):
    app = create_app({**app_config, "TESTING": False, "LOG_FORMAT": "json"})
    capsys.readouterr()
    app.test_client().get("/login?next=/x")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    request_line = next(line for line in lines if line["logger"] == "p4p.requests")
    assert request_line["path"] == "/login" and request_line["status"] == 200
    assert request_line["level"] == "INFO" and request_line["time"].endswith("Z")


def test_the_log_level_is_configured(app_config, capsys, root_logger_restored):
    app = create_app({**app_config, "TESTING": False, "LOG_LEVEL": "WARNING"})
    capsys.readouterr()
    app.test_client().get("/login")
    assert "GET /login" not in capsys.readouterr().err
    with pytest.raises(ConfigError, match="P4P_LOG_FORMAT"):
        create_app({**app_config, "LOG_FORMAT": "xml"})


def test_the_scheduler_tick_logs_what_it_planned_and_sent(runner, factory, db, caplog):
    factory.participant()
    caplog.set_level(logging.INFO, logger="p4p")
    result = runner.invoke(args=["scheduler", "--interval", "1", "--run-for", "1.5"])
    assert result.exit_code == 0, result.output
    ticks = [r.getMessage() for r in caplog.records if r.getMessage().startswith("tick:")]
    assert ticks, caplog.text
    planned = db.scalar(select(func.count()).select_from(Reminder))
    assert f"planned {planned} new" in ticks[0]
    for word in ("sent", "retrying", "failed", "expired", "cancelled"):
        assert word in ticks[0]
