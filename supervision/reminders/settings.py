"""The reminder settings (SPEC §8): the ladder's send time and offsets, e-mail on or off,
read over the defaults, changed as a whole and audited. The pure rules validate the whole
document; this module translates their messages."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from supervision.reminders import rules
from supervision.settings.store import get_settings, put_settings

SETTINGS_KEY = "reminders"


def get_reminder_settings(session: Session) -> dict:
    """The ladder settings: stored values over the defaults."""
    return get_settings(session, SETTINGS_KEY, rules.DEFAULT_SETTINGS)


_MESSAGES = {
    rules.BAD_TIME: _l("Must be a time of day as HH:MM."),
    rules.BAD_BOOL: _l("Must be true or false."),
    rules.BAD_ORDER: _l("Escalation must come after the overdue step."),
}


def _validate(values: dict) -> dict[str, list[str]]:
    """rules.validate_settings with its messages translated."""
    errors = {}
    for field, messages in rules.validate_settings(values).items():
        if field in rules.BOUNDS and messages != [rules.BAD_ORDER]:
            low, high = rules.BOUNDS[field]
            errors[field] = [
                _("Must be a whole number from %(low)s to %(high)s.", low=low, high=high)
            ]
        else:
            errors[field] = [str(_MESSAGES.get(m, m)) for m in messages]
    return errors


def update_reminder_settings(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    """Change any of the reminder settings (422 by field for unknown or invalid ones); audited."""
    return put_settings(session, SETTINGS_KEY, rules.DEFAULT_SETTINGS, changes, _validate)
