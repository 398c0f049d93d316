"""Pure rules of rotation (SPEC §7): the policy, tenure in a post, the due date, the status
and its reasons.

Standard library only (plus the pure supervision.common.periods); dates are parameters.

Counting days: `tenure_days` is the number of whole days spent in the post before `as_of`
(the day itself not yet spent). So the threshold is reached *on* the anniversary in
`continuous` mode (2019-03-01 + 5 years: on 2024-03-01, not on 2024-02-29), and in
`cumulative` mode on the day the days already spent reach 365 × N; for one unbroken
stint both modes agree whenever no 29 February falls inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from supervision.common.periods import anniversary

TENURE_MODES = ("continuous", "cumulative")
#: First match wins, in this order (SPEC §7).
STATUSES = ("blocked", "planned", "deferred", "due", "upcoming", "not_due")
REASONS = (
    "near_retirement",
    "probation",
    "under_review",
    "deferred",
    "technical_post",
    "leader_term",
)

DEFAULT_POLICY: dict = {
    "police_years": 5,
    "auxiliary_years": 3,
    "leader_years": 10,
    "tenure_mode": "continuous",
    "gap_tolerance_days": 365,
    "upcoming_days": 180,
    "retirement_window_days": 730,
}
#: Inclusive bounds of the whole-number settings.
BOUNDS = {
    "police_years": (1, 50),
    "auxiliary_years": (1, 50),
    "leader_years": (1, 50),
    "gap_tolerance_days": (0, 3650),
    "upcoming_days": (0, 3650),
    "retirement_window_days": (0, 3650),
}

# Validation messages (translated by the caller; this module imports no translation).
BAD_NUMBER = "Must be a whole number from {low} to {high}."
BAD_MODE = "Must be one of: continuous, cumulative."


def validate_policy(values: Mapping) -> dict[str, list[str]]:
    """Field -> messages for a whole policy document (empty when valid)."""
    errors: dict[str, list[str]] = {}
    for field, (low, high) in BOUNDS.items():
        value = values.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[field] = [BAD_NUMBER.format(low=low, high=high)]
    if values.get("tenure_mode") not in TENURE_MODES:
        errors["tenure_mode"] = [BAD_MODE]
    return errors


def threshold_years(
    policy: Mapping,
    *,
    rotation_years: int | None,
    is_sensitive: bool,
    is_leadership: bool,
    personnel_type: str,
) -> int:
    """Years in the post after which its holder is due.

    The post's own `rotation_years` wins. Otherwise a sensitive post counts by personnel
    type (police / auxiliary) and a leadership position by `leader_years`; a post that is
    both takes the shorter, so neither rule is ever outlived.
    """
    if rotation_years:
        return rotation_years
    years = []
    if is_sensitive:
        years.append(
            policy["auxiliary_years"] if personnel_type == "auxiliary" else policy["police_years"]
        )
    if is_leadership:
        years.append(policy["leader_years"])
    if not years:
        raise ValueError(
            "a post that is neither sensitive nor a leadership position has no rotation threshold"
        )
    return min(years)


@dataclass(frozen=True)
class Tenure:
    """A person's tenure in one post as of a date."""

    start: date
    days: int
    due_on: date


def _gap_breaks(prev_end: date, next_start: date, tolerance: int) -> bool:
    """Whether the days without the post between two stints end a continuous run."""
    gap = (next_start - prev_end).days - 1
    return gap > 0 and gap >= tolerance


def runs(
    stints: Iterable[tuple[date, date | None]], gap_tolerance_days: int
) -> list[tuple[date, date | None]]:
    """Merge stints (start, end or None) in one post into continuous runs: a gap shorter
    than the tolerance does not break a run. Stints must not overlap (the database refuses
    overlapping assignments to the same post)."""
    merged: list[list] = []
    for start, end in sorted(stints, key=lambda s: s[0]):
        if (
            merged
            and merged[-1][1] is not None
            and not _gap_breaks(merged[-1][1], start, gap_tolerance_days)
        ):
            merged[-1][1] = end
        elif merged and merged[-1][1] is None:
            # An open stint followed by another would overlap: keep the run open.
            continue
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def tenure(
    stints: Sequence[tuple[date, date | None]],
    as_of: date,
    years: int,
    mode: str,
    gap_tolerance_days: int,
) -> Tenure | None:
    """Tenure in one post as of `as_of` from its stints (start, inclusive end or None).

    Stints starting after `as_of` are ignored; None when none has started. The due date
    assumes the latest stint continues.
    """
    started = sorted((s for s in stints if s[0] <= as_of), key=lambda s: s[0])
    if not started:
        return None
    if mode == "continuous":
        start = runs(started, gap_tolerance_days)[-1][0]
        return Tenure(start=start, days=(as_of - start).days, due_on=anniversary(start, years))
    if mode != "cumulative":
        raise ValueError(f"unknown tenure mode {mode!r}")
    target = 365 * years
    days = 0
    due_on = None
    spent_before = 0
    for i, (start, end) in enumerate(started):
        last = i == len(started) - 1
        # The due date assumes the latest stint goes on; earlier ones are as recorded.
        length = None if last or end is None else (end - start).days + 1
        if due_on is None and (length is None or spent_before + length >= target):
            due_on = start + timedelta(days=target - spent_before)
        if length is not None:
            spent_before += length
        stop = as_of if end is None else min(end + timedelta(days=1), as_of)
        days += max(0, (stop - start).days)
    return Tenure(start=started[0][0], days=days, due_on=due_on)


def near_retirement(retirement_date: date | None, as_of: date, window_days: int) -> bool:
    """Whether the planned retirement is within the window (or already past)."""
    return retirement_date is not None and (retirement_date - as_of).days <= window_days


def status(
    *, due_on: date, as_of: date, upcoming_days: int, blocked: bool, planned: bool, deferred: bool
) -> str:
    """The first matching status of SPEC §7 (`deferred` includes near retirement)."""
    if blocked:
        return "blocked"
    if planned:
        return "planned"
    if deferred:
        return "deferred"
    if due_on <= as_of:
        return "due"
    if (due_on - as_of).days <= upcoming_days:
        return "upcoming"
    return "not_due"


def reasons(
    *,
    near_retirement: bool,
    on_probation: bool,
    under_review: bool,
    deferred: bool,
    technical_post: bool,
    leader_term: bool,
) -> list[str]:
    """Every reason code that applies, in the order of REASONS."""
    flags = {
        "near_retirement": near_retirement,
        "probation": on_probation,
        "under_review": under_review,
        "deferred": deferred,
        "technical_post": technical_post,
        "leader_term": leader_term,
    }
    return [code for code in REASONS if flags[code]]


def in_force(meeting_date: date, expires_on: date, as_of: date) -> bool:
    """Whether a deferral decided on `meeting_date` applies on `as_of` (expiry inclusive)."""
    return meeting_date <= as_of <= expires_on
