"""An index in the order of the talk lists (newest held first, drafts without a date last,
then newest id), so that a page of a million talks is read from an index, not sorted.

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
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_talks_list_order",
            "talks",
            [sa.text("held_at DESC NULLS LAST"), sa.text("id DESC")],
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_talks_list_order", table_name="talks")
