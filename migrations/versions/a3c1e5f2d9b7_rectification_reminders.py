"""notifications about rectification: object types rectification_measure and inspection

SPEC §14: a rectification measure climbs the §8 ladder (object_type
`rectification_measure`, 21 characters: the column is widened from 20 to 24), and the weekly
summary of an inspection being rectified is a `digest` notification about the inspection
(object_type `inspection`, period the ISO week).

Revision ID: a3c1e5f2d9b7
Revises: ae7d9c2f5ce6
Create Date: 2026-12-04 22:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a3c1e5f2d9b7"
down_revision = "ae7d9c2f5ce6"
branch_labels = None
depends_on = None

_TYPES_OLD = "'obligation','rotation','risk_point','measure','user',''"
_TYPES_NEW = (
    "'obligation','rotation','risk_point','measure','user','rectification_measure',"
    "'inspection',''"
)


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_object_type"), type_="check")
        batch_op.alter_column(
            "object_type",
            existing_type=sa.String(length=20),
            type_=sa.String(length=24),
            existing_nullable=False,
        )
        batch_op.create_check_constraint("object_type", f"object_type IN ({_TYPES_NEW})")


def downgrade():
    op.execute(
        "DELETE FROM notifications WHERE object_type IN ('rectification_measure', 'inspection')"
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_object_type"), type_="check")
        batch_op.alter_column(
            "object_type",
            existing_type=sa.String(length=24),
            type_=sa.String(length=20),
            existing_nullable=False,
        )
        batch_op.create_check_constraint("object_type", f"object_type IN ({_TYPES_OLD})")
