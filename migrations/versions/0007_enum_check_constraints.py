"""CHECK constraints for the two enum columns that had none: attendance.mode, auth_token.purpose

Every StrEnum column is now declared with p4p.db.stored_enum, which derives its CHECK constraint
(ck_<table>_<column>) from the enum, in place of a hand-written list beside it. Five such columns
already had their constraint from 0001 and 0003 with exactly the name and expression the enums
derive (user_account.role, meeting.mode, meeting.status, attendance.status, reminder.status;
tests/test_enum_constraints.py compares them), so they stay as they are. The two below had no
constraint; a value outside the enum is now refused by the database as well as by the forms.

The lists are written out here, not read from the enums: a migration keeps the schema of its own
day, whatever the code later says.

On SQLite the batch mode copies both tables (p4p/migrate.py runs it with foreign keys off).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 03:45:00
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CONSTRAINTS = (
    ("attendance", "ck_attendance_mode", "mode IN ('in_person', 'video')"),
    ("auth_token", "ck_auth_token_purpose", "purpose IN ('invite', 'reset')"),
)


def upgrade() -> None:
    for table, name, condition in CONSTRAINTS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_check_constraint(op.f(name), condition)


def downgrade() -> None:
    for table, name, _condition in CONSTRAINTS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(name), type_="check")
