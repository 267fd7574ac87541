"""Migrations never lose data: every step down and up on seeded data (SQLite and PostgreSQL),
foreign keys checked after SQLite's table rebuilds, and no downgrade silently drops consent."""

import pytest
from conftest import START
from migration_helpers import migration_app, revisions, row_counts
from sqlalchemy import create_engine, select, text

from p4p import migrate
from p4p.migrate import MigrationRefused

CONSENT_FLAG = "-x allow-consent-loss=yes"


def _seed(app) -> None:
    """The demo study at head, plus what the demo lacks: phones, a STOP, planned reminders."""
    from p4p.db import get_session
    from p4p.modules.auth.models import User
    from p4p.modules.reminders.preferences import handle_sms_reply
    from p4p.modules.reminders.service import plan

    with app.app_context():
        migrate.upgrade()
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        db = get_session()
        people = db.scalars(select(User).where(User.role == "participant").order_by(User.id))
        for n, user in enumerate(list(people)[:4]):
            user.phone = f"+1312555014{n}"
        db.commit()
        assert handle_sms_reply(db, "+13125550140", "STOP", START) == 1
        plan(get_session(), app.extensions["p4p.program"], START, app.config)
        get_session().commit()
        get_session().close()


def _step(app, action, revision) -> None:
    """One migration step; every table on both sides of it keeps every row."""
    before = row_counts(app)
    with app.app_context():
        action(revision)
        assert migrate.current_revision() == (None if revision == "base" else revision)
    after = row_counts(app)
    lost = {t: (before[t], after[t]) for t in before.keys() & after.keys() if after[t] < before[t]}
    assert not lost, f"rows lost going to {revision}: {lost}"


def test_every_step_down_and_up_keeps_every_row(app_config, tmp_path):
    app = migration_app(tmp_path, app_config)
    _seed(app)
    seeded = row_counts(app)
    assert seeded["attendance"] > 50 and seeded["reminder"] > 0 and seeded["meeting"] > 0
    order = revisions()
    down = lambda revision: migrate.downgrade(revision, allow_consent_loss=True)  # noqa: E731
    for revision in reversed(order[:-1]):  # head -> each lower revision, one step at a time
        _step(app, down, revision)
    assert row_counts(app)["attendance"] == seeded["attendance"]
    for revision in order[1:]:  # and back up to head
        _step(app, migrate.upgrade, revision)
    back = row_counts(app)
    for table in ("user_account", "participant", "meeting", "attendance", "audit_event"):
        assert back[table] == seeded[table], table
    app.extensions["p4p.engine"].dispose()


def test_each_lower_revision_and_back_to_head_keeps_every_row(app_config, tmp_path):
    """head -> r -> head, one command each way, for every lower revision r."""
    app = migration_app(tmp_path, app_config)
    _seed(app)
    seeded = row_counts(app)
    down = lambda revision: migrate.downgrade(revision, allow_consent_loss=True)  # noqa: E731
    *lower, head = revisions()
    for revision in reversed(lower):
        _step(app, down, revision)
        _step(app, migrate.upgrade, head)
        assert row_counts(app)["attendance"] == seeded["attendance"], revision
    app.extensions["p4p.engine"].dispose()


def test_a_downgrade_that_would_drop_stop_replies_is_refused_without_the_flag(
    app_config, tmp_path, monkeypatch
):
    monkeypatch.delenv("P4P_ALLOW_CONSENT_LOSS", raising=False)
    app = migration_app(tmp_path, app_config)
    _seed(app)
    seeded = row_counts(app)
    head = revisions()[-1]
    with app.app_context():
        with pytest.raises(MigrationRefused, match=CONSENT_FLAG):
            migrate.downgrade("0002")
        assert migrate.current_revision() == head  # refused whole: nothing stepped down
    assert row_counts(app) == seeded
    result = app.test_cli_runner().invoke(args=["db", "downgrade", "0001"])
    assert result.exit_code != 0 and CONSENT_FLAG in result.output
    assert "1 account" in result.output  # says how many people's choices would go
    with app.app_context():
        assert migrate.current_revision() == head
        migrate.downgrade("0003")  # above the guard: no flag needed
    result = app.test_cli_runner().invoke(
        args=["db", "downgrade", "0002", "-x", "allow-consent-loss=yes"]
    )
    assert result.exit_code == 0 and "revision 0002" in result.output, result.output
    app.extensions["p4p.engine"].dispose()


def test_the_environment_flag_also_allows_it(app_config, tmp_path, monkeypatch):
    app = migration_app(tmp_path, app_config)
    _seed(app)
    monkeypatch.setenv("P4P_ALLOW_CONSENT_LOSS", "yes")
    with app.app_context():
        migrate.downgrade("0002")
        assert migrate.current_revision() == "0002"
    app.extensions["p4p.engine"].dispose()


def test_sqlite_rebuilds_keep_child_rows_and_foreign_keys_come_back_on(app_config, tmp_path):
    """Always on SQLite (the rebuilds are SQLite's): 0002 copies `meeting`; attendance stays."""
    app = migration_app(tmp_path, app_config, url=f"sqlite:///{tmp_path / 'fk.sqlite3'}")
    _seed(app)
    attendance = row_counts(app)["attendance"]
    with app.app_context():
        migrate.downgrade("0001", allow_consent_loss=True)
        assert row_counts(app)["attendance"] == attendance
        migrate.upgrade()
        assert row_counts(app)["attendance"] == attendance
        with app.extensions["p4p.engine"].connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    app.extensions["p4p.engine"].dispose()


def test_a_migration_that_leaves_broken_references_fails_and_writes_nothing(app_config, tmp_path):
    """PRAGMA foreign_key_check runs after the steps; a dangling reference undoes them all."""
    path = tmp_path / "orphan.sqlite3"
    app = migration_app(tmp_path, app_config, url=f"sqlite:///{path}")
    with app.app_context():
        migrate.upgrade("0003")
    raw = create_engine(f"sqlite:///{path}")  # no foreign keys pragma: the orphan gets in
    with raw.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO survey_completion (participant_id, months, done_at)"
                " VALUES (999, 2, '2026-03-01 00:00:00')"
            )
        )
    raw.dispose()
    with app.app_context():
        with pytest.raises(MigrationRefused, match="survey_completion"):
            migrate.upgrade()
        assert migrate.current_revision() == "0003"
    app.extensions["p4p.engine"].dispose()
