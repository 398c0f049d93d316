"""The committee's supervision notes in a leader's integrity file, with their files."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision.common.clock import utcnow
from supervision.db import UTCDateTime
from supervision.extensions import db
from supervision.org.models import TimestampMixin


class IntegrityNote(TimestampMixin, db.Model):
    """A supervision note in a leader's integrity file (廉政档案), added by the committee:
    an inquiry letter (函询), an accountability report (述责述廉), or another note."""

    __tablename__ = "integrity_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(24))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    noted_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    attachments: Mapped[list[IntegrityNoteAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="IntegrityNoteAttachment.id"
    )

    __table_args__ = (
        sa.CheckConstraint("kind IN ('inquiry','accountability_report','other')", name="kind"),
    )


class IntegrityNoteAttachment(db.Model):
    """A file of an integrity-file note, stored like talk attachments (by sha256)."""

    __tablename__ = "integrity_note_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(
        sa.ForeignKey("integrity_notes.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
