"""The migration commands a developer expects: check, revision --autogenerate, history, stamp
(on SQLite and PostgreSQL: each test has a database of its own)."""

from pathlib import Path

import pytest
from migration_helpers import migration_app, revisions
from sqlalchemy import text


@pytest.fixture
def fresh_app(tmp_path, app_config):
    app = migration_app(tmp_path, app_config)
    yield app
    app.extensions["p4p.engine"].dispose()


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=["db", *args])


def _add_a_column_no_model_has(app) -> None:
    with app.extensions["p4p.engine"].begin() as connection:
        connection.execute(text("ALTER TABLE site ADD COLUMN drift_probe VARCHAR(20)"))


def test_check_passes_when_the_migrations_build_what_the_models_describe(fresh_app):
    assert _invoke(fresh_app, "upgrade").exit_code == 0
    result = _invoke(fresh_app, "check")
    assert result.exit_code == 0, result.output
    assert "agree" in result.output


def test_check_fails_and_names_the_difference_when_schema_and_models_drift(fresh_app):
    assert _invoke(fresh_app, "upgrade").exit_code == 0
    _add_a_column_no_model_has(fresh_app)
    result = _invoke(fresh_app, "check")
    assert result.exit_code == 1
    assert "drift_probe" in result.output


def test_check_fails_on_a_database_behind_the_migrations(fresh_app):
    assert _invoke(fresh_app, "upgrade", "--revision", revisions()[-2]).exit_code == 0
    result = _invoke(fresh_app, "check")
    assert result.exit_code == 1
    assert "not up to date" in result.output


def test_revision_autogenerate_writes_the_next_numbered_migration_from_the_difference(fresh_app):
    head = revisions()[-1]
    assert _invoke(fresh_app, "upgrade").exit_code == 0
    _add_a_column_no_model_has(fresh_app)
    expected = Path(__file__).parent.parent / "migrations" / "versions"
    expected = expected / f"{int(head) + 1:04d}_drop_the_probe.py"
    try:
        result = _invoke(fresh_app, "revision", "--autogenerate", "-m", "drop the probe")
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1] == str(expected)
        written = expected.read_text()
        assert f"down_revision = {head!r}" in written
        # op.drop_column("site", ...) on PostgreSQL, batch_op.drop_column(...) on SQLite
        assert "drop_column(" in written and "'drift_probe'" in written
    finally:
        expected.unlink(missing_ok=True)


def test_history_lists_every_migration_newest_first(fresh_app):
    result = _invoke(fresh_app, "history")
    assert result.exit_code == 0
    listed = [line.split(":")[0] for line in result.output.splitlines()]
    assert listed == list(reversed(revisions()))


def test_stamp_records_a_revision_without_running_it(fresh_app):
    result = _invoke(fresh_app, "stamp", "head")
    assert result.exit_code == 0, result.output
    assert _invoke(fresh_app, "current").output.strip() == revisions()[-1]
    with fresh_app.extensions["p4p.engine"].connect() as connection:
        tables = connection.execute(text("SELECT count(*) FROM alembic_version")).scalar()
    assert tables == 1
