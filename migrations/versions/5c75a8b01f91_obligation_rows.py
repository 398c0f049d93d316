"""obligation rows: the maintained table of the obligations of the open periods, and its
state row (issue 14)

The table starts empty and without a state row: readers ask the engine until the first
`flask obligations rebuild` (or the scheduler's job at its start, or the first change of
an input, which builds it whole) fills it.

Revision ID: 5c75a8b01f91
Revises: 74b0b6185bfc
Create Date: 2026-12-04 21:33:21.192235

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c75a8b01f91'
down_revision = '74b0b6185bfc'
branch_labels = None
depends_on = None


def upgrade():
    # Written by autogenerate, read and checked.
    op.create_table('obligation_table_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('periods', sa.Text(), nullable=False),
    sa.Column('secretary_id', sa.Integer(), nullable=True),
    sa.Column('party_secretary_id', sa.Integer(), nullable=True),
    sa.Column('built_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_obligation_table_state'))
    )
    op.create_table('obligation_rows',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=1000).with_variant(sa.String(length=1000, collation='C'), 'postgresql'), nullable=False),
    sa.Column('leadership', sa.String(length=20), nullable=False),
    sa.Column('conductor_id', sa.Integer(), nullable=True),
    sa.Column('talk_id', sa.Integer(), nullable=True),
    sa.Column('talk_on', sa.Date(), nullable=True),
    sa.Column('waiver_reason', sa.Text(), nullable=True),
    sa.Column('exempt', sa.String(length=8), nullable=True),
    sa.Column('run_days', sa.Integer(), nullable=False),
    sa.Column('last_held_on', sa.Date(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_obligation_rows_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'type', 'period', name=op.f('pk_obligation_rows'))
    )
    with op.batch_alter_table('obligation_rows', schema=None) as batch_op:
        batch_op.create_index('ix_obligation_rows_changed_at', ['changed_at'], unique=False)
        batch_op.create_index('ix_obligation_rows_conductor', ['conductor_id', 'type', 'period'], unique=False)
        batch_op.create_index('ix_obligation_rows_period_path', ['type', 'period', 'path'], unique=False)



def downgrade():
    with op.batch_alter_table('obligation_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_obligation_rows_period_path')
        batch_op.drop_index('ix_obligation_rows_conductor')
        batch_op.drop_index('ix_obligation_rows_changed_at')

    op.drop_table('obligation_rows')
    op.drop_table('obligation_table_state')
