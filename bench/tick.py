"""One reminder tick in a process of its own, as the scheduler's would be: `plan-all` (every
cohort, as the scheduler's first tick), `plan` at a moment (what changed and the cohorts whose
turn came), or `move-and-plan` (a coordinator moves the next meeting of 50 cohorts by an hour, then the
tick), or `send` (until killed: the runner counts what went). Prints one JSON line with the
tick's seconds, queries and the process's peak memory, so each figure is the tick's own and
not the benchmark's.

Settings come from the runner's environment (P4P_BENCH_*), as for bench/wsgi.py.
"""

import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import event, select
from wsgi import create_bench_app

MOVED_COHORTS = 50


def _move_next_meetings(db, now: datetime) -> int:
    from seed import COORDINATOR

    from p4p.modules.auth.models import User
    from p4p.modules.sites.meetings import move_meeting
    from p4p.modules.sites.models import Meeting

    coordinator_id = db.scalar(select(User.id).where(User.email == COORDINATOR))
    upcoming = db.scalars(
        select(Meeting)
        .where(Meeting.starts_at > now + timedelta(hours=2), Meeting.status == "scheduled")
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(MOVED_COHORTS)
    ).all()
    for meeting in upcoming:
        move_meeting(
            db, meeting, meeting.starts_at + timedelta(hours=1), "bench", coordinator_id, now
        )
    db.commit()
    return len(upcoming)


def _peak_mb() -> float:
    """This process's own peak resident memory. Not getrusage's ru_maxrss: Linux carries that
    across exec, so it reports the (much larger) benchmark runner that started this process.
    VmHWM belongs to the address space, which exec makes anew."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(action: str, moment_text: str) -> None:
    from p4p.db import session as db
    from p4p.modules.reminders.tasks import plan_now, send_now

    moment = datetime.fromisoformat(moment_text)
    app = create_bench_app()
    # Messages go to files, as the "file sender" figure: the sending, not a network;
    # or, with P4P_BENCH_SMTP_PORT, email to a local SMTP server there (texts still to files).
    app.config.update(MAIL_BACKEND="file", SMS_BACKEND="file")
    if os.environ.get("P4P_BENCH_SMTP_PORT"):
        smtp_port = int(os.environ["P4P_BENCH_SMTP_PORT"])
        app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port)
    queries = [0]
    event.listen(
        app.extensions["p4p.engine"],
        "before_cursor_execute",
        lambda *_args: queries.__setitem__(0, queries[0] + 1),
    )
    with app.app_context():
        found: dict = {}
        if action == "move-and-plan":
            found["moved"] = _move_next_meetings(db, moment)
        queries[0] = 0
        started = time.perf_counter()
        if action in ("plan", "plan-all", "move-and-plan"):
            result = plan_now(moment, everything=action == "plan-all")
            found.update(
                inserted=result.inserted, cancelled=result.cancelled, cohorts=result.cohorts
            )
        elif action == "send":
            found["sent"] = send_now(moment).sent
        else:
            raise SystemExit(f"unknown action {action!r}")
        seconds = time.perf_counter() - started
    peak_mb = _peak_mb()
    print(json.dumps({"seconds": round(seconds, 3), "queries": queries[0],
                      "peak_mb": round(peak_mb), **found}))  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:3])
