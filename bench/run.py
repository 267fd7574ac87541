"""`make bench`: seed a study of trial scale into a temporary database, time the heavy pages and
every export, and compare the throughput of the participant home page, rendered from the
database on every request, with a bare Flask route.

Prints one JSON object per line: {"name", "seconds", "queries", "rows"} (throughput lines add
requests_per_second), then a line saying whether the targets are met; exits 1 if not.
SQLite in a temporary folder by default; with P4P_DATABASE_URL set to a PostgreSQL server,
a fresh database is created there for the run and dropped afterwards (never `test`).
"""

import argparse
import contextlib
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import seed
import throughput
from sqlalchemy import create_engine, event, func, select, text, update
from sqlalchemy.engine import make_url
from wsgi import add_bare_route, bench_config

from p4p import create_app, migrate
from p4p.modules.curriculum.service import get_program
from p4p.modules.participants.models import Participant
from p4p.modules.reminders.models import Reminder, ReminderStatus
from p4p.modules.sites.models import Cohort

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # a fixed moment: the same study every run
BENCH = Path(__file__).parent
REPEATS = 3  # each timing is the median of three runs (the first warms the caches)
TURNS = 3  # throughput: three turns of 4 s on each route
SEND_BUDGET = 60  # seconds the sender runs before the runner counts what went
# The targets of issue "Ready for a national rollout", for any size (seconds unless named).
TARGETS = {
    "start-up": 1.0,
    "study report": 2.0,
    "staff page": 0.5,
    "export per 10,000 participants": 3.0,  # streamed: linear in the study is fine
    "plan, nothing new": 2.0,
    "plan, peak MB": 300,
    "plan after 50 moves": 5.0,
    "sent per minute": 1000,
    "home vs bare": 0.3,
    "home p95 under exports": 1.0,
}
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


def measure_pages(app, ids: dict, people: dict, size: int) -> dict[str, dict]:
    queries = QueryCount(app.extensions["p4p.engine"])
    coordinator = logged_in(app, ids["coordinator"])
    facilitator = logged_in(app, ids["facilitator"])
    participant = logged_in(app, ids["participant_email"])
    export_target = round(TARGETS["export per 10,000 participants"] * max(1, size / 10_000), 1)
    pages = [
        ("study report", coordinator, "/reports/", people["study"], TARGETS["study report"]),
        ("site report", coordinator, f"/reports/sites/{ids['site_id']}", people["site"], None),
        ("cohort report", coordinator, f"/reports/cohorts/{ids['cohort_id']}", people["cohort"],
         None),
        *[
            (f"export {fmt}", coordinator, ("/reports/attendance.csv", {"format": fmt}), None,
             export_target)
            for fmt in ("long", "summary", "redcap", "redcap-dictionary")
        ],
        ("coordinator's staff page (follow-up list, study-wide)", coordinator, "/staff/",
         people["study"], TARGETS["staff page"]),
        ("facilitator's staff page", facilitator, "/staff/", people["site"], TARGETS["staff page"]),
        ("cohort list, first page", coordinator, "/admin/cohorts", None, None),
        ("participant list, first page", coordinator, "/admin/participants", None, None),
        ("audit trail, first page", coordinator, "/admin/audit", None, None),
        ("participant home page", participant, "/home", 1, None),  # rendered every time
        ("facilitator attendance sheet", facilitator,
         f"/staff/meetings/{ids['meeting_id']}/attendance", people["cohort"], None),
    ]  # fmt: skip
    results = {}
    for name, client, path, rows, target in pages:
        path, form = path if isinstance(path, tuple) else (path, None)
        seconds, count, body = timed(client, path, queries, form)
        if rows is None and form:  # an export: its data lines
            rows = body.count("\n") - 1
        extra = {} if target is None else {"target": target}
        results[name] = emit(name, seconds, count, rows, **extra)
    return results


def _bench_env(url: str, folder: Path, secret: str) -> dict:
    return {
        **os.environ,
        "P4P_BENCH_DATABASE_URL": url,
        "P4P_BENCH_INSTANCE": str(folder / "instance"),
        "P4P_BENCH_NOW": NOW.isoformat(),
        "P4P_BENCH_SECRET": secret,
    }


def measure_startup(env: dict) -> dict:
    """A fresh process importing p4p and creating the app, as every worker and CLI call does."""
    script = (
        "import sys, time\n"
        "started = time.perf_counter()\n"
        f"sys.path.insert(0, {str(BENCH)!r})\n"
        "from wsgi import create_bench_app\n"
        "create_bench_app()\n"
        "print(time.perf_counter() - started)\n"
    )
    runs = [
        float(subprocess.run([sys.executable, "-c", script], env=env,  # noqa: S603 - our own
                             capture_output=True, text=True, check=True).stdout)
        for _ in range(REPEATS)
    ]  # fmt: skip
    return emit("start-up (import and create_app, a fresh process)",
                round(statistics.median(runs), 3), None, None, target=TARGETS["start-up"])  # fmt: skip


def _tick(env: dict, action: str, moment: datetime, timeout: float | None = None) -> dict:
    command = [sys.executable, str(BENCH / "tick.py"), action, moment.isoformat()]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"tick.py {action} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_reminders(app, env: dict) -> dict[str, dict]:
    """Reminder ticks in processes of their own: the scheduler's first tick (every cohort), a
    tick with nothing new a minute later (the cohorts whose turn came), one after a coordinator
    moved 50 meetings, then a sender for SEND_BUDGET seconds (killed if still going; what it
    sent is counted in the outbox)."""
    found = {}
    first = _tick(env, "plan-all", NOW)
    found["plan, first"] = emit("reminders plan --all, the first tick", first["seconds"],
                                first["queries"], first["inserted"], cohorts=first["cohorts"],
                                peak_mb=first["peak_mb"])  # fmt: skip
    idle = _tick(env, "plan", NOW + timedelta(minutes=1))
    found["plan, nothing new"] = emit(
        "reminders plan, nothing new", idle["seconds"], idle["queries"], idle["inserted"],
        cohorts=idle["cohorts"], peak_mb=idle["peak_mb"], target=TARGETS["plan, nothing new"],
        target_peak_mb=TARGETS["plan, peak MB"],
    )  # fmt: skip
    moved = _tick(env, "move-and-plan", NOW + timedelta(minutes=2))
    found["plan after 50 moves"] = emit(
        f"reminders plan after {moved['moved']} meetings moved", moved["seconds"],
        moved["queries"], moved["inserted"], cancelled=moved["cancelled"],
        cohorts=moved["cohorts"], peak_mb=moved["peak_mb"], target=TARGETS["plan after 50 moves"],
    )  # fmt: skip
    engine = app.extensions["p4p.engine"]
    with engine.begin() as connection:  # a clean count: nothing sent before this run
        connection.execute(
            update(Reminder)
            .where(Reminder.status == ReminderStatus.SENT)
            .values(status=ReminderStatus.PLANNED)
        )
    send_at = NOW + timedelta(hours=6)
    with engine.connect() as connection:
        due = connection.scalar(
            select(func.count(Reminder.id)).where(
                Reminder.status == ReminderStatus.PLANNED, Reminder.due_at <= send_at
            )
        )
    started, tick = time.perf_counter(), None
    with contextlib.suppress(subprocess.TimeoutExpired):  # the budget is up: count what went
        tick = _tick(env, "send", send_at, timeout=SEND_BUDGET)
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        sent = connection.scalar(
            select(func.count(Reminder.id)).where(Reminder.status == ReminderStatus.SENT)
        )
    # The tick's own count of queries, when it finished within the budget (a killed one prints
    # nothing): per message sent, as the issue counts them.
    queries = tick["queries"] if tick else None
    found["send"] = emit(
        "reminders send (file senders, one process)", round(seconds, 3), queries, sent, due=due,
        queries_per_message=round(queries / sent, 2) if queries and sent else None,
        sent_per_minute=round(sent * 60 / seconds), target_sent_per_minute=TARGETS["sent per minute"],
    )  # fmt: skip
    return found


def measure_throughput(env: dict, folder: Path, email: str, pages: dict) -> dict:
    """Requests per second of the bare route and the rendered home page, in turns, in one
    gunicorn."""
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


def measure_under_exports(env: dict, folder: Path, ids: dict) -> dict:
    """The participant home page's p95 while three coordinators stream the long export back to
    back, served as the README deploys it (threaded workers from p4p.gunicorn_conf)."""
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="participants to seed")
    size = parser.parse_args().size
    folder = Path(tempfile.mkdtemp(prefix="p4p-bench-"))
    secret = secrets.token_hex(16)
    try:
        with temporary_database(folder) as url:
            app = create_app(bench_config(url, str(folder / "instance"), NOW, secret))
            add_bare_route(app)
            env = _bench_env(url, folder, secret)
            with app.app_context():
                from p4p.db import session as db

                migrate.upgrade()
                started = time.perf_counter()
                ids = seed.seed(db, get_program(), NOW, size)
                emit("seed (bulk inserts)", round(time.perf_counter() - started, 3), None,
                     sum(ids["counts"].values()), **ids["counts"])  # fmt: skip
                ids["participant_email"] = seed.give_password(db, ids["participant_user_id"])
                people = _people(db, ids)
            figures = {"start-up": measure_startup(env)}
            figures |= measure_pages(app, ids, people, size)
            figures |= measure_reminders(app, env)
            figures |= measure_throughput(env, folder, ids["participant_email"], figures)
            figures[UNDER_EXPORTS] = measure_under_exports(env, folder, ids)
            app.extensions["p4p.engine"].dispose()
        return _targets(figures)
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


def _targets(figures: dict) -> int:
    """Every figure that has a target, met or not; exit 1 if one is missed."""
    ratio = figures[HOME]["requests_per_second"] / max(
        figures["bare Flask route"]["requests_per_second"], 0.001
    )
    met = {
        name: line["seconds"] < line["target"]
        for name, line in figures.items()
        if line.get("target") is not None
    }
    idle = figures["plan, nothing new"]
    met["reminders plan, nothing new: peak MB"] = idle["peak_mb"] < idle["target_peak_mb"]
    send = figures["send"]
    met["reminders send: per minute"] = send["sent_per_minute"] >= send["target_sent_per_minute"]
    met["a rendered home page at least 0.3 of the bare route"] = ratio >= TARGETS["home vs bare"]
    met["home page p95 under 1 s while three exports stream"] = (
        figures[UNDER_EXPORTS]["p95"] < TARGETS["home p95 under exports"]
    )
    emit("targets", None, None, None, home_to_bare=round(ratio, 2), met=met)
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
