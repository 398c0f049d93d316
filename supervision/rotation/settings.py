"""The rotation policy (SPEC §7) as settings: read over the defaults, changed as a whole
and audited."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from supervision.rotation import rules
from supervision.settings.store import get_settings, put_settings

SETTINGS_KEY = "rotation"

_MESSAGES = {
    rules.BAD_MODE: _l("Must be one of: continuous, cumulative."),
}


def get_rotation_settings(session: Session) -> dict[str, Any]:
    """The policy: stored values over the SPEC §7 defaults."""
    return get_settings(session, SETTINGS_KEY, rules.DEFAULT_POLICY)


def _validate(values: dict) -> dict[str, list[str]]:
    errors = {}
    for field, messages in rules.validate_policy(values).items():
        if field in rules.BOUNDS:
            low, high = rules.BOUNDS[field]
            errors[field] = [
                str(_l("Must be a whole number from %(low)s to %(high)s.", low=low, high=high))
            ]
        else:
            errors[field] = [str(_MESSAGES.get(m, m)) for m in messages]
    return errors


def update_rotation_settings(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    """Change any of the settings (422 for unknown or invalid ones); audited."""
    return put_settings(session, SETTINGS_KEY, rules.DEFAULT_POLICY, changes, _validate)
