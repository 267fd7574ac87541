"""Running Alembic from the app (no alembic.ini: the app's config is the one source of the URL).

One command runs in one transaction, so a refused or failed step leaves the schema as it was.

On SQLite, Alembic changes a table by copying it: create a new one, copy, DROP the old, rename.
With foreign keys on, that DROP deletes (ON DELETE CASCADE) or refuses every row that refers
to the table, so attendance vanished with a rebuild of `meeting`. SQLite's own recipe is
followed instead: foreign keys off for the migration (a pragma that only takes effect outside
a transaction), `PRAGMA foreign_key_check` before committing, and foreign keys on again.
"""

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from flask import current_app
from sqlalchemy import text
from sqlalchemy.engine import Connection

from p4p import resource_dir

CONSENT_FLAG = "allow-consent-loss"
CONSENT_ENV = "P4P_ALLOW_CONSENT_LOSS"


class MigrationRefused(Exception):
    """A migration stopped before changing anything (its message says why and what to do)."""


def alembic_config(url: str, x_arguments: list[str] | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # What `alembic -x name=value` gives; migrations read it with context.get_x_argument().
    config.cmd_opts = argparse.Namespace(x=list(x_arguments or []))
    return config


def upgrade(revision: str = "head", x_arguments: list[str] | None = None) -> None:
    _run(command.upgrade, revision, x_arguments or [])


def downgrade(
    revision: str, allow_consent_loss: bool = False, x_arguments: list[str] | None = None
) -> None:
    x_arguments = list(x_arguments or [])
    if allow_consent_loss:
        x_arguments.append(f"{CONSENT_FLAG}=yes")
    _run(command.downgrade, revision, x_arguments)


def _run(action, revision: str, x_arguments: list[str]) -> None:
    engine = current_app.extensions["p4p.engine"]
    config = alembic_config(current_app.config["DATABASE_URL"], x_arguments)
    config.attributes["phone_region"] = current_app.config.get("PHONE_REGION")
    with engine.connect() as connection, migration_transaction(connection):
        config.attributes["connection"] = connection
        action(config, revision)


@contextmanager
def migration_transaction(connection: Connection) -> Iterator[None]:
    """Every step of one command in one transaction: all applied, or none (DDL included)."""
    with foreign_keys_off(connection), connection.begin():
        if connection.dialect.name == "sqlite":
            # Python's sqlite3 opens a transaction only before INSERT/UPDATE/DELETE, so an
            # ALTER or DROP first would be committed at once; this BEGIN takes DDL in too.
            connection.exec_driver_sql("BEGIN")
        yield
        check_foreign_keys(connection)


@contextmanager
def foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite only: foreign keys off while the block runs, on again after (even on errors)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    _set_foreign_keys(connection, False)
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        _set_foreign_keys(connection, True)


def _set_foreign_keys(connection: Connection, on: bool) -> None:
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()  # ends SQLAlchemy's implicit transaction; the driver opened none
    state = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    connection.commit()
    if bool(state) != on:  # inside a transaction SQLite ignores the pragma without a word
        raise MigrationRefused("SQLite did not switch foreign keys; nothing was migrated.")


def check_foreign_keys(connection: Connection) -> None:
    """SQLite only: refuse (and so roll back) a migration that leaves a dangling reference."""
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL checks every reference as it is written, DDL included
    broken = connection.execute(text("PRAGMA foreign_key_check")).all()
    if broken:
        tables = sorted({f"{row[0]} -> {row[2]}" for row in broken})
        raise MigrationRefused(
            f"{len(broken)} rows refer to rows that do not exist ({', '.join(tables)}); "
            "the migration was rolled back. Fix or remove those rows, then migrate again."
        )


def consent_loss_allowed(x_arguments: dict[str, str]) -> bool:
    """Whether the person migrating said, by flag or environment, that consent may be lost."""
    given = x_arguments.get(CONSENT_FLAG) or os.environ.get(CONSENT_ENV) or ""
    return given.strip().lower() in {"yes", "true", "1"}


def refuse_consent_loss(connection: Connection, x_arguments: dict[str, str], below: str) -> None:
    """Called by a downgrade that drops reminder_preference: refuse while it holds choices.

    Those rows are the opt-outs and STOP replies; without them a later upgrade would contact
    people who said stop. Stepping down anyway needs the flag, named in the message.
    """
    if consent_loss_allowed(x_arguments):
        return
    choices = connection.execute(text("SELECT count(*) FROM reminder_preference")).scalar()
    if not choices:
        return
    opted_out = connection.execute(
        text("SELECT count(*) FROM reminder_preference WHERE NOT email_on OR NOT sms_on")
    ).scalar()
    raise MigrationRefused(
        f"Refusing to downgrade below {below}: it deletes the reminder choices of {choices} "
        f"account(s) ({opted_out} switched texts or emails off, e.g. by replying STOP), and a "
        "later upgrade would contact them again. Keep a copy of reminder_preference, then run "
        f"again with -x {CONSENT_FLAG}=yes (or {CONSENT_ENV}=yes) if this is really meant."
    )


def current_revision() -> str | None:
    from alembic.runtime.migration import MigrationContext

    with current_app.extensions["p4p.engine"].connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class SchemaDrift(Exception):
    """The models and the migrated schema differ: a migration is missing (or the database is
    not at head)."""


def check() -> None:
    """Raise SchemaDrift, naming the differences, unless the models match the migrations."""
    from alembic.util.exc import AutogenerateDiffsDetected, CommandError

    with _read_only_config() as config:
        try:
            command.check(config)
        except (AutogenerateDiffsDetected, CommandError) as drift:
            raise SchemaDrift(str(drift)) from drift


def new_revision(message: str, autogenerate: bool) -> str:
    """Write the next numbered migration (0007_<slug>.py, ...) and return its path; with
    autogenerate, Alembic fills it with what the models have that the database lacks."""
    from alembic.script import Script, ScriptDirectory

    with _read_only_config() as config:
        head = ScriptDirectory.from_config(config).get_current_head()
        number = f"{int(head) + 1:04d}" if head and head.isdigit() else "0001"
        script = command.revision(config, message=message, autogenerate=autogenerate, rev_id=number)
    assert isinstance(script, Script)  # one head, no branches: one new script, never a list
    return script.path


def history() -> list[str]:
    """Every migration, newest first, as `<revision>: <message>`."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config(current_app.config["DATABASE_URL"]))
    return [f"{script.revision}: {script.doc}" for script in scripts.walk_revisions()]


def stamp(revision: str) -> None:
    """Record REVISION as the schema's version without running any migration (for a database
    whose schema was made another way)."""
    _run(command.stamp, revision, [])


@contextmanager
def _read_only_config() -> Iterator[Config]:
    engine = current_app.extensions["p4p.engine"]
    config = alembic_config(current_app.config["DATABASE_URL"])
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        try:
            yield config
        finally:
            connection.rollback()
