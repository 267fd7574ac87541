"""The reminder commands and the scheduler process.

flask --app p4p reminders plan [--all] [--now ISO-8601]
flask --app p4p reminders send [--now ISO-8601]
flask --app p4p scheduler            # one process; never inside web workers
"""

import contextlib
import logging
import os
import socket
import threading
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from p4p.cli import app_commands, now_from_option
from p4p.clock import now as clock_now
from p4p.db import session as db

log = logging.getLogger("p4p.reminders")
reminders_cli = AppGroup("reminders", help="Plan and send reminders by hand.")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def senders() -> dict:
    from p4p.messaging import get_sender
    from p4p.messaging.sms import get_sms_sender

    return {"email": get_sender(), "sms": get_sms_sender()}


def plan_now(moment: datetime, everything: bool = False):
    """A tick's planning (what changed, and the cohorts whose turn has come), or every cohort."""
    from p4p.modules.curriculum.service import get_program
    from p4p.modules.reminders.service import plan, plan_changes

    planner = plan if everything else plan_changes
    result = planner(db, get_program(), moment, current_app.config)
    db.commit()  # planning is one unit of work: every insert and cancellation, or none
    return result


def send_now(moment: datetime):
    from p4p.modules.curriculum.service import get_program
    from p4p.modules.reminders.sending import send_due

    return send_due(db, get_program(), moment, senders(), worker_name(), current_app.config)


@reminders_cli.command("plan")
@click.option("--now", "now_text", help="Plan as if it were this moment (ISO 8601 with offset).")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Every cohort, not only those changed or due a turn (after editing the program or the "
    "reminder settings).",
)
def plan_command(now_text, everything):
    """Insert every reminder that should exist; cancel planned ones that should not."""
    result = plan_now(now_from_option(now_text), everything)
    click.echo(
        f"planned {result.inserted} new, cancelled {result.cancelled} "
        f"({result.cohorts} cohorts planned)"
    )
    for key in result.keys:
        click.echo(f"cancelled {key}")


@reminders_cli.command("send")
@click.option("--now", "now_text", help="Send as if it were this moment (ISO 8601 with offset).")
def send_command(now_text):
    """Send every due reminder once; print what happened to each."""
    result = send_now(now_from_option(now_text))
    for line in result.lines:
        click.echo(line)
    click.echo(
        f"sent {result.sent}, retrying {result.retried}, failed {result.failed}, "
        f"expired {result.expired}, cancelled {result.cancelled}, reclaimed {result.reclaimed}, "
        f"lost claims {result.lost}"
    )


@app_commands.command("scheduler")
@click.option(
    "--interval", type=int, help="Seconds between runs (default P4P_SCHEDULER_INTERVAL_SECONDS)."
)
@click.option("--run-for", type=float, help="Stop after this many seconds (for tests and demos).")
def scheduler_command(interval, run_for):
    """Run the one scheduler process: plan and send on an interval."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    # The app itself, for the scheduler's thread; Flask types current_app as the Flask object it
    # stands for, not as the proxy it is.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    seconds = interval or int(app.config["SCHEDULER_INTERVAL_SECONDS"])

    started = threading.Event()

    def tick():
        with app.app_context():
            moment = clock_now()
            # The first tick plans every cohort: a restart often follows a new program or new
            # settings, which no change request announces. Later ticks plan what changed.
            planned = plan_now(moment, everything=not started.is_set())
            started.set()
            sent = send_now(moment)
            log.info(
                "tick: planned %d new, cancelled %d; sent %d, retrying %d, failed %d, expired %d, "
                "cancelled %d, reclaimed %d, lost claims %d",
                *(planned.inserted, planned.cancelled, sent.sent, sent.retried, sent.failed),
                *(sent.expired, sent.cancelled, sent.reclaimed, sent.lost),
            )

    scheduler = BlockingScheduler(timezone="UTC")
    # coalesce: a backlog of missed runs becomes one; max_instances: never two ticks at once here;
    # the grace time lets a late tick still run. Two processes by mistake are safe: claims are atomic.
    scheduler.add_job(
        tick,
        "interval",
        seconds=seconds,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(30, seconds),
        next_run_time=datetime.now().astimezone(),
        id="reminders",
    )
    if run_for:
        stopper = threading.Timer(run_for, scheduler.shutdown)
        stopper.daemon = True
        stopper.start()
    click.echo(f"scheduler running every {seconds} s (Ctrl+C stops it)")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


def init_app(app) -> None:
    app.cli.add_command(reminders_cli)
    app.cli.add_command(scheduler_command)
