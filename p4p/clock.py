"""The one place the app reads the wall clock; tests hand create_app a fixed clock instead."""

from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The current UTC time for this app (views call this, services take `now` as an argument)."""
    return current_app.extensions["p4p.clock"]()


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment from the command line; it must name its UTC offset, or local and UTC
    would be confused."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("give a UTC offset, e.g. 2026-11-21T18:00:00+00:00")
    return moment


class FixedClock:
    """A clock that stands still until moved; for tests and the demo's `--now`."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.at = self.at + timedelta(**delta)
