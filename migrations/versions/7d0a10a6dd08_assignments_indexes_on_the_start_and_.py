"""assignments: indexes on the start and end dates

The stints that began or ended in a span of days — the start page's 应轮尽轮 departures of
the year, and the tenure table's check that no assignment began or ended since its last
rebuild — are read from these indexes instead of scanning every assignment (issue 14).

Revision ID: 7d0a10a6dd08
Revises: dc4d974cfb4c
Create Date: 2026-12-05 01:56:22.961212

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d0a10a6dd08'
down_revision = 'dc4d974cfb4c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_end_date', ['end_date'], unique=False)
        batch_op.create_index('ix_assignments_start_date', ['start_date'], unique=False)



def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_start_date')
        batch_op.drop_index('ix_assignments_end_date')

