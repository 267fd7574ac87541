"""Enum columns take their CHECK constraints from the enums (p4p.db.stored_enum): the migrations
build the same constraints, and the database itself refuses a value outside the enum, on SQLite
and PostgreSQL alike. Alembic's `db check` compares no CHECK constraints, so this does."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import CheckConstraint, inspect, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.exc import IntegrityError

from p4p.db import Base
from p4p.models import import_all_models
from p4p.modules.attendance.models import Attendance, AttendanceStatus, CallOutcome, FollowUpCall
from p4p.modules.auth.models import AuthToken, ContactChange, ContactField, TokenPurpose
from p4p.modules.reminders.models import Reminder

import_all_models()


def enum_columns() -> list[tuple[str, str, list[str]]]:
    return [
        (table.name, column.name, list(column.type.enums))
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, SAEnum)
    ]


def test_every_enum_column_stores_the_values_of_its_enum():
    assert sorted((table, column) for table, column, _values in enum_columns()) == [
        ("attendance", "mode"),
        ("attendance", "status"),
        ("auth_token", "purpose"),
        ("contact_change", "field"),
        ("follow_up_call", "outcome"),
        ("meeting", "mode"),
        ("meeting", "status"),
        ("reminder", "status"),
        ("user_account", "role"),
    ]
    values = {(table, column): v for table, column, v in enum_columns()}
    assert values["attendance", "status"] == [status.value for status in AttendanceStatus]
    assert values["attendance", "status"] == ["present", "late", "left_early", "excused", "absent"]


def _model_checks(dialect) -> dict[tuple[str, str], str]:
    """Every CHECK constraint of the models, as its DDL would state it."""
    compiler = dialect.ddl_compiler(dialect, None).sql_compiler
    return {
        (table.name, constraint.name): compiler.process(
            constraint.sqltext, include_table=False, literal_binds=True
        )
        for table in Base.metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }


def _normalized(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def test_the_migrations_build_the_check_constraints_the_models_derive(app):
    engine = app.extensions["p4p.engine"]
    expected = _model_checks(engine.dialect)
    with engine.connect() as connection:
        inspector = inspect(connection)
        built = {
            (table, check["name"]): check["sqltext"]
            for table in inspector.get_table_names()
            for check in inspector.get_check_constraints(table)
        }
    assert sorted(built) == sorted(expected)
    if engine.dialect.name == "sqlite":  # PostgreSQL gives back its own rewriting of the text
        assert {k: _normalized(v) for k, v in built.items()} == {
            k: _normalized(v) for k, v in expected.items()
        }


@pytest.fixture
def one_row_each(factory, db, clock):
    """A row in every table that has an enum column (user, token, meeting, attendance, reminder,
    follow-up call, contact change)."""
    participant = factory.participant()
    meeting = participant.cohort.meetings[0]
    now = clock()
    db.add_all(
        [
            Attendance(
                meeting=meeting,
                participant=participant,
                status=AttendanceStatus.PRESENT,
                recorded_at=now,
            ),
            AuthToken(
                user=participant.user,
                purpose=TokenPurpose.INVITE,
                token_hash="0" * 64,
                created_at=now,
                expires_at=now + timedelta(days=1),
            ),
            Reminder(
                key="enum-constraint-probe",
                user_id=participant.user.id,
                kind="practice",
                channel="email",
                payload={},
                due_at=now,
                expires_at=now + timedelta(days=1),
                created_at=now,
                updated_at=now,
            ),
            FollowUpCall(
                participant_id=participant.id,
                called_at=now,
                outcome=CallOutcome.REACHED,
                recorded_at=now,
            ),
            ContactChange(
                user=participant.user,
                field=ContactField.PHONE,
                new_value="+13125550199",
                salt="s",
                secret_hash="1" * 64,
                created_at=now,
                expires_at=now + timedelta(minutes=30),
            ),
        ]
    )
    db.commit()


def test_the_database_refuses_a_value_outside_the_enum_written_in_raw_sql(app, one_row_each):
    engine = app.extensions["p4p.engine"]
    for table, column, values in enum_columns():
        update = text(f"UPDATE {table} SET {column} = :value")  # noqa: S608 - names from the models
        for value in values:  # every value of the enum is taken ...
            with engine.connect() as connection, connection.begin() as transaction:
                assert connection.execute(update, {"value": value}).rowcount >= 1
                transaction.rollback()
        for outside in ("bogus", values[0].upper()):  # ... and nothing else, case included
            refused = pytest.raises(IntegrityError, match=f"ck_{table}_{column}|CHECK")
            with engine.connect() as connection, refused, connection.begin():
                connection.execute(update, {"value": outside})
