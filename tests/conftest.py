"""Fixtures: a real database (a SQLite file, or PostgreSQL from P4P_TEST_DATABASE_URL), the app
with a fixed clock, clients, a CLI runner, logged-in users and factories."""

import os
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import create_engine, event, text

from p4p import create_app
from p4p.clock import FixedClock
from p4p.db import Base
from p4p.models import import_all_models

# A Tuesday in term; the demo cohorts and factories are placed relative to it.
START = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def pytest_report_header(config):
    return f"p4p database: {_database_url_kind()}"


def _database_url_kind() -> str:
    url = os.environ.get("P4P_TEST_DATABASE_URL")
    return url.split("://")[0] if url else "sqlite (temporary file)"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """Compile the message catalogs as `make install` does, so a run of bare pytest sees them too."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (Path(__file__).parent.parent / "translations").glob(
        "*/LC_MESSAGES/messages.po"
    ):
        with po_path.open("rb") as source:
            catalog = read_po(source)
        with po_path.with_suffix(".mo").open("wb") as target:
            write_mo(target, catalog)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("P4P_TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    )
    _reset_schema(url)
    return url


def _reset_schema(url: str) -> None:
    """Start from nothing, then build the schema with the real migrations."""
    from p4p import migrate

    engine = create_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        migrate.upgrade()
    app.extensions["p4p.engine"].dispose()


def _empty_all_tables(engine) -> None:
    import_all_models()
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def app_config(database_url, clock, tmp_path):
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "CLOCK": clock,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WTF_CSRF_ENABLED": False,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        "LOGIN_DEVICE_RATE_LIMIT": "1000 per minute",
        # Tests pull many reports a minute; tests/security/test_report_limits.py sets low ones.
        "REPORT_RATE_LIMIT": "1000 per minute",
        "EXPORT_RATE_LIMIT": "1000 per minute",
        "MAIL_BACKEND": "console",
        "BASE_URL": "http://p4p.test",
        # argon2id's cheapest parameters: tests hash hundreds of passwords. Production keeps
        # OWASP's (p4p.modules.auth.passwords.HASH_SETTINGS, asserted in test_auth.py).
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 8,
        "PASSWORD_HASH_PARALLELISM": 1,
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    yield app
    _empty_all_tables(app.extensions["p4p.engine"])
    app.extensions["p4p.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A session of the test's own. No app context stays pushed, because a pushed context
    would be shared by every request the test makes (its `g`, its logged-in user)."""
    session = app.extensions["p4p.sessionmaker"]()
    yield session
    session.close()


class QueryCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _count(self, *_args):
        self.count += 1

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


@pytest.fixture
def count_queries(app):
    return lambda: QueryCounter(app.extensions["p4p.engine"])


class Factory:
    """Builds study data through the same services the app uses."""

    def __init__(self, app, db, clock):
        self.app, self.db, self.clock = app, db, clock
        self._serial = 0

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def user(self, role="participant", email=None, password=PASSWORD, name=None, language="en"):
        from p4p.modules.auth.service import create_user

        n = self._next()
        with self.app.app_context():  # the app's password hasher (its settings)
            user = create_user(
                self.db,
                email=email or f"{role}{n}@example.org",
                name=name or f"{role.title()} {n}",
                role=role,
                now=self.clock(),
                password=password,
                language=language,
            )
        self.db.commit()
        return user

    def site(self, name=None, timezone="America/Chicago"):
        from p4p.modules.sites.service import create_site

        site = create_site(
            self.db,
            name=name or f"Site {self._next()}",
            timezone=timezone,
            address="1 Main St",
            now=self.clock(),
        )
        self.db.commit()
        return site

    def cohort(self, site=None, arm="partners4pain", start=None, at=time(10, 0), name=None):
        from p4p.modules.sites.service import create_cohort

        site = site or self.site()
        start = start or (self.clock().date() - timedelta(days=15))  # week 3 is open
        cohort = create_cohort(
            self.db,
            program=self.app.extensions["p4p.program"],
            site=site,
            arm=arm,
            name=name or f"Cohort {self._next()}",
            start_date=start,
            weekday=start.weekday(),
            local_start_time=at,
            now=self.clock(),
            location="Room 4",
        )
        self.db.commit()
        return cohort

    def participant(self, cohort=None, email=None, language="en", enrolled_on=None):
        from p4p.modules.participants.models import Participant

        cohort = cohort or self.cohort()
        user = self.user("participant", email=email, language=language)
        enrolled = datetime.combine(
            enrolled_on or cohort.start_date - timedelta(days=7), time(12), tzinfo=UTC
        )
        participant = Participant(
            user=user,
            study_id=f"T-{self._next():04d}",
            arm=cohort.arm,
            cohort=cohort,
            enrolled_at=enrolled,
        )
        self.db.add(participant)
        self.db.commit()
        return participant

    def facilitator(self, site):
        from p4p.modules.sites.service import assign_facilitator

        user = self.user("facilitator")
        assign_facilitator(self.db, user, site)
        self.db.commit()
        return user


@pytest.fixture
def factory(app, db, clock):
    return Factory(app, db, clock)


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def participant(factory):
    return factory.participant()


@pytest.fixture
def participant_client(client, participant):
    response = login(client, participant.user.email)
    assert response.status_code == 302
    return client


@pytest.fixture
def without_questionnaires(app, monkeypatch):
    """The study without the shipped PEG: for tests that count every message a person gets and
    are about another kind (the PEG's own reminders: tests/test_reminders_questionnaires.py)."""
    monkeypatch.delitem(app.extensions["p4p.program"].instruments, "peg")


# A PEG whose weekly window is 3 days (the shipped one is open 7): tests whose dates need a week's
# questionnaire to close before the next opens, and a weekly window too short for a nudge.
PEG_SCHEDULE = {
    arm: {"weekly": {"window_days": 3}, "months": {"at": [2, 4, 6], "window_days": 14}}
    for arm in ("partners4pain", "keys_to_wellbeing")
}


@pytest.fixture
def scheduled_peg(app, monkeypatch):
    """The shipped PEG asked on PEG_SCHEDULE in both arms, for this test."""
    import yaml

    from p4p.modules.curriculum.service import PACKAGED_CONTENT
    from p4p.modules.instruments.definitions import parse_instrument

    program = app.extensions["p4p.program"]
    raw = yaml.safe_load((PACKAGED_CONTENT / "instruments" / "peg.yaml").read_text())
    arms = {key: len(arm.weeks) for key, arm in program.arms.items()}
    peg, problems = parse_instrument(
        {**raw, "schedule": PEG_SCHEDULE}, "peg.yaml", program.languages, arms
    )
    assert problems == []
    monkeypatch.setitem(program.instruments, "peg", peg)
    return peg
