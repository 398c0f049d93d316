"""Notifications (SPEC §8), the e-mails that carry them, calendar-feed tokens, and the
scheduler's job table.

A notification is unique per (recipient, object, period, step): the sweep inserts and the
constraint, not luck, refuses duplicates whatever the number of sweeps or schedulers.

E-mail is a row of its own (`MailMessage`, the outbox): the notifications one sweep (or one
digest run, or one account change) creates for one recipient point at ONE message, which
is claimed, sent, retried and marked as a whole (see delivery.py). A notification keeps
`email_status`, the state of its message (`none` when it has none), kept current in the same
transaction as the message's own state, so the inbox and the API read it directly.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision.common.clock import utcnow
from supervision.db import UTCDateTime
from supervision.extensions import db
from supervision.org.models import Person

STEPS = (
    "upcoming",
    "overdue",
    "escalated",
    "rotation_upcoming",
    "rotation_due",
    "review_upcoming",
    "review_overdue",
    "digest",
    "account",
)
#: `user`: a notice about an account (a role changed, a grant waits for confirmation);
#: `rectification_measure`: a measure's ladder (SPEC §14); `inspection`: the weekly summary
#: of an inspection being rectified (step `digest`, period the ISO week).
OBJECT_TYPES = (
    "obligation",
    "rotation",
    "risk_point",
    "measure",
    "user",
    "rectification_measure",
    "inspection",
)
EMAIL_STATUSES = ("queued", "sending", "sent", "failed", "none")
MESSAGE_STATUSES = ("queued", "sending", "sent", "failed")


def _in(values) -> str:
    return ",".join(f"'{v}'" for v in values)


class Notification(db.Model):
    """One reminder for one recipient (a person) about one object, period and ladder step."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(sa.String(20))
    #: `obligation`, `rotation`, `risk_point`, `measure`, ... (OBJECT_TYPES); "" for a digest
    #: (about no one object).
    object_type: Mapped[str] = mapped_column(sa.String(24), default="")
    #: Identifies the object within its type: an obligation "person:type", a rotation
    #: "person:post", a risk point or measure its id, a digest the recipient's id.
    object_ref: Mapped[str] = mapped_column(sa.String(64))
    #: The obligation period ("2025Q3"); for rotation and reviews the due date (a new due
    #: date restarts the ladder); for a digest the ISO week ("2026-W48"). Never null, so
    #: that the uniqueness constraint holds.
    period: Mapped[str] = mapped_column(sa.String(16), default="")
    #: Whom it is about (the interviewee, the person due for rotation, the risk's owner).
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    #: The talk type, for obligations.
    type: Mapped[str | None] = mapped_column(sa.String(24))
    #: The inbox's group unit: the unit just below the top that held `person` when the
    #: notification was created (outbox.insert_new fills it); null for the notices about no
    #: unit (digests, account notices). Stored, so that the inbox groups and pages a province
    #: HR's tens of thousands of reminders from an index instead of joining every one to its
    #: person's unit path (issue 14).
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_units.id", ondelete="SET NULL"))
    #: Who was to hold the talk (an obligation's conductor when the step was reached): an
    #: escalation names the person who is late, in the reader's language when read.
    conductor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    due_on: Mapped[date | None]
    #: The instant of the ladder step (09:00 local on a working day).
    on: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    #: Path of the item in the app, for the inbox and the e-mail's link.
    link: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: The state of the e-mail carrying it (its message's status); `none`: no e-mail (no
    #: address, e-mail switched off, or a step older than the backlog window).
    email_status: Mapped[str] = mapped_column(sa.String(8), default="none")
    #: The address it was queued for (null when `none`).
    email_to: Mapped[str | None] = mapped_column(sa.String(254))
    #: The e-mail that carries it, with other notifications of the same sweep.
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mail_messages.id", ondelete="SET NULL"), index=True
    )

    recipient: Mapped[Person] = relationship(foreign_keys=[recipient_id])
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    message: Mapped[MailMessage | None] = relationship(back_populates="notifications")

    __table_args__ = (
        sa.UniqueConstraint(
            "recipient_id",
            "object_type",
            "object_ref",
            "period",
            "step",
            name="uq_notifications_once",
        ),
        sa.CheckConstraint(f"step IN ({_in(STEPS)})", name="step"),
        sa.CheckConstraint(f"object_type IN ({_in(OBJECT_TYPES)},'')", name="object_type"),
        sa.CheckConstraint(f"email_status IN ({_in(EMAIL_STATUSES)})", name="email_status"),
        sa.Index("ix_notifications_inbox", "recipient_id", "read_at", "id"),
        sa.Index("ix_notifications_groups", "recipient_id", "step", "unit_id", "created_at", "id"),
    )


class MailMessage(db.Model):
    """One e-mail to one recipient, carrying the notifications one sweep created for them.

    `queued` → `sending` (claimed by a deliverer until `claimed_until`) → `sent`, or back
    to `queued` with a later `next_at` after a failure, or `failed` after the last attempt.
    """

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(sa.String(254))
    status: Mapped[str] = mapped_column(sa.String(8), default="queued")
    #: How many notifications it carries (fixed when queued).
    count: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last failure, as the mail server or the connection reported it.
    error: Mapped[str] = mapped_column(sa.Text, default="")

    recipient: Mapped[Person] = relationship()
    notifications: Mapped[list[Notification]] = relationship(
        back_populates="message", order_by="Notification.id"
    )

    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(MESSAGE_STATUSES)})", name="status"),
        sa.Index("ix_mail_messages_outbox", "status", "next_at"),
    )


class CalendarFeed(db.Model):
    """A user's secret calendar-feed URL token (stored hashed); revoking ends it."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token in the URL.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SchedulerJob(db.Model):
    """APScheduler's SQLAlchemy job store table, declared here so that migrations create it
    and the schema check knows it (same columns as APScheduler 3 creates)."""

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(sa.Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(sa.Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(sa.LargeBinary)


class SweepRun(db.Model):
    """One reminder sweep that wrote its notifications (SPEC §8), written in the sweep's
    own transaction: what the next sweep starts from.

    A sweep as of an instant later than the last run's evaluates only what may have changed
    since (see sweep.py): the ladder steps whose instant lies after the last run's `as_of`,
    and the objects changed since shortly before it started.
    """

    __tablename__ = "reminder_sweep_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: When it started (the clock): its reading of the data is no older than this.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The instant it swept as of (every step due by then was evaluated).
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Whether it evaluated every open item (or only what changed since the run before).
    full: Mapped[bool]
    #: The `as_of` of the last full evaluation it builds on (its own when `full`).
    full_as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Digest of the inputs every step depends on (settings, calendar, recipients by role,
    #: supervising leaders): when they differ, the next sweep evaluates everything.
    inputs: Mapped[str] = mapped_column(sa.String(64))
    due: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
