"""incremental reminder planning: a reminder's cohort, each cohort's turn, a queue of changes

The planner re-plans a few cohorts a tick (those something changed for, and those whose turn
came round) instead of the whole study: it needs to find a cohort's planned rows (a column and
an index), when each cohort is next due (a table) and what changed since the last tick (a queue
that every change writes to in its own transaction).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:40:00
"""

import sqlalchemy as sa
from alembic import op

import p4p.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cohort_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reminder_cohort_id_cohort"),
            "cohort",
            ["cohort_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_reminder_cohort_status", ["cohort_id", "status"], unique=False)
    op.create_table(
        "reminder_plan_state",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("planned_at", p4p.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replan_at", p4p.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_reminder_plan_state_cohort_id_cohort"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_reminder_plan_state")),
    )
    op.create_index(
        op.f("ix_reminder_plan_state_replan_at"), "reminder_plan_state", ["replan_at"], unique=False
    )
    op.create_table(
        "reminder_replan_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_reminder_replan_request_cohort_id_cohort"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_replan_request")),
    )
    _cohorts_of_planned_rows()


def _cohorts_of_planned_rows() -> None:
    """Rows still to be sent get their cohort, so a re-plan of it can cancel them; the rest
    (sent, expired, ...) are history and keep none. A payload names a participant or a
    meeting; reading it in Python keeps this the same on SQLite and PostgreSQL."""
    bind = op.get_bind()
    reminder = sa.table(
        "reminder",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("cohort_id", sa.Integer),
    )
    participant = sa.table("participant", sa.column("id"), sa.column("cohort_id"))
    meeting = sa.table("meeting", sa.column("id"), sa.column("cohort_id"))
    cohort_of_participant = {
        row.id: row.cohort_id
        for row in bind.execute(sa.select(participant.c.id, participant.c.cohort_id))
    }
    cohort_of_meeting = {
        row.id: row.cohort_id for row in bind.execute(sa.select(meeting.c.id, meeting.c.cohort_id))
    }
    rows = bind.execute(
        sa.select(reminder.c.id, reminder.c.payload).where(
            reminder.c.status.in_(("planned", "sending"))
        )
    ).all()
    for reminder_id, payload in rows:
        payload = payload or {}
        cohort_id = cohort_of_participant.get(payload.get("participant_id")) or (
            cohort_of_meeting.get(payload.get("meeting_id"))
        )
        if cohort_id is not None:
            bind.execute(
                sa.update(reminder).where(reminder.c.id == reminder_id).values(cohort_id=cohort_id)
            )


def downgrade() -> None:
    op.drop_table("reminder_replan_request")
    op.drop_index(op.f("ix_reminder_plan_state_replan_at"), table_name="reminder_plan_state")
    op.drop_table("reminder_plan_state")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_cohort_status")
        batch_op.drop_constraint(batch_op.f("fk_reminder_cohort_id_cohort"), type_="foreignkey")
        batch_op.drop_column("cohort_id")
