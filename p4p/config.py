"""Configuration: defaults here, then instance/config.py, then P4P_* environment variables."""

import contextlib
import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from p4p import resource_dir

DEFAULTS = {
    "DEMO": False,  # the demo (`make run`): the console mail and SMS backends are allowed
    "DATABASE_URL": None,  # None means the SQLite file instance/p4p.sqlite3
    "SECRET_KEY": None,  # None means generate once and keep it in instance/secret_key
    "CONTENT_DIR": None,  # None means the packaged content of both arms
    "BASE_URL": "http://127.0.0.1:5000",
    "LOG_LEVEL": "INFO",  # DEBUG | INFO | WARNING | ERROR
    "LOG_FORMAT": "plain",  # plain | json (one object a line)
    "PROXY_HOPS": 0,  # reverse proxies in front whose X-Forwarded-For/-Proto are trusted
    "MAIL_BACKEND": "console",  # console | file | smtp
    "MAIL_FILE_DIR": None,  # for the file backend; None means instance/outbox
    # Participants read the sender's name: no arm's name (nor "p4p") in it.
    "MAIL_FROM": "no-reply@localhost",
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
    # Failed logins per account from browsers without its device cookie: each tier a longer wait.
    "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute;20 per hour;50 per day",
    "LOGIN_DEVICE_RATE_LIMIT": "10 per minute;50 per hour;200 per day",  # per known device
    # Per staff member, so a few people pulling reports in a loop cannot starve the
    # participants' pages: the report pages together, and the exports together.
    "REPORT_RATE_LIMIT": "30 per minute",
    "EXPORT_RATE_LIMIT": "6 per minute;60 per hour",
    "SESSION_IDLE_MINUTES": 60,
    "SESSION_ABSOLUTE_HOURS": 12,
    "SESSION_COOKIE_SECURE": False,
    "SMS_BACKEND": "console",  # console | file | http (a Twilio-style Messages API)
    "SMS_API_URL": "https://api.twilio.com",
    "SMS_ACCOUNT_SID": None,
    "SMS_AUTH_TOKEN": None,
    "SMS_FROM": None,
    "REMINDER_EVE_HOUR": 18,
    "REMINDER_SOON_HOURS": 0,  # 2 adds a reminder two hours before each meeting
    "REMINDER_WEEK_OPEN_HOUR": 8,
    "REMINDER_PRACTICE_HOUR": 18,
    "REMINDER_DIGEST_HOURS": 3,
    "REMINDER_HORIZON_HOURS": 48,
    "REMINDER_LEASE_MINUTES": 10.0,  # a float, so a test can lease for seconds
    "REMINDER_MAX_ATTEMPTS": 6,
    "REMINDER_SEND_BATCH": 50,  # rows a sender claims, checks and renews at once
    "QUIET_HOURS_START": "21:00",
    "QUIET_HOURS_END": "08:00",
    # How participants reach the study team, on the help page; None: "ask your group leader".
    "STUDY_PHONE": None,
    "STUDY_EMAIL": None,
    # The time zone coordinators and admins (who have no site) see times in, e.g. on the audit
    # trail; None: the first site's (the study's home), or UTC before there is a site.
    "STUDY_TIMEZONE": None,
    "SURVEY_URL": "https://surveys.example.org/study?record={study_id}&months={months}",
    "SURVEY_MONTHS": [2, 4, 6],
    "SURVEY_WINDOW_DAYS": 14,
    "SCHEDULER_INTERVAL_SECONDS": 60,
    "COMPLETER_MIN_DOSE": 6,  # meetings attended, make-ups included, to count as a completer
    "REDCAP_EVENT_NAME": "program_arm_1",  # the redcap_event_name column of the REDCap export
    "REDCAP_FIELD_PREFIX": "p4p_",  # starts every REDCap variable name but record_id
    "PHONE_REGION": "US",  # the country of a phone number typed without its country code
    "DEFAULT_LANGUAGE": "en",
    "LANGUAGES": ["en", "es"],
}


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
        BABEL_TRANSLATION_DIRECTORIES=str(resource_dir("translations")),
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
        app.config["SECRET_KEY"] = instance_secret(instance / "secret_key")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])


# P4P_* variables read elsewhere (the factory, migrations, tests, the benchmark), not settings.
OTHER_VARIABLES = {"INSTANCE_PATH", "ALLOW_CONSENT_LOSS", "TEST_DATABASE_URL", "CHROMIUM"}
OTHER_PREFIXES = ("BENCH_", "SIM_", "UPDATE_SNAPSHOTS")

log = logging.getLogger("p4p.config")


class ConfigError(RuntimeError):
    """A setting the app refuses to start with; the message names the variable."""


def instance_secret(path: Path) -> str:
    """A random key made on first run and kept private in the instance folder.

    Workers starting together on a fresh folder must agree on it: each writes a whole key to a
    temporary file of its own and links it into place, which only the first can do (a link never
    replaces a file); then every worker reads the key that won. Nobody reads a half-written key.
    """
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another worker won: use its key
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    return path.read_text().strip()


def unknown_variables(environ) -> list[str]:
    """P4P_* variables that name no setting (a typo would otherwise be ignored in silence)."""
    known = DEFAULTS.keys() | OTHER_VARIABLES
    return sorted(
        name
        for name in environ
        if name.startswith("P4P_")
        and name[4:] not in known
        and not name[4:].startswith(OTHER_PREFIXES)
    )


def production_problems(config) -> list[str]:
    """Settings that suit only the demo or development: each names its variable."""
    problems = [
        f"P4P_{key} is 'console', which only writes the messages to the log and sends nothing: "
        f"set P4P_{key} to {real}"
        for key, real in (("MAIL_BACKEND", "smtp (or file)"), ("SMS_BACKEND", "http (or file)"))
        if config[key] == "console"
    ]
    if str(config["BASE_URL"]).startswith("https://") and not config["SESSION_COOKIE_SECURE"]:
        problems.append(
            "P4P_SESSION_COOKIE_SECURE is false while P4P_BASE_URL is https: set "
            "P4P_SESSION_COOKIE_SECURE=true so the session cookie is never sent unencrypted"
        )
    return problems


def check_deployment(app, environ) -> None:
    """For the app as a deployment starts it (create_app() from the environment): warn on unknown
    P4P_* variables, and refuse demo-only settings unless DEBUG, TESTING or P4P_DEMO is on."""
    for name in unknown_variables(environ):
        log.warning("%s is not a p4p setting and is ignored (see the README's table)", name)
    if app.debug or app.testing or app.config["DEMO"]:
        return
    problems = production_problems(app.config)
    if problems:
        raise ConfigError(
            "p4p will not start with these settings outside the demo:\n- "
            + "\n- ".join(problems)
            + "\n(P4P_DEMO=1, as `make run` sets, or FLASK_DEBUG=1 allows them.)"
        )
