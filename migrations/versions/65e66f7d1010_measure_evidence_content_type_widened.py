"""measure evidence: content_type widened to 128 characters

The MIME types of the Office files a measure's evidence may be (SPEC §14) are longer than
64 characters: a DOCX's is application/vnd.openxmlformats-officedocument.
wordprocessingml.document (71), which PostgreSQL refused in the column of e77fab48370d.

Revision ID: 65e66f7d1010
Revises: e77fab48370d
Create Date: 2026-12-04 21:28:18.213355

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '65e66f7d1010'
down_revision = 'e77fab48370d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('measure_evidence', schema=None) as batch_op:
        batch_op.alter_column('content_type',
               existing_type=sa.VARCHAR(length=64),
               type_=sa.String(length=128),
               existing_nullable=True)


def downgrade():
    with op.batch_alter_table('measure_evidence', schema=None) as batch_op:
        batch_op.alter_column('content_type',
               existing_type=sa.String(length=128),
               type_=sa.VARCHAR(length=64),
               existing_nullable=True)
