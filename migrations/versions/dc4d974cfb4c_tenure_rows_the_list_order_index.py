"""tenure rows: the list order index

An index in the eligibility list's order within a status (due date, unit path, staff
number, post code, person, post), from which a page of one status is read instead of sorting
the whole table by a CASE of the statuses (issue 14).

Revision ID: dc4d974cfb4c
Revises: d73718d31c70
Create Date: 2026-12-05 01:49:00.983754

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dc4d974cfb4c'
down_revision = 'd73718d31c70'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenure_rows', schema=None) as batch_op:
        batch_op.create_index('ix_tenure_rows_list_order', ['due_on', 'path', 'staff_no', 'post_code', 'person_id', 'post_id'], unique=False)



def downgrade():
    with op.batch_alter_table('tenure_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_tenure_rows_list_order')

