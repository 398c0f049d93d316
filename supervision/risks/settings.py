"""The risk settings (SPEC §5, §10 `/risks/settings`): level thresholds and review cycles,
read over the defaults, changed as a whole and audited."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from supervision.risks import rules
from supervision.settings.store import get_settings, put_settings

SETTINGS_KEY = "risks"
SETTINGS_DEFAULTS = {
    "high_min_score": rules.DEFAULTS.high_min_score,
    "medium_min_score": rules.DEFAULTS.medium_min_score,
    "review_days": rules.DEFAULTS.review_days,
    "high_review_days": rules.DEFAULTS.high_review_days,
}


def get_risk_settings(session: Session) -> rules.RiskSettings:
    """The current thresholds and review cycles."""
    return rules.RiskSettings(**get_settings(session, SETTINGS_KEY, SETTINGS_DEFAULTS))


#: The pure rules' messages (rules.py imports no translation), translated here.
_RULE_MESSAGES = {
    rules.WHOLE_NUMBER: _l("Must be a whole number."),
    rules.DAYS_RANGE: _l("Must be between 1 and 3650 days."),
    rules.THRESHOLD_ORDER: _l("Need 1 ≤ level 2 score < level 1 score ≤ 25."),
}


def _validate_settings(values: dict) -> dict[str, list[str]]:
    return {
        field: [str(_RULE_MESSAGES.get(m, m)) for m in messages]
        for field, messages in rules.validate_settings(values).items()
    }


def update_risk_settings(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    """Change thresholds/review cycles (validated as a whole, audited)."""
    return put_settings(session, SETTINGS_KEY, SETTINGS_DEFAULTS, changes, _validate_settings)
