"""Logging from configuration (P4P_LOG_LEVEL, P4P_LOG_FORMAT) and one line per request.

Records of p4p's own loggers ("p4p", "p4p.requests", "p4p.auth", "p4p.reminders", ...) carry
their fields as attributes, so the JSON format can show them as keys. Nothing logged here holds a
query string, a link's token, a password or a whole email address.
"""

import hashlib
import json
import logging
import logging.config
import sys
import time
from collections.abc import Callable

from flask import g, request

from p4p.config import ConfigError

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("plain", "json")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The fields a p4p record may carry besides its message (see `extra=` below).
FIELDS = ("method", "path", "status", "duration_ms")

log = logging.getLogger("p4p.requests")
_applied: dict | None = None  # the last configuration, so a process of many apps applies it once


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (gunicorn's, or a test's capture)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message and the record's fields."""

    converter: Callable[[float | None], time.struct_time] = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({name: getattr(record, name) for name in FIELDS if hasattr(record, name)})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def logging_config(level: str, format_name: str, testing: bool) -> dict:
    if level not in LEVELS:
        raise ConfigError(f"P4P_LOG_LEVEL must be one of {', '.join(LEVELS)}, not {level!r}")
    if format_name not in FORMATS:
        raise ConfigError(f"P4P_LOG_FORMAT must be plain or json, not {format_name!r}")
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": PLAIN_FORMAT},
            "json": {"()": JsonFormatter},
        },
        # p4p's records go up to the root's handler; other libraries log their warnings there.
        "loggers": {
            "p4p": {"level": level, "handlers": [], "propagate": True},
            # Its INFO line on a breach names the limit's key: for the per-account limit that
            # is the whole email. p4p logs its own "throttled" line instead (security.py).
            "flask-limiter": {"level": "WARNING"},
        },
    }
    if not testing:  # under pytest the root logger's handlers are pytest's (caplog)
        config["handlers"] = {"stderr": {"()": StderrHandler, "formatter": format_name}}
        config["root"] = {"level": "WARNING", "handlers": ["stderr"]}
    return config


def configure(app) -> None:
    global _applied
    level = str(app.config["LOG_LEVEL"]).upper()
    format_name = str(app.config["LOG_FORMAT"]).lower()
    config = logging_config(level, format_name, app.testing)
    if config != _applied:
        logging.config.dictConfig(config)
        _applied = config


def email_reference(email: str | None) -> str:
    """An address as logs may keep it: a short hash (the same person twice is visible) and the
    domain, never the mailbox."""
    normalised = (email or "").strip().lower()
    digest = hashlib.sha256(normalised.encode()).hexdigest()[:10]
    return f"{digest}@{normalised.rpartition('@')[2] or '?'}"


# Route arguments that are secrets (reset, invite and stop links): the line shows their name.
SECRET_ARGUMENTS = ("token",)


def loggable_path() -> str:
    """The request's path without its query string (it may carry a token) and with each secret
    route argument replaced by its name: /reset/<token>, never the link itself."""
    path = request.path
    for name in SECRET_ARGUMENTS:
        value = (request.view_args or {}).get(name)
        if value:
            path = path.replace(str(value), f"<{name}>")
    return path


def _start_timer():
    g.request_started = time.perf_counter()


def _log_request(response):
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else 0.0
    fields = {
        "method": request.method,
        "path": loggable_path(),
        "status": response.status_code,
        "duration_ms": duration_ms,
    }
    log.info("%s %s %s %.1fms", *fields.values(), extra=fields)
    return response


def init_app(app) -> None:
    configure(app)
    app.before_request(_start_timer)  # the first hook, so the duration covers the others
    app.after_request(_log_request)
