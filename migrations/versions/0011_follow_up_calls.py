"""follow-up calls and dismissals from the facilitator's follow-up list

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 08:50:00
"""

import sqlalchemy as sa
from alembic import op

import p4p.db

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_up_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("called_at", p4p.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "reached",
                "left_message",
                "no_answer",
                "wrong_number",
                "other",
                name="outcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", p4p.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_follow_up_call_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_follow_up_call_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_call")),
    )
    op.create_index(op.f("ix_follow_up_call_participant_id"), "follow_up_call", ["participant_id"])
    op.create_table(
        "follow_up_dismissal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("dismissed_at", p4p.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dismissed_by_id", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_follow_up_dismissal_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dismissed_by_id"],
            ["user_account.id"],
            name=op.f("fk_follow_up_dismissal_dismissed_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_dismissal")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_follow_up_dismissal_participant_id")),
    )


def downgrade() -> None:
    op.drop_table("follow_up_dismissal")
    op.drop_index(op.f("ix_follow_up_call_participant_id"), table_name="follow_up_call")
    op.drop_table("follow_up_call")
