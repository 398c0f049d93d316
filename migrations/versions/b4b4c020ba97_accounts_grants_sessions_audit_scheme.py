"""Accounts and sessions (SPEC §4): forced password change, session epoch, token expiry,
pending grants of discipline roles; the audit chain's scheme; notices about accounts.

Revision ID: b4b4c020ba97
Revises: efcd18f0b56c
Create Date: 2026-12-02 18:58:24.801388

Columns added NOT NULL to tables that may hold rows get a server default for those rows,
dropped again afterwards so that the schema equals the models' (which set defaults in Python).
Existing audit heads get the scheme "sha256" (the plain chain); the next revision re-chains
them with the HMAC key and sets "hmac-sha256".
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "b4b4c020ba97"
down_revision = "efcd18f0b56c"
branch_labels = None
depends_on = None

_STEPS_OLD = (
    "'upcoming','overdue','escalated','rotation_upcoming','rotation_due',"
    "'review_upcoming','review_overdue','digest'"
)
_TYPES_OLD = "'obligation','rotation','risk_point','measure',''"
_STEPS_NEW = _STEPS_OLD + ",'account'"
_TYPES_NEW = "'obligation','rotation','risk_point','measure','user',''"


def upgrade():
    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "role IN ('discipline_secretary','discipline_member')",
            name=op.f("ck_role_grants_grant_role"),
        ),
        sa.CheckConstraint(
            "status IN ('pending','confirmed','rejected','withdrawn')",
            name=op.f("ck_role_grants_grant_status"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_role_grants_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["users.id"],
            name=op.f("fk_role_grants_granted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_role_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grants")),
    )
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_grants_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_role_grants_pending",
            ["user_id", "role"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scheme", sa.String(length=16), nullable=False, server_default="sha256")
        )
        batch_op.add_column(sa.Column("rechained_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.alter_column("scheme", server_default=None)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("must_change_password", server_default=None)
        batch_op.alter_column("session_epoch", server_default=None)

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_step"), type_="check")
        batch_op.drop_constraint(op.f("ck_notifications_object_type"), type_="check")
        batch_op.create_check_constraint("step", f"step IN ({_STEPS_NEW})")
        batch_op.create_check_constraint("object_type", f"object_type IN ({_TYPES_NEW})")


def downgrade():
    op.execute("DELETE FROM notifications WHERE step = 'account' OR object_type = 'user'")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_step"), type_="check")
        batch_op.drop_constraint(op.f("ck_notifications_object_type"), type_="check")
        batch_op.create_check_constraint("step", f"step IN ({_STEPS_OLD})")
        batch_op.create_check_constraint("object_type", f"object_type IN ({_TYPES_OLD})")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("must_change_password")

    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("rechained_at")
        batch_op.drop_column("scheme")

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")

    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_role_grants_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_role_grants_user_id"))

    op.drop_table("role_grants")
