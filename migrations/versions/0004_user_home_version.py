"""a version stamp of what each participant's home page shows

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 19:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite has ADD and DROP COLUMN since 3.35): a batch
# copy of user_account would have to drop a table that every other table refers to.
def upgrade() -> None:
    op.add_column(
        "user_account", sa.Column("home_version", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("user_account", "home_version")
