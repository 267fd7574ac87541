"""an index on what each audit event is about: the planner's and the home page's meeting history

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:15:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


# The reminder planner asks every tick when each meeting near now last moved, and the home
# page which of a cohort's meetings changed: both look audit events up by entity and id, which
# without this index reads the whole trail, a table that only grows.
def upgrade() -> None:
    op.create_index("ix_audit_event_entity", "audit_event", ["entity", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_entity", table_name="audit_event")
