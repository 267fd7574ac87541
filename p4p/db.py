"""The declarative Base, one engine per app, and a session per app context.

Who commits (the unit of work): services add and flush, never commit. A web request commits
once, in `_end_of_request`, before its response leaves; a CLI command commits at its end; the
scheduler's sender commits once per message (p4p.modules.reminders.sending). Anything left
uncommitted when the app context ends is rolled back by closing the session.
"""

from datetime import UTC, datetime
from enum import StrEnum

from flask import current_app, g
from sqlalchemy import Enum as SAEnum
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import DateTime, TypeDecorator
from werkzeug.local import LocalProxy
from werkzeug.routing import IntegerConverter

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores aware UTC datetimes and gives them back aware on every database.

    SQLite drops the tzinfo; without this, comparisons between stored and
    current times would fail on one database and pass on the other.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stored_enum(enum: type[StrEnum], name: str, length: int) -> SAEnum:
    """A column of a StrEnum's values (lowercase strings, in a VARCHAR of `length`) with its CHECK
    constraint, ck_<table>_<name>, derived from the enum: one list of the allowed values."""
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers and one writer work at once; busy_timeout waits instead of
    # failing with "database is locked"; SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["p4p.engine"] = engine
    app.extensions["p4p.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.after_request(_end_of_request)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """The session of the current app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["p4p.sessionmaker"]()
    return g.db_session


def _end_of_request(response):
    """Commit the request's work once, or roll it back when the response is an error.

    Any 4xx or 5xx rolls back: a form sent back with errors (422), a conflict (409) or an abort
    must leave nothing half saved, even if a service flushed before the problem was found. A
    2xx or 3xx commits, GETs too (an export's audit row). This runs in after_request, before
    the response is sent, so a failing commit becomes a 500 instead of a change silently lost;
    a view that raises never gets here, and closing the session at teardown rolls it back.
    """
    db_session = g.get("db_session")
    if db_session is None:
        return response
    if response.status_code >= 400:
        db_session.rollback()
        return response
    try:
        db_session.commit()
    except Exception:
        db_session.rollback()
        raise
    return response


def _close_session(_exc) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


session: Session = LocalProxy(get_session)  # type: ignore[assignment]


# Ids are 32-bit integers in the schema; a larger number from a URL or a form must mean
# "no such row" (404), not a database error (PostgreSQL refuses it as out of range).
MAX_ID = 2**31 - 1


def parse_id(value) -> int | None:
    """A row id from user input, or None when it cannot be one."""
    text = str(value).strip() if value is not None else ""
    if not text.isdigit() or not text.isascii():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's int converter, capped at MAX_ID: a larger number matches no route (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
