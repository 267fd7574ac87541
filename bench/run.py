"""`make bench`: seed a study of trial scale into a temporary database, time the heavy pages and
every export, and compare the throughput of the participant home page, rendered from the
database on every request, with a bare Flask route.

Prints one JSON object per line: {"name", "seconds", "queries", "rows"} (throughput lines add
requests_per_second), then a line saying whether the targets are met; exits 1 if not.
SQLite in a temporary folder by default; with P4P_DATABASE_URL set to a PostgreSQL server,
a fresh database is created there for the run and dropped afterwards (never `test`).
"""

import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import seed
import throughput
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from wsgi import add_bare_route, bench_config

from p4p import create_app, migrate
from p4p.modules.curriculum.service import get_program
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Cohort

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # a fixed moment: the same study every run
REPEATS = 3  # each timing is the median of three runs (the first warms the caches)
TURNS = 3  # throughput: three turns of 4 s on each route
TARGETS = {"study report": 1.0, "export": 3.0, "home vs bare": 0.3, "home p95 under exports": 1.0}
HOME = "participant home page, rendered every time"
UNDER_EXPORTS = "participant home page while three exports stream (gunicorn, p4p.gunicorn_conf)"


def emit(name: str, seconds, queries, rows, **extra) -> dict:
    line = {"name": name, "seconds": seconds, "queries": queries, "rows": rows, **extra}
    print(json.dumps(line), flush=True)
    return line


@contextmanager
def temporary_database(folder: Path):
    """A SQLite file in `folder`, or a new PostgreSQL database dropped when done."""
    server = os.environ.get("P4P_DATABASE_URL")
    if not server:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    url = make_url(server)
    if not url.get_backend_name().startswith("postgresql"):
        raise SystemExit("P4P_DATABASE_URL: the benchmark runs on SQLite or PostgreSQL only")
    name = f"p4p_bench_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class QueryCount:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._add)

    def _add(self, *_args):
        self.count += 1


def timed(client, path: str, queries: QueryCount, form=None) -> tuple[float, int, str]:
    """Median seconds of REPEATS full requests (a streamed body read to its end); a POST of
    `form` when given (an export)."""
    runs = []
    for _ in range(REPEATS):
        queries.count = 0
        started = time.perf_counter()
        response = client.post(path, data=form) if form else client.get(path)
        body = response.get_data(as_text=True)
        runs.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    return round(statistics.median(runs), 3), queries.count, body


def logged_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": seed.PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"could not log in as {email}")
    return client


def measure_pages(app, ids: dict, people: dict) -> dict[str, dict]:
    queries = QueryCount(app.extensions["p4p.engine"])
    coordinator = logged_in(app, ids["coordinator"])
    facilitator = logged_in(app, ids["facilitator"])
    participant = logged_in(app, ids["participant_email"])
    pages = [
        ("study report", coordinator, "/reports/", people["study"]),
        ("site report", coordinator, f"/reports/sites/{ids['site_id']}", people["site"]),
        ("cohort report", coordinator, f"/reports/cohorts/{ids['cohort_id']}", people["cohort"]),
        *[
            (f"export {fmt}", coordinator, ("/reports/attendance.csv", {"format": fmt}), None)
            for fmt in ("long", "summary", "redcap", "redcap-dictionary")
        ],
        ("participant home page", participant, "/home", 1),  # rendered every time
        ("facilitator attendance sheet", facilitator,
         f"/staff/meetings/{ids['meeting_id']}/attendance", people["cohort"]),
    ]  # fmt: skip
    results = {}
    for name, client, path, rows in pages:
        path, form = path if isinstance(path, tuple) else (path, None)
        seconds, count, body = timed(client, path, queries, form)
        if rows is None:  # an export: its data lines
            rows = body.count("\n") - 1
        results[name] = emit(name, seconds, count, rows)
    return results


def measure_throughput(url: str, folder: Path, secret: str, email: str, pages: dict) -> dict:
    """Requests per second of the bare route and the rendered home page, in turns, in one
    gunicorn."""
    env = {
        "P4P_BENCH_DATABASE_URL": url,
        "P4P_BENCH_INSTANCE": str(folder / "instance"),
        "P4P_BENCH_NOW": NOW.isoformat(),
        "P4P_BENCH_SECRET": secret,
    }
    routes = [
        ("bare Flask route", "/bench/bare", 0),
        (HOME, "/home", pages["participant home page"]["queries"]),
    ]
    return _served(env, folder, email, routes)


def _served(env: dict, folder: Path, email: str, routes: list) -> dict:
    workers = max(2, os.cpu_count() or 2)
    options = ["--workers", str(workers)]
    server, port = throughput.start_gunicorn(env, options, folder / "gunicorn.log")
    try:
        cookie = throughput.log_in(port, email, seed.PASSWORD)
        headers = {"Cookie": f"session={cookie}"}
        status, _size = throughput.request(port, "/home", headers)
        if status != 200:
            raise RuntimeError(f"the participant's session does not work in gunicorn ({status})")
        totals = {name: {"seconds": 0.0, "requests": 0, "failed": 0} for name, _p, _q in routes}
        for _turn in range(TURNS):  # in turns, so a slow moment of the machine hits both
            for name, path, _queries in routes:
                result = throughput.requests_per_second(
                    port, path, headers, threads=2 * workers, seconds=4, limit=20_000
                )
                for field in ("seconds", "requests", "failed"):
                    totals[name][field] += result[field]
        found = {}
        for name, _path, queries in routes:
            total = totals[name]
            found[name] = emit(f"throughput: {name} (gunicorn, {workers} workers)",
                               round(total["seconds"], 3), queries, total["requests"],
                               requests_per_second=round(total["requests"] / total["seconds"], 1),
                               failed=total["failed"])  # fmt: skip
        return found
    finally:
        throughput.stop(server)


def measure_under_exports(url: str, folder: Path, secret: str, ids: dict) -> dict:
    """The participant home page's p95 while three coordinators stream the long export back to
    back, served as the README deploys it (threaded workers from p4p.gunicorn_conf)."""
    env = {
        "P4P_BENCH_DATABASE_URL": url,
        "P4P_BENCH_INSTANCE": str(folder / "instance"),
        "P4P_BENCH_NOW": NOW.isoformat(),
        "P4P_BENCH_SECRET": secret,
    }
    options = ["-c", "python:p4p.gunicorn_conf"]
    server, port = throughput.start_gunicorn(env, options, folder / "gunicorn-threads.log")
    try:
        participant = throughput.log_in(port, ids["participant_email"], seed.PASSWORD)
        coordinator = throughput.log_in(port, ids["coordinator"], seed.PASSWORD)
        export = ("/reports/attendance.csv", {"Cookie": f"session={coordinator}"}, "format=long")
        result = throughput.seconds_while_loaded(
            port, "/home", {"Cookie": f"session={participant}"}, [export] * 3, requests=60
        )
    finally:
        throughput.stop(server)
    seconds = result["seconds"]
    return emit(UNDER_EXPORTS, round(statistics.median(seconds), 3), None, len(seconds),
                p95=round(statistics.quantiles(seconds, n=20)[-1], 3), failed=result["failed"],
                exports_served=result["load_requests"])  # fmt: skip


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="p4p-bench-"))
    secret = secrets.token_hex(16)
    try:
        with temporary_database(folder) as url:
            app = create_app(bench_config(url, str(folder / "instance"), NOW, secret))
            add_bare_route(app)
            with app.app_context():
                from p4p.db import session as db

                migrate.upgrade()
                started = time.perf_counter()
                ids = seed.seed(db, get_program(), NOW)
                emit("seed (bulk inserts)", round(time.perf_counter() - started, 3), None,
                     sum(ids["counts"].values()), **ids["counts"])  # fmt: skip
                ids["participant_email"] = seed.give_password(db, ids["participant_user_id"])
                people = _people(db, ids)
            pages = measure_pages(app, ids, people)
            rates = measure_throughput(url, folder, secret, ids["participant_email"], pages)
            rates[UNDER_EXPORTS] = measure_under_exports(url, folder, secret, ids)
            app.extensions["p4p.engine"].dispose()
        return _targets(pages, rates)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _people(db, ids: dict) -> dict:
    def count(*conditions):
        return db.scalar(select(func.count(Participant.id)).where(*conditions))

    at_site = select(Cohort.id).where(Cohort.site_id == ids["site_id"])
    return {
        "study": count(),
        "site": count(Participant.cohort_id.in_(at_site)),
        "cohort": count(Participant.cohort_id == ids["cohort_id"]),
    }


def _targets(pages: dict, rates: dict) -> int:
    exports = {name: line["seconds"] for name, line in pages.items() if name.startswith("export")}
    ratio = rates[HOME]["requests_per_second"] / max(
        rates["bare Flask route"]["requests_per_second"], 0.001
    )
    met = {
        "study report under 1 s": pages["study report"]["seconds"] < TARGETS["study report"],
        "each export under 3 s": all(s < TARGETS["export"] for s in exports.values()),
        "a rendered home page at least 0.3 of the bare route": ratio >= TARGETS["home vs bare"],
        "home page p95 under 1 s while three exports stream": rates[UNDER_EXPORTS]["p95"]
        < TARGETS["home p95 under exports"],
    }
    emit("targets", None, None, None, home_to_bare=round(ratio, 2), met=met)
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
