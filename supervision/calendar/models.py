"""Calendar days: one row per day of each covered year."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from supervision.extensions import db

DAY_SOURCES = ("library", "admin", "fallback")


class CalendarDay(db.Model):
    """Whether a day is a working day. `source` says where it came from; admin edits win."""

    __tablename__ = "calendar_days"

    date: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    #: library (chinese-calendar) or admin (edited by hand; `calendar sync` keeps it).
    source: Mapped[str] = mapped_column(sa.String(16), default="library")

    __table_args__ = (
        sa.CheckConstraint("source IN ('library','admin','fallback')", name="source"),
    )
