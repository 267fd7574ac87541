"""Databases of their own for migration tests, seeded, and their row counts per table."""

import os

from sqlalchemy import create_engine, func, inspect, select, table, text

from p4p import create_app


def migration_database_url(tmp_path) -> str:
    """A fresh database beside the test one: on PostgreSQL one named after it (so two test
    databases on one server do not share it), else a SQLite file in tmp_path."""
    url = os.environ.get("P4P_TEST_DATABASE_URL")
    if not (url and url.startswith("postgresql")):
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    base, name = url.rsplit("/", 1)
    target = f"{name}_migrations"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target}"'))
    admin.dispose()
    return f"{base}/{target}"


def migration_app(tmp_path, app_config, url: str | None = None):
    """An app on a database of its own, so migrations can run down and up."""
    return create_app({**app_config, "DATABASE_URL": url or migration_database_url(tmp_path)})


def row_counts(app) -> dict[str, int]:
    """Rows in every table of the schema as it is now (Alembic's own table left out)."""
    engine = app.extensions["p4p.engine"]
    with engine.connect() as connection:
        names = [n for n in inspect(connection).get_table_names() if n != "alembic_version"]
        return {
            name: connection.scalar(select(func.count()).select_from(table(name))) for name in names
        }


def revisions() -> list[str]:
    """Every revision, oldest first."""
    from alembic.script import ScriptDirectory

    from p4p.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]
