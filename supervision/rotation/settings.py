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


def proposed_rotation_settings(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    """The policy with `changes` applied, validated exactly as a save would be (the same
    422 and messages), but not stored: what a preview computes with."""
    from flask_babel import gettext as _

    from supervision.common.errors import Invalid

    unknown = sorted(set(changes) - set(rules.DEFAULT_POLICY))
    if unknown:
        raise Invalid(_("Unknown settings"), {k: [_("Unknown setting.")] for k in unknown})
    merged = {**get_rotation_settings(session), **changes}
    errors = _validate(merged)
    if errors:
        raise Invalid(_("Invalid settings"), errors)
    return merged
