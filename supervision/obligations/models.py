"""The committee's decisions about obligations: waivers, and the member assigned to hold a
leader's supervision talks."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from supervision.common.clock import utcnow
from supervision.db import UTCDateTime
from supervision.extensions import db
from supervision.org.models import PATH_TYPE
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


class ObligationRow(db.Model):
    """Maintained table (issue 14): one row per obligation the engine computes for the open
    periods (`table.open_periods`), with what its status is made of; the status for a date
    is computed in SQL (`table.status_expr`). Written only by `obligations.maintained`."""

    __tablename__ = "obligation_rows"

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    due_on: Mapped[date]
    #: The person's unit and its path (today's).
    org_unit_id: Mapped[int]
    path: Mapped[str] = mapped_column(PATH_TYPE)
    #: The person's leadership (the party secretary's visibility rule reads it).
    leadership: Mapped[str] = mapped_column(sa.String(20))
    conductor_id: Mapped[int | None]
    #: The earliest counting talk of the period, whatever its date, and its local date:
    #: it counts as of a day on or after `talk_on` (always when `talk_on` is null).
    talk_id: Mapped[int | None]
    talk_on: Mapped[date | None]
    #: The waiver's reason; null when not waived.
    waiver_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Why the integrity reminder is not required ("left", "short"); null when it is.
    exempt: Mapped[str | None] = mapped_column(sa.String(8))
    run_days: Mapped[int] = mapped_column(default=0)
    last_held_on: Mapped[date | None]
    #: When the row was inserted or its content last changed (UTC).
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.Index("ix_obligation_rows_period_path", "type", "period", "path"),
        sa.Index("ix_obligation_rows_conductor", "conductor_id", "type", "period"),
        sa.Index("ix_obligation_rows_changed_at", "changed_at"),
    )


class ObligationTableState(db.Model):
    """The one row describing what `obligation_rows` holds: the periods it was built for
    (readers fall back to the engine when they are not today's open periods) and the
    secretaries it was built with (a change of either rebuilds it)."""

    __tablename__ = "obligation_table_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "type:period" of every period held, comma-separated, in OBLIGATION_TYPES order.
    periods: Mapped[str] = mapped_column(sa.Text)
    secretary_id: Mapped[int | None]
    party_secretary_id: Mapped[int | None]
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
