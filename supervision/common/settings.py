"""Rule settings stored in the database (SPEC §12: edited in the admin UI or API).

Each area keeps one JSON document under its own key ("risks", later "rotation", ...). Reads
merge the stored values over the area's defaults, so a new setting needs no migration.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from supervision.audit.services import record
from supervision.db import UTCDateTime, utcnow
from supervision.extensions import db


class Setting(db.Model):
    """One area's settings as a JSON document."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def get_settings(session: Session, key: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The area's settings: stored values over `defaults` (unknown stored keys are ignored)."""
    row = session.get(Setting, key)
    stored = json.loads(row.value) if row else {}
    return {k: stored.get(k, v) for k, v in defaults.items()}


def put_settings(
    session: Session,
    key: str,
    defaults: Mapping[str, Any],
    changes: Mapping[str, Any],
    validate: Callable[[dict[str, Any]], dict[str, list[str]]],
) -> dict[str, Any]:
    """Apply `changes` over the current settings, validate the whole, store and audit them."""
    from flask_babel import gettext as _

    from supervision.common.errors import Invalid

    current = get_settings(session, key, defaults)
    unknown = sorted(set(changes) - set(defaults))
    if unknown:
        raise Invalid(_("Unknown settings"), {k: [_("Unknown setting.")] for k in unknown})
    merged = {**current, **changes}
    errors = validate(merged)
    if errors:
        raise Invalid(_("Invalid settings"), errors)
    row = session.get(Setting, key)
    if row is None:
        row = Setting(key=key)
        session.add(row)
    row.value = json.dumps(merged, sort_keys=True)
    session.flush()
    diff = {k: [current[k], merged[k]] for k in merged if current[k] != merged[k]}
    if diff:
        record(session, "update", "settings", key, diff)
    return merged
