"""contact changes awaiting confirmation from the new email or phone; phones indexed

Logins and resets find people by phone, so user_account.phone gets an index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 08:45:00
"""

import sqlalchemy as sa
from alembic import op

import p4p.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=8), nullable=False),
        sa.Column("new_value", sa.String(length=254), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("created_at", p4p.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", p4p.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", p4p.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", p4p.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("field IN ('email', 'phone')", name=op.f("ck_contact_change_field")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_contact_change_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_change")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_contact_change_secret_hash")),
    )
    op.create_index(op.f("ix_contact_change_user_id"), "contact_change", ["user_id"], unique=False)

    op.create_index(op.f("ix_user_account_phone"), "user_account", ["phone"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_user_account_phone"), table_name="user_account")
    op.drop_index(op.f("ix_contact_change_user_id"), table_name="contact_change")
    op.drop_table("contact_change")
