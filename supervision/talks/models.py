"""Talk records with participants, signatures and attachments."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision.common.clock import utcnow
from supervision.db import UTCDateTime
from supervision.extensions import db
from supervision.org.models import Person, TimestampMixin

TALK_TYPES = (
    "integrity_reminder",
    "supervision",
    "heart_to_heart",
    "admonishment",
    "pre_appointment",
)
TALK_TYPES_SQL = (
    "'integrity_reminder','supervision','heart_to_heart','admonishment','pre_appointment'"
)


class Talk(TimestampMixin, db.Model):
    """A talk record (谈话记录). Drafts may be incomplete; final records never change in
    place: a correction is a new talk whose `revision_of_id` names the one it corrects."""

    __tablename__ = "talks"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(24), index=True)
    status: Mapped[str] = mapped_column(sa.String(8), default="draft", index=True)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    interviewee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="RESTRICT"), index=True
    )
    recorder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="RESTRICT"), index=True
    )
    #: 谈话事由
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: 谈话内容 (confidential)
    content: Mapped[str] = mapped_column(sa.Text, default="")
    #: 本人表态 (confidential)
    response: Mapped[str] = mapped_column(sa.Text, default="")
    #: 整改要求
    follow_up: Mapped[str] = mapped_column(sa.Text, default="")
    #: The obligation period the talk fulfils ("2025Q3", "2025H2", "2025"); by default the
    #: period of its own local date; an earlier open period makes it a make-up talk (补谈).
    period: Mapped[str | None] = mapped_column(sa.String(8), index=True)
    #: Admonishments: when the talk was reported to the higher-level committee.
    reported_to_higher_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revision_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("talks.id", ondelete="RESTRICT"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    interviewee: Mapped[Person | None] = relationship(foreign_keys=[interviewee_id])
    recorder: Mapped[Person | None] = relationship(foreign_keys=[recorder_id])
    interviewers: Mapped[list[TalkInterviewer]] = relationship(
        cascade="all, delete-orphan", order_by="TalkInterviewer.position"
    )
    signatures: Mapped[list[TalkSignature]] = relationship(cascade="all, delete-orphan")
    attachments: Mapped[list[TalkAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="TalkAttachment.id"
    )
    revision_of: Mapped[Talk | None] = relationship(remote_side="Talk.id")

    __table_args__ = (
        sa.CheckConstraint(f"type IN ({TALK_TYPES_SQL})", name="type"),
        sa.CheckConstraint("status IN ('draft','final')", name="status"),
        sa.Index("ix_talks_obligation", "interviewee_id", "type", "period", "status"),
    )


#: The order of the talk lists (newest held first, drafts without a date last, then newest
#: id), read from an index instead of sorting every row a reader may see. SQLite's plain
#: `ix_talks_held_at` already serves it (NULLs sort lowest there and the index carries the
#: rowid), and SQLite cannot declare NULLS LAST in an index; PostgreSQL sorts NULLs highest,
#: so it needs this one.
sa.Index("ix_talks_list_order", Talk.held_at.desc().nulls_last(), Talk.id.desc()).ddl_if(
    dialect="postgresql"
)


class TalkInterviewer(db.Model):
    """One interviewer (谈话人) of a talk, in the order given."""

    __tablename__ = "talk_interviewers"

    talk_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talks.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)

    person: Mapped[Person] = relationship()


class TalkSignature(db.Model):
    """A participant's electronic confirmation of the record, made while logged in."""

    __tablename__ = "talk_signatures"

    talk_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talks.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="RESTRICT"), primary_key=True
    )
    #: interviewee or interviewer
    role: Mapped[str] = mapped_column(sa.String(12))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship()

    __table_args__ = (sa.CheckConstraint("role IN ('interviewee','interviewer')", name="role"),)


class TalkAttachment(db.Model):
    """A file attached to a talk, stored outside the web root under its sha256."""

    __tablename__ = "talk_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    talk_id: Mapped[int] = mapped_column(sa.ForeignKey("talks.id", ondelete="CASCADE"), index=True)
    #: signed_form (replaces the signatures), written_explanation (书面说明/检讨), other
    kind: Mapped[str] = mapped_column(sa.String(24))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.CheckConstraint("kind IN ('signed_form','written_explanation','other')", name="kind"),
    )
