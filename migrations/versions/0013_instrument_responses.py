"""participants' answers to the study's questionnaires (instrument responses)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 17:55:00
"""

import sqlalchemy as sa
from alembic import op

import p4p.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instrument_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=40), nullable=False),
        sa.Column("occasion", sa.String(length=20), nullable=False),
        sa.Column("started_at", p4p.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", p4p.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_instrument_response_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument_response")),
        sa.UniqueConstraint(
            "participant_id",
            "instrument",
            "occasion",
            name=op.f("uq_instrument_response_participant_id_instrument_occasion"),
        ),
    )
    op.create_index(
        op.f("ix_instrument_response_participant_id"), "instrument_response", ["participant_id"]
    )
    op.create_table(
        "instrument_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=26), nullable=False),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("text", sa.String(length=2000), nullable=True),
        sa.Column("answered_at", p4p.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["instrument_response.id"],
            name=op.f("fk_instrument_answer_response_id_instrument_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument_answer")),
        sa.UniqueConstraint(
            "response_id", "item", name=op.f("uq_instrument_answer_response_id_item")
        ),
    )
    op.create_index(op.f("ix_instrument_answer_response_id"), "instrument_answer", ["response_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_instrument_answer_response_id"), table_name="instrument_answer")
    op.drop_table("instrument_answer")
    op.drop_index(op.f("ix_instrument_response_participant_id"), table_name="instrument_response")
    op.drop_table("instrument_response")
