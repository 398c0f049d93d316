"""An index in the order of the talk lists (newest held first, drafts without a date last,
then newest id), so that a page of a million talks is read from an index, not sorted; and
indexes on a talk's recorder and author, so that a reader limited to their own talks finds
them by lookups instead of a scan.

Revision ID: 8c3e5a1f7b20
Revises: 6a2f4c8d1e07
Create Date: 2026-12-04 20:20:00

PostgreSQL only: SQLite's `ix_talks_held_at` already serves that order (NULLs sort lowest
there and every index carries the rowid), and SQLite cannot declare NULLS LAST in an index.
"""

import sqlalchemy as sa
from alembic import op

revision = "8c3e5a1f7b20"
down_revision = "6a2f4c8d1e07"
branch_labels = None
depends_on = None


def upgrade():
    # the lookups of a reader's own talks (supervision.talks.permissions.visible_clause)
    with op.batch_alter_table("talks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talks_recorder_id"), ["recorder_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_talks_created_by_id"), ["created_by_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_talks_list_order",
            "talks",
            [sa.text("held_at DESC NULLS LAST"), sa.text("id DESC")],
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_talks_list_order", table_name="talks")
    with op.batch_alter_table("talks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talks_created_by_id"))
        batch_op.drop_index(batch_op.f("ix_talks_recorder_id"))
