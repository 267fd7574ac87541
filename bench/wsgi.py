"""The app the benchmark serves with gunicorn: the real factory, plus a bare route to
compare with. The bare route exists only here, never in the real app.

Settings come from the environment the bench runner sets (P4P_BENCH_*), so every gunicorn
worker opens the same temporary database with the same secret key and the same fixed clock.
"""

import os
from datetime import datetime

from p4p import create_app
from p4p.access import public
from p4p.clock import FixedClock


def bench_config(database_url: str, instance: str, now: datetime, secret: str) -> dict:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret,
        "INSTANCE_PATH": instance,
        "CLOCK": FixedClock(now),
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,  # the bench logs in with a test client
        "MAIL_BACKEND": "console",
        "LOG_LEVEL": "WARNING",  # a request line per request would be measured too
    }


def add_bare_route(app) -> None:
    """A route that does nothing, served through the same hooks and headers as every page."""

    @app.route("/bench/bare")
    @public
    def bare():
        return "ok"


def create_bench_app():
    app = create_app(
        bench_config(
            os.environ["P4P_BENCH_DATABASE_URL"],
            os.environ["P4P_BENCH_INSTANCE"],
            datetime.fromisoformat(os.environ["P4P_BENCH_NOW"]),
            os.environ["P4P_BENCH_SECRET"],
        )
    )
    add_bare_route(app)
    return app
