"""drop user_account.home_version (the kept-rendered home page is gone)

The participant home page now renders from the database on every visit, so nothing reads the
version stamp any more. Dropping it loses nothing anyone needs: it only counted changes. The
downgrade adds it back at 0 for every account; the old code's cache starts empty in each
process, so any starting value serves it.

On SQLite the batch mode copies user_account without the column. Every other table refers to
user_account, which is why p4p/migrate.py runs migrations with foreign keys off and checks
them all before committing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_column("home_version")


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(
            sa.Column("home_version", sa.Integer(), server_default="0", nullable=False)
        )
