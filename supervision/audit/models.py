"""Audit entries and the single-row chain head that serialises appends."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from supervision.db import UTCDateTime
from supervision.extensions import db


class AuditEntry(db.Model):
    """One recorded action. `hash` chains it to the previous entry (by id)."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(index=True)
    #: Username at the time, kept even if the user is later renamed or deleted.
    actor_name: Mapped[str] = mapped_column(sa.String(64), default="")
    #: create, update, delete, login, login_failed, read, export, or a state change name.
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40), default="", index=True)
    object_id: Mapped[str] = mapped_column(sa.String(64), default="")
    #: JSON text: {"field": [before, after]}, or free details for non-write actions.
    changes: Mapped[str] = mapped_column(sa.Text, default="{}")
    ip: Mapped[str] = mapped_column(sa.String(64), default="")
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.Index("ix_audit_entries_object", "object_type", "object_id"),)


class AuditHead(db.Model):
    """A single row updated by every append: the row lock orders concurrent writers."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    #: How entries are chained: "hmac-sha256" (keyed with AUDIT_KEY, SPEC §4). Databases
    #: from before the key was introduced were re-chained once by a migration, which set
    #: `rechained_at` and recorded an entry saying so.
    scheme: Mapped[str] = mapped_column(sa.String(16), default="hmac-sha256")
    rechained_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
