"""The committee's decisions about obligations: waivers, and the member assigned to hold a
leader's supervision talks."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from supervision.common.clock import utcnow
from supervision.db import UTCDateTime
from supervision.extensions import db
from supervision.talks.models import TALK_TYPES_SQL


class ObligationWaiver(db.Model):
    """The discipline committee waives one person's obligation for one period, with a reason."""

    __tablename__ = "obligation_waivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(sa.String(24))
    period: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.UniqueConstraint(
            "person_id", "type", "period", name="uq_obligation_waivers_person_type_period"
        ),
        sa.CheckConstraint(f"type IN ({TALK_TYPES_SQL})", name="type"),
        sa.Index("ix_obligation_waivers_period", "type", "period"),
    )


class TalkConductor(db.Model):
    """The committee member the committee assigned to hold a leader's supervision talks."""

    __tablename__ = "talk_conductors"

    #: The leader (team member or department head) who owes the talks.
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    conductor_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))

    __table_args__ = (sa.CheckConstraint(f"type IN ({TALK_TYPES_SQL})", name="type"),)
