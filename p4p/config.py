"""Configuration: defaults here, then instance/config.py, then P4P_* environment variables."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

DEFAULTS = {
    "DATABASE_URL": None,  # None means the SQLite file instance/p4p.sqlite3
    "SECRET_KEY": None,  # None means generate once and keep it in instance/secret_key
    "CONTENT_DIR": None,  # None means the packaged content of both arms
    "BASE_URL": "http://127.0.0.1:5000",
    "LOG_LEVEL": "INFO",  # DEBUG | INFO | WARNING | ERROR
    "LOG_FORMAT": "plain",  # plain | json (one object a line)
    "PROXY_HOPS": 0,  # reverse proxies in front whose X-Forwarded-For/-Proto are trusted
    "MAIL_BACKEND": "console",  # console | file | smtp
    "MAIL_FILE_DIR": None,  # for the file backend; None means instance/outbox
    "MAIL_FROM": "p4p <no-reply@localhost>",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": False,
    "SMTP_TIMEOUT": 10,
    "INVITE_TTL_HOURS": 24 * 7,
    "RESET_TTL_HOURS": 2,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_ENABLED": True,
    "LOGIN_RATE_LIMIT": "10 per minute;60 per hour",
    "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute;30 per hour",
    "SESSION_IDLE_MINUTES": 60,
    "SESSION_ABSOLUTE_HOURS": 12,
    "SESSION_COOKIE_SECURE": False,
    "SMS_BACKEND": "console",  # console | file | http (a Twilio-style Messages API)
    "SMS_API_URL": "https://api.twilio.com",
    "SMS_ACCOUNT_SID": None,
    "SMS_AUTH_TOKEN": None,
    "SMS_FROM": None,
    "SMS_INBOUND_TOKEN": None,  # secret path part of the provider's inbound webhook (STOP replies)
    "REMINDER_EVE_HOUR": 18,
    "REMINDER_SOON_HOURS": 0,  # 2 adds a reminder two hours before each meeting
    "REMINDER_WEEK_OPEN_HOUR": 8,
    "REMINDER_PRACTICE_HOUR": 18,
    "REMINDER_DIGEST_HOURS": 3,
    "REMINDER_HORIZON_HOURS": 48,
    "REMINDER_LEASE_MINUTES": 10.0,  # a float, so a test can lease for seconds
    "REMINDER_MAX_ATTEMPTS": 6,
    "QUIET_HOURS_START": "21:00",
    "QUIET_HOURS_END": "08:00",
    "SURVEY_URL": "https://surveys.example.org/p4p?record={study_id}&months={months}",
    "SURVEY_MONTHS": [2, 4, 6],
    "SURVEY_WINDOW_DAYS": 14,
    "SCHEDULER_INTERVAL_SECONDS": 60,
    "COMPLETER_MIN_DOSE": 6,  # meetings attended, make-ups included, to count as a completer
    "REDCAP_EVENT_NAME": "program_arm_1",  # the redcap_event_name column of the REDCap export
    "REDCAP_FIELD_PREFIX": "p4p_",  # starts every REDCap variable name but record_id
    "PHONE_REGION": "US",  # the country of a phone number typed without its country code
    "DEFAULT_LANGUAGE": "en",
    "LANGUAGES": ["en", "es"],
    "PAGE_CACHE_SIZE": 2000,  # rendered participant home pages kept per process (0: none)
}

# Settings that keep Flask's own names (no P4P_ prefix inside the app).
_FLASK_NAMES = {"SECRET_KEY", "SESSION_COOKIE_SECURE"}


def _coerce(raw: str, default):
    """Environment values are strings; read them as the type of the default."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, list):
        return [
            type(default[0])(part.strip()) if default else part.strip()
            for part in raw.split(",")
            if part.strip()
        ]
    return raw


def load_config(app, test_config: dict | None) -> None:
    app.config.update(DEFAULTS)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The cookie is re-sent when the session changes (seen_at, at most once a minute),
        # not on every response: signing it each time was measurable on every page.
        SESSION_REFRESH_EACH_REQUEST=False,
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # the session's own timeouts bound a token's life
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="en",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(app.root_path).parent / "translations"),
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for key, default in DEFAULTS.items():
            raw = os.environ.get(f"P4P_{key}")
            if raw is not None:
                app.config[key] = _coerce(raw, default if default is not None else "")
    else:
        app.config.update(test_config)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'p4p.sqlite3'}"
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])


def _instance_secret(path: Path) -> str:
    """A random key made on first run and kept private in the instance folder."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
