"""tenure_rows and tenure_state: the eligibility engine's rows per person and post held,
maintained in the transaction that changes their inputs (issue 14), and the day and policy
of the last whole rebuild

Revision ID: ae7d9c2f5ce6
Revises: 5c75a8b01f91
Create Date: 2026-12-04 21:31:08.843571

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ae7d9c2f5ce6'
down_revision = '5c75a8b01f91'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tenure_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('policy', sa.Text(), nullable=False),
    sa.Column('rebuilt_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenure_state'))
    )
    op.create_table('tenure_rows',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=1000).with_variant(sa.String(length=1000, collation='C'), 'postgresql'), nullable=False),
    sa.Column('staff_no', sa.String(length=32), nullable=False),
    sa.Column('personnel_type', sa.String(length=20), nullable=False),
    sa.Column('post_code', sa.String(length=64), nullable=False),
    sa.Column('post_category', sa.String(length=32), nullable=False),
    sa.Column('tenure_start', sa.Date(), nullable=False),
    sa.Column('tenure_anchor', sa.Date(), nullable=False),
    sa.Column('threshold_years', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('upcoming_from', sa.Date(), nullable=False),
    sa.Column('near_retirement_from', sa.Date(), nullable=True),
    sa.Column('probation_until', sa.Date(), nullable=True),
    sa.Column('technical_post', sa.Boolean(), nullable=False),
    sa.Column('leader_term', sa.Boolean(), nullable=False),
    sa.Column('blocked', sa.Boolean(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('deferral_id', sa.Integer(), nullable=True),
    sa.Column('deferred_until', sa.Date(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_tenure_rows_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_tenure_rows_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'post_id', name=op.f('pk_tenure_rows'))
    )
    with op.batch_alter_table('tenure_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tenure_rows_changed_at'), ['changed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tenure_rows_path'), ['path'], unique=False)
        batch_op.create_index(batch_op.f('ix_tenure_rows_post_id'), ['post_id'], unique=False)



def downgrade():
    with op.batch_alter_table('tenure_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tenure_rows_post_id'))
        batch_op.drop_index(batch_op.f('ix_tenure_rows_path'))
        batch_op.drop_index(batch_op.f('ix_tenure_rows_changed_at'))

    op.drop_table('tenure_rows')
    op.drop_table('tenure_state')
