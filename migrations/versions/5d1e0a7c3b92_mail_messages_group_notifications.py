"""One e-mail per recipient and sweep (SPEC §8): the outbox becomes `mail_messages`.

Revision ID: 5d1e0a7c3b92
Revises: 4cad0ea120e1
Create Date: 2026-12-04 18:40:00

A message row carries the notifications one sweep created for one recipient; the delivery
state (attempts, next attempt, claim, sent time, last error) moves from the notification to
the message. Notifications keep `email_status` (their message's state) and `email_to`, and
point at their message through `message_id`.

Upgrading gives every notification that had an e-mail (queued, sending, sent or failed) a
message of its own with the same id, state and history, so nothing queued is lost and
nothing sent is sent again; an interrupted `sending` becomes `queued` (its claim is gone).
Downgrading copies each message's state back onto its notifications.
"""

import sqlalchemy as sa
from alembic import op

revision = "5d1e0a7c3b92"
down_revision = "4cad0ea120e1"
branch_labels = None
depends_on = None

WITH_MAIL = "('queued','sending','sent','failed')"


def upgrade():
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued','sending','sent','failed')",
            name=op.f("ck_mail_messages_status"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["people.id"],
            name=op.f("fk_mail_messages_recipient_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
    )
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.create_index("ix_mail_messages_outbox", ["status", "next_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mail_messages_recipient_id"), ["recipient_id"], unique=False
        )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_notifications_message_id"), ["message_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_notifications_message_id_mail_messages"),
            "mail_messages",
            ["message_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.execute(
        "INSERT INTO mail_messages (id, recipient_id, address, status, count, created_at, "
        "attempts, next_at, claimed_until, sent_at, error) "
        "SELECT id, recipient_id, COALESCE(email_to, ''), "
        "CASE email_status WHEN 'sending' THEN 'queued' ELSE email_status END, 1, created_at, "
        "email_attempts, CASE WHEN email_status IN ('queued','sending') "
        "THEN COALESCE(email_next_at, created_at) END, NULL, email_sent_at, email_error "
        f"FROM notifications WHERE email_status IN {WITH_MAIL}"
    )
    op.execute(
        "UPDATE notifications SET message_id = id, email_status = CASE email_status "
        f"WHEN 'sending' THEN 'queued' ELSE email_status END WHERE email_status IN {WITH_MAIL}"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('mail_messages', 'id'), "
            "COALESCE((SELECT MAX(id) FROM mail_messages), 0) + 1, false)"
        )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_outbox")
        batch_op.drop_column("email_sent_at")
        batch_op.drop_column("email_attempts")
        batch_op.drop_column("email_error")
        batch_op.drop_column("email_next_at")
        batch_op.drop_column("email_claimed_until")


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_claimed_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("email_next_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("email_error", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("email_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("email_sent_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_notifications_outbox", ["email_status", "email_next_at"], unique=False
        )

    for column, source in (
        ("email_claimed_until", "claimed_until"),
        ("email_next_at", "next_at"),
        ("email_error", "error"),
        ("email_attempts", "attempts"),
        ("email_sent_at", "sent_at"),
        ("email_status", "status"),
    ):
        op.execute(
            f"UPDATE notifications SET {column} = (SELECT m.{source} FROM mail_messages m "
            "WHERE m.id = notifications.message_id) WHERE message_id IS NOT NULL"
        )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("email_error", server_default=None)
        batch_op.alter_column("email_attempts", server_default=None)
        batch_op.drop_constraint(
            batch_op.f("fk_notifications_message_id_mail_messages"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_notifications_message_id"))
        batch_op.drop_column("message_id")

    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_messages_recipient_id"))
        batch_op.drop_index("ix_mail_messages_outbox")
    op.drop_table("mail_messages")
