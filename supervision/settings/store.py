"""Reading and writing an area's settings document, validated as a whole and audited.

Each area keeps one JSON document under its own key ("risks", "obligations", "rotation",
"reminders"). Reads merge the stored values over the area's defaults, so a new setting
needs no migration. The areas expose them through one convention: `get_<area>_settings`
and `update_<area>_settings` in their own `settings.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from supervision.audit.services import record
from supervision.settings.models import Setting


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
