"""Alembic environment: the app's own engine and metadata, online migrations only."""

from alembic import context

from p4p.db import Base, make_engine
from p4p.migrate import migration_transaction
from p4p.models import import_all_models

import_all_models()
config = context.config
connection = config.attributes.get("connection")


def run_migrations(conn) -> None:
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=conn.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run_migrations(connection)  # p4p.migrate opened it, with foreign keys off on SQLite
else:
    # Plain `alembic` without the app: the same safeguards as p4p.migrate (SQLite's foreign
    # keys off during table rebuilds and checked after, one transaction for the command).
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn, migration_transaction(conn):
        run_migrations(conn)
