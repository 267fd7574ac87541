"""flask commands: db upgrade/downgrade, seed-demo, create-user, send-invite, curriculum check
(the instruments and export groups live in their modules' cli.py)."""

import sys
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from p4p.clock import now as clock_now
from p4p.clock import parse_moment
from p4p.db import session as db
from p4p.modules.auth.models import Role
from p4p.modules.instruments.cli import instruments_cli
from p4p.modules.reports.cli import export_cli

# Each db command imports p4p.migrate itself: Alembic would cost every worker and every other
# CLI call 0.12 s at start-up.
db_cli = AppGroup("db", help="Create or upgrade the database schema (Alembic).")
curriculum_cli = AppGroup("curriculum", help="Check the program content.")
# The commands outside any group (seed-demo, create-user, send-invite, scheduler), declared on an
# AppGroup so that Flask wraps each in with_appcontext. The `flask` command pushes an app context
# for every command anyway; the test runner invokes app.cli, which does not.
app_commands = AppGroup("p4p")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision):
    """Create the database or bring it up to the latest schema; data is kept."""
    from p4p import migrate

    try:
        migrate.upgrade(revision)
    except migrate.MigrationRefused as refused:
        raise click.ClickException(str(refused)) from refused
    click.echo(f"database at revision {migrate.current_revision()}")


@db_cli.command("downgrade")
@click.argument("revision")
@click.option(
    "-x",
    "x_arguments",
    multiple=True,
    help="An Alembic x-argument, e.g. -x allow-consent-loss=yes (needed below 0003).",
)
def db_downgrade(revision, x_arguments):
    """Step the schema back to REVISION (e.g. -1, or base); refused if it would lose consent."""
    from p4p import migrate

    try:
        migrate.downgrade(revision, x_arguments=list(x_arguments))
    except migrate.MigrationRefused as refused:
        raise click.ClickException(str(refused)) from refused
    click.echo(f"database at revision {migrate.current_revision()}")


@db_cli.command("current")
def db_current():
    from p4p import migrate

    click.echo(migrate.current_revision() or "empty")


@db_cli.command("check")
def db_check():
    """Exit 1 when the models and the migrations differ (a migration is missing)."""
    from p4p import migrate

    try:
        migrate.check()
    except migrate.SchemaDrift as drift:
        raise click.ClickException(f"the models and the migrations differ: {drift}") from drift
    click.echo("the models and the migrations agree")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does, in a few words.")
@click.option("--autogenerate", is_flag=True, help="Fill it in from the models' differences.")
def db_revision(message, autogenerate):
    """Write the next numbered migration into migrations/versions (read it before committing)."""
    from p4p import migrate

    click.echo(migrate.new_revision(message, autogenerate))


@db_cli.command("history")
def db_history():
    """List every migration, newest first."""
    from p4p import migrate

    for line in migrate.history():
        click.echo(line)


@db_cli.command("stamp")
@click.argument("revision")
def db_stamp(revision):
    """Mark the database as at REVISION without running migrations."""
    from p4p import migrate

    migrate.stamp(revision)
    click.echo(f"database at revision {migrate.current_revision()}")


def now_from_option(value: str | None) -> datetime:
    """The moment a command acts at: `--now` when given (with a UTC offset), else the clock."""
    if not value:
        return clock_now()
    try:
        return parse_moment(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--now") from None


@app_commands.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed when the database has no users.")
@click.option("--now", "now_text", help="Pretend it is this moment (ISO 8601 with offset).")
def seed_demo_command(if_empty, now_text):
    """Create the demo study (dates relative to now); running it twice changes nothing."""
    from sqlalchemy import func, select

    from p4p.demo import seed_demo
    from p4p.modules.auth.models import User
    from p4p.modules.curriculum.service import get_program

    if if_empty and db.scalar(select(func.count(User.id))):
        click.echo("database has users; demo not seeded")
        return
    created = seed_demo(db, get_program(), now_from_option(now_text))
    db.commit()
    click.echo("demo study created" if created else "demo study already present; nothing changed")


@app_commands.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    required=True,
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(email, name, role, password):
    """Create a staff account (participants are enrolled, not created here)."""
    from p4p.modules.auth.passwords import password_problems
    from p4p.modules.auth.service import create_user, find_user_by_email

    if not name.strip():
        raise click.ClickException("give the person's name (--name), not only spaces")
    problems = password_problems(password, email=email)
    if problems:
        raise click.ClickException(" ".join(str(p) for p in problems))
    if find_user_by_email(db, email):
        raise click.ClickException(f"an account with {email} exists")
    create_user(db, email=email, name=name, role=role, now=clock_now(), password=password)
    db.commit()
    click.echo(f"created {role} {email}")


@app_commands.command("send-invite")
@click.option("--email", required=True)
def send_invite_command(email):
    """Email a single-use link to set a password (a new one replaces any earlier link)."""
    from p4p.messaging import get_sender
    from p4p.modules.auth.links import queue_link
    from p4p.modules.auth.models import TokenPurpose
    from p4p.modules.auth.service import find_user_by_email
    from p4p.modules.reminders.sending import send_these
    from p4p.modules.reminders.tasks import worker_name

    user = find_user_by_email(db, email)
    if user is None or not user.active:
        raise click.ClickException(f"no active account with {email}")
    queued = queue_link(db, user, TokenPurpose.INVITE, clock_now())
    db.commit()
    result = send_these(
        db,
        [queued.id],
        clock_now(),
        {"email": get_sender()},
        worker_name(),
        current_app.config,
        current_app.extensions["p4p.program"],
    )
    if result.sent:
        click.echo(f"invite sent to {user.email}")
    else:  # the scheduler retries it
        click.echo(f"invite to {user.email} queued; not sent yet: {' '.join(result.lines)}")


@curriculum_cli.command("check")
@click.option("--content-dir", type=click.Path(file_okay=False, path_type=Path))
def curriculum_check(content_dir):
    """Validate every week of every arm and language, and every questionnaire (instruments/);
    print a table; exit 1 on any problem.

    Besides the structure: the home practice's guide must fit the minute target, and each
    week's two reading measures must be within the study's limits (program.yaml).
    """
    from p4p.modules.curriculum.service import content_dir_of, quality_report, read_program

    directory = content_dir or Path(content_dir_of(current_app))
    program, problems = read_program(directory)
    if program is not None:
        click.echo(
            f"{'arm':<20} {'lang':<4} {'week':>4}  {'words':>5}  {'level 1':>13}  {'level 2':>13}"
            f"  {'guide':>5}  {'target':>6}  title"
        )
        for arm_key, language, week, measures, week_problems in quality_report(program, directory):
            levels = [
                f"{_short(m.name)} {m.value:5.1f}{'!' if m.over_limit else ' '}" for m in measures
            ]
            guide = f"{week.guides[0].minutes:5.1f}" if week.guides else "    -"
            click.echo(
                f"{arm_key:<20} {language:<4} {week.number:>4}  {week.words:>5}  "
                f"{levels[0]:>13}  {levels[1]:>13}  {guide}  {week.target_minutes:>6}  {week.title}"
            )
            problems.extend(week_problems)
        weeks = sum(len(a.weeks) * len(program.languages) for a in program.arms.values())
        limits = program.reading_limits
        click.echo(
            f"{weeks} weeks read. Limits: en FK <= {limits['fk_max']:g}, SMOG <= {limits['smog_max']:g};"
            f" es Fernández-Huerta >= {limits['fernandez_huerta_min']:g},"
            f" INFLESZ >= {limits['inflesz_min']:g} (! = outside). guide = minutes of the home"
            " practice's guide (spoken + pauses), within 30% of the target."
        )
    for problem in problems:
        click.echo(f"INVALID {problem}", err=True)
    if program is not None and not problems:
        click.echo("all weeks valid")
    sys.exit(1 if problems else 0)


def _short(measure_name: str) -> str:
    return {"Flesch-Kincaid grade": "FK", "SMOG grade": "SMOG", "Fernández-Huerta": "F-H"}.get(
        measure_name, measure_name
    )


def init_app(app) -> None:
    from p4p.modules.reminders import tasks

    tasks.init_app(app)
    app.cli.add_command(db_cli)
    app.cli.add_command(curriculum_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(send_invite_command)
    app.cli.add_command(export_cli)
    app.cli.add_command(instruments_cli)
