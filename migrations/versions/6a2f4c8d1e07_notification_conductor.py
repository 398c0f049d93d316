"""The conductor of an obligation's notification (SPEC §8: an escalation names the
conductor who is late; the text is rendered in the reader's language when read, so the
name is kept as a reference, not as words).

Revision ID: 6a2f4c8d1e07
Revises: 5e1d2c3b4a59
Create Date: 2026-12-12 10:00:00

Existing notifications keep a null conductor; their texts are shown without the name.
"""

import sqlalchemy as sa
from alembic import op

revision = "6a2f4c8d1e07"
down_revision = "5e1d2c3b4a59"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conductor_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notifications_conductor_id_people"),
            "people",
            ["conductor_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notifications_conductor_id_people"), type_="foreignkey"
        )
        batch_op.drop_column("conductor_id")
