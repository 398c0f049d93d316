"""The settings table: one JSON document per area (SPEC §12: rule settings live in the
database and are edited in the admin UI or API)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from supervision.common.clock import utcnow
from supervision.db import UTCDateTime
from supervision.extensions import db


class Setting(db.Model):
    """One area's settings as a JSON document."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
