"""Pure rules of the risk inventory (SPEC §5): level, review due date, a unit's campaign state.

Standard library only; every input is a plain value and dates are parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

CATEGORIES = ("ideology", "duty", "process", "institution", "external")
LEVELS = ("high", "medium", "low")
STATUSES = ("draft", "submitted", "approved", "returned", "retired")
UNIT_STATES = ("not_started", "submitted", "returned", "approved")
#: The statuses each workflow action may start from (SPEC §5). Editing an approved point
#: starts its next version; a submitted point waits for the review.
ACTIONS_FROM = {
    "edit": ("draft", "returned", "approved"),
    "submit": ("draft", "returned"),
    "approve": ("submitted",),
    "return": ("submitted",),
    "retire": ("draft", "returned", "approved"),
}


def can(action: str, status: str) -> bool:
    """Whether `action` applies to a point in `status`."""
    return status in ACTIONS_FROM[action]


@dataclass(frozen=True)
class RiskSettings:
    """Thresholds and review cycles (settings, with the SPEC defaults)."""

    high_min_score: int = 15
    medium_min_score: int = 8
    review_days: int = 365
    high_review_days: int = 180


DEFAULTS = RiskSettings()


WHOLE_NUMBER = "Must be a whole number."
DAYS_RANGE = "Must be between 1 and 3650 days."
THRESHOLD_ORDER = "Need 1 ≤ level 2 score < level 1 score ≤ 25."


def validate_settings(values: dict) -> dict[str, list[str]]:
    """Errors by field for a settings document (empty when valid)."""
    errors: dict[str, list[str]] = {}
    for name in ("high_min_score", "medium_min_score", "review_days", "high_review_days"):
        value = values.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            errors[name] = [WHOLE_NUMBER]
    if errors:
        return errors
    if not 1 <= values["medium_min_score"] < values["high_min_score"] <= 25:
        errors["high_min_score"] = [THRESHOLD_ORDER]
    for name in ("review_days", "high_review_days"):
        if not 1 <= values[name] <= 3650:
            errors[name] = [DAYS_RANGE]
    return errors


def score(likelihood: int, impact: int) -> int:
    """likelihood × impact (each 1–5)."""
    return likelihood * impact


def level(likelihood: int, impact: int, settings: RiskSettings = DEFAULTS) -> str:
    """`high` (一级) if score ≥ high_min_score, `medium` (二级) if ≥ medium_min_score, else
    `low`."""
    s = score(likelihood, impact)
    if s >= settings.high_min_score:
        return "high"
    if s >= settings.medium_min_score:
        return "medium"
    return "low"


def review_due_on(
    last_reviewed_on: date | None, risk_level: str, settings: RiskSettings = DEFAULTS
) -> date | None:
    """The next review date: last review + review_days (high_review_days for a high risk)."""
    if last_reviewed_on is None:
        return None
    days = settings.high_review_days if risk_level == "high" else settings.review_days
    return last_reviewed_on + timedelta(days=days)


def unit_state(current: int, returned: int, approved: int, in_review: int) -> str:
    """A unit's state in a campaign, from counts over its current (not retired) points.

    `current`: all current points; `returned`: returned in the campaign; `approved`:
    approved in the campaign (their current version); `in_review`: submitted or approved
    in the campaign. Any returned point makes the unit `returned`; all points approved
    makes it `approved`; any point in review makes it `submitted`; else `not_started`.
    """
    if returned:
        return "returned"
    if current and approved == current:
        return "approved"
    if in_review:
        return "submitted"
    return "not_started"
