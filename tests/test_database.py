"""The database: SQLite settings, migrations that keep data, UTC storage, DST-safe schedules."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from migration_helpers import migration_app
from sqlalchemy import func, select, text

from p4p import create_app, migrate
from p4p.db import make_engine
from p4p.local_time import to_utc
from p4p.modules.sites.service import first_meeting_date


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_upgrade_downgrade_upgrade_keeps_every_row(app_config, tmp_path):
    app = migration_app(tmp_path, app_config)
    from p4p.db import get_session
    from p4p.modules.auth.models import User

    with app.app_context():
        migrate.upgrade()
        app.test_cli_runner().invoke(args=["seed-demo"])
        users = get_session().scalar(select(func.count(User.id)))
        get_session().close()
        migrate.downgrade("base")
        assert migrate.current_revision() is None
        migrate.upgrade()
        app.test_cli_runner().invoke(args=["seed-demo"])
        assert get_session().scalar(select(func.count(User.id))) == users
        migrate.upgrade()  # a second upgrade is a no-op
    app.extensions["p4p.engine"].dispose()


def test_db_upgrade_command_reports_the_revision(runner):
    from alembic.script import ScriptDirectory

    from p4p.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and f"revision {head}" in result.output


def test_times_are_stored_in_utc_and_read_back_aware(db, factory):
    cohort = factory.cohort()
    db.expire_all()
    first = cohort.meetings[0].starts_at
    assert first.tzinfo is not None and first.utcoffset().total_seconds() == 0


def test_weekly_meetings_keep_their_local_time_across_daylight_saving(db, factory):
    site = factory.site(timezone="America/Chicago")
    # Weekly on Thursdays at 18:00 from 26 February 2026, across the 8 March change.
    cohort = factory.cohort(site=site, start=date(2026, 2, 26), at=time(18, 0))
    local = [m.starts_at.astimezone(ZoneInfo("America/Chicago")) for m in cohort.meetings]
    assert {(t.hour, t.minute) for t in local} == {(18, 0)}
    assert {m.starts_at.hour for m in cohort.meetings} == {0, 23}  # the UTC hour shifts instead
    assert [t.date().isoformat() for t in local][:3] == ["2026-02-26", "2026-03-05", "2026-03-12"]


def test_first_meeting_falls_on_the_cohorts_weekday():
    assert first_meeting_date(date(2026, 3, 10), 3) == date(2026, 3, 12)  # Tuesday -> Thursday
    assert first_meeting_date(date(2026, 3, 12), 3) == date(2026, 3, 12)


def test_to_utc_uses_the_sites_zone():
    assert to_utc(date(2026, 7, 1), time(9, 30), "America/Los_Angeles") == datetime(
        2026, 7, 1, 16, 30, tzinfo=UTC
    )


def test_naive_datetimes_are_refused(db, factory):
    cohort = factory.cohort()
    cohort.meetings[0].starts_at = datetime(2026, 1, 1, 10, 0)
    with pytest.raises(Exception, match="naive"):
        db.commit()
    db.rollback()


def test_config_from_environment_and_a_generated_secret_kept_in_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("P4P_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("P4P_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    monkeypatch.setenv("P4P_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("P4P_DEMO", "1")  # the console backends
    monkeypatch.delenv("P4P_SECRET_KEY", raising=False)
    app = create_app()
    assert app.config["DATABASE_URL"].endswith("env.sqlite3")
    assert app.config["SESSION_IDLE_MINUTES"] == 15
    secret = (tmp_path / "inst" / "secret_key").read_text()
    assert app.config["SECRET_KEY"] == secret and len(secret) >= 64
    assert oct((tmp_path / "inst" / "secret_key").stat().st_mode)[-3:] == "600"
    assert create_app().config["SECRET_KEY"] == secret  # kept, not regenerated
    monkeypatch.setenv("P4P_SECRET_KEY", "from-the-environment")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"


def test_instance_config_file_is_read(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text("BASE_URL = 'https://p4p.example.org'\n")
    monkeypatch.setenv("P4P_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("P4P_DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite3'}")
    monkeypatch.setenv("P4P_DEMO", "1")  # the console backends
    assert create_app().config["BASE_URL"] == "https://p4p.example.org"
