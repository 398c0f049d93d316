"""Incremental reminder sweeps (issue 14): `reminder_sweep_runs`, one row per sweep that
wrote its result (when it started, the instant swept as of, whether it evaluated
everything, a digest of the inputs common to every step), which the next sweep continues
from; and `risk_measures.updated_at`, so that a sweep finds the measures changed since the
last one (null for the measures written before).

Revision ID: 74b0b6185bfc
Revises: 65e66f7d1010
Create Date: 2026-12-04 21:32:23.633782

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '74b0b6185bfc'
down_revision = '65e66f7d1010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_sweep_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('as_of', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('full_as_of', sa.DateTime(), nullable=False),
    sa.Column('inputs', sa.String(length=64), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_sweep_runs'))
    )
    with op.batch_alter_table('risk_measures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('risk_measures', schema=None) as batch_op:
        batch_op.drop_column('updated_at')

    op.drop_table('reminder_sweep_runs')
