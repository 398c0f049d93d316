"""Pure rules of talk obligations (SPEC §6): who owes a talk for a period, its status, its
conductor, and completion figures.

Standard library only (plus the pure supervision.common.periods and supervision.org.paths);
dates are parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from supervision.common.periods import Period
from supervision.org.paths import path_ids

OBLIGATION_TYPES = ("integrity_reminder", "supervision", "heart_to_heart")
STATUSES = ("pending", "done", "done_late", "overdue", "not_required", "waived")
LEADERSHIP_LEVELS = ("team_member", "department_head")
#: Who conducts: the responsible head (SPEC §3); the committee member assigned to the person
#: (TalkConductor) or else the discipline secretary; the party secretary for team members
#: (the responsible head for everyone else, and when no party secretary is set).
CONDUCTORS = ("responsible_head", "committee", "party_secretary")
#: The shortest period of each kind, in days: min_days_in_period may not exceed it.
SHORTEST_DAYS = {"quarter": 90, "half": 181, "year": 365}

DEFAULT_SETTINGS: dict = {
    "integrity_reminder": {
        "frequency": "quarter",
        "min_days_in_period": 30,
        "conductor": "responsible_head",
    },
    "supervision": {
        "frequency": "half",
        "leadership": list(LEADERSHIP_LEVELS),
        "conductor": "committee",
    },
    "heart_to_heart": {
        "frequency": "year",
        "leadership": list(LEADERSHIP_LEVELS),
        "conductor": "party_secretary",
    },
    #: Staff number of the party secretary (党委书记); empty: team members' heart-to-heart
    #: talks are conducted by their responsible head.
    "party_secretary_staff_no": "",
}

# Validation messages (translated by the caller; this module imports no translation).
NOT_AN_OBJECT = "Must be an object."
UNKNOWN_FIELD = "Unknown field."
FIXED_FREQUENCY = "Cannot be changed: talks of this type carry periods of this kind."
BAD_CONDUCTOR = "Must be one of: responsible_head, committee, party_secretary."
BAD_LEADERSHIP = "Must be a list of: team_member, department_head (each at most once)."
BAD_MIN_DAYS = "Must be a whole number from 1 to the length of the shortest period."
BAD_STAFF_NO = "Must be a staff number (at most 32 characters) or empty."


def _rule_errors(name: str, rule) -> dict[str, list[str]]:
    if not isinstance(rule, Mapping):
        return {name: [NOT_AN_OBJECT]}
    defaults = DEFAULT_SETTINGS[name]
    errors: dict[str, list[str]] = {}
    for key in sorted(set(rule) - set(defaults)):
        errors[f"{name}.{key}"] = [UNKNOWN_FIELD]
    values = {**defaults, **rule}
    # Talk records store periods of their type's kind, so the frequency is shown, not edited.
    if values["frequency"] != defaults["frequency"]:
        errors[f"{name}.frequency"] = [FIXED_FREQUENCY]
    if values["conductor"] not in CONDUCTORS:
        errors[f"{name}.conductor"] = [BAD_CONDUCTOR]
    if "leadership" in defaults:
        levels = values["leadership"]
        if (
            not isinstance(levels, list)
            or any(x not in LEADERSHIP_LEVELS for x in levels)
            or len(set(levels)) != len(levels)
        ):
            errors[f"{name}.leadership"] = [BAD_LEADERSHIP]
    if "min_days_in_period" in defaults:
        days = values["min_days_in_period"]
        longest = SHORTEST_DAYS.get(values["frequency"], 90)
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= longest:
            errors[f"{name}.min_days_in_period"] = [BAD_MIN_DAYS]
    return errors


def validate_settings(values: Mapping) -> dict[str, list[str]]:
    """Errors by field ("supervision.frequency", ...) of a whole rules document (empty when
    valid)."""
    errors: dict[str, list[str]] = {}
    for name in OBLIGATION_TYPES:
        errors.update(_rule_errors(name, values.get(name, DEFAULT_SETTINGS[name])))
    staff_no = values.get("party_secretary_staff_no", "")
    if not isinstance(staff_no, str) or len(staff_no) > 32 or staff_no != staff_no.strip():
        errors["party_secretary_staff_no"] = [BAD_STAFF_NO]
    return errors


def with_defaults(values: Mapping) -> dict:
    """A rules document completed with the defaults (stored documents may predate a field)."""
    out: dict = {}
    for key, default in DEFAULT_SETTINGS.items():
        stored = values.get(key, default)
        if isinstance(default, dict):
            stored = stored if isinstance(stored, Mapping) else {}
            out[key] = {k: stored.get(k, v) for k, v in default.items()}
        else:
            out[key] = stored
    return out


def types_for(period: Period, settings: Mapping) -> list[str]:
    """The obligation types whose frequency is the kind of `period`."""
    return [t for t in OBLIGATION_TYPES if settings[t]["frequency"] == period.kind]


# ------------------------------------------------------------------ sensitive-post runs

Interval = tuple[date, "date | None"]


def run_days_at_end(intervals: Iterable[Interval], start: date, end: date) -> int:
    """Days of the unbroken run of holding that includes `end`, clipped to [start, end].

    Intervals are (first day, last day or None = open), both inclusive; overlapping or
    adjacent intervals join one run, a gap of a day breaks it. 0 when `end` is not held.
    """
    intervals = list(intervals)
    if len(intervals) == 1:  # the usual case: one post
        a, b = intervals[0]
        held = a <= end and (b is None or b >= end)
        return (end - max(a, start)).days + 1 if held else 0
    spans = sorted(
        (a, b or date.max) for a, b in intervals if a <= end and (b is None or b >= start)
    )
    run_start: date | None = None
    run_end: date | None = None
    for a, b in spans:
        if run_end is not None and (a - run_end).days <= 1:
            run_end = max(run_end, b)
        else:
            run_start, run_end = a, b
        if run_start <= end <= run_end:
            # Later spans start after `end` is already covered; nothing can extend back.
            break
    if run_start is None or not run_start <= end <= run_end:
        return 0
    return (end - max(run_start, start)).days + 1


def last_day_held(intervals: Iterable[Interval], start: date, end: date) -> date | None:
    """The last day within [start, end] on which any interval is held (None if none)."""
    last = None
    for a, b in intervals:
        if a <= end and (b is None or b >= start):
            day = end if b is None else min(b, end)
            last = day if last is None or day > last else last
    return last


@dataclass(frozen=True)
class Requirement:
    """Whether a sensitive-post holder owes the integrity reminder of a period, and why not."""

    required: bool
    #: None, "left" (no sensitive post on the period's last day) or "short" (run too short)
    reason: str | None = None
    run_days: int = 0
    last_day: date | None = None


def integrity_requirement(
    intervals: Sequence[Interval], start: date, end: date, min_days: int
) -> Requirement | None:
    """Rule 1: owed when a sensitive post is held on the period's last day `end` after an
    unbroken run of at least `min_days` days within [start, end]; None when no post touches
    the period."""
    last = last_day_held(intervals, start, end)
    if last is None:
        return None
    if last < end:
        return Requirement(False, "left", 0, last)
    days = run_days_at_end(intervals, start, end)
    if days < min_days:
        return Requirement(False, "short", days, last)
    return Requirement(True, None, days, last)


# ------------------------------------------------------------------ status


def status(
    due: date,
    as_of: date,
    *,
    talk_on: date | None,
    has_talk: bool,
    waived: bool,
    not_required: bool,
) -> str:
    """An obligation's status as of `as_of`: not_required, then done/done_late (a counting
    talk held on/after the due date), then waived, then pending (as_of ≤ due) or overdue."""
    if not_required:
        return "not_required"
    if has_talk:
        return "done_late" if talk_on is not None and talk_on > due else "done"
    if waived:
        return "waived"
    return "pending" if as_of <= due else "overdue"


# ------------------------------------------------------------------ conductors


def head_chain(path: str, heads: Mapping[int, int], limit: int = 2) -> tuple[int, ...]:
    """Up to `limit` distinct heads met walking up from the unit of `path` to the root."""
    found: list[int] = []
    for unit_id in reversed(path_ids(path)):
        head = heads.get(unit_id)
        if head is not None and head not in found:
            found.append(head)
            if len(found) == limit:
                break
    return tuple(found)


def responsible_head(person_id: int, chain: Sequence[int]) -> int | None:
    """SPEC §3: the nearest head above or at the person's unit who is not the person."""
    for head in chain:
        if head != person_id:
            return head
    return None


def conductor(
    mode: str,
    person_id: int,
    leadership: str,
    *,
    head: int | None,
    assigned: int | None,
    secretary: int | None,
    party_secretary: int | None,
) -> int | None:
    """The person who should conduct the talk under the rule's conductor `mode` (never the
    interviewee: None when the only candidate is the person himself)."""
    if mode == "committee":
        chosen = assigned if assigned is not None else secretary
    elif (
        mode == "party_secretary"
        and leadership == "team_member"
        and party_secretary not in (None, person_id)
    ):
        chosen = party_secretary
    else:
        chosen = head
    return None if chosen == person_id else chosen


# ------------------------------------------------------------------ completion


#: The statuses that count as required (the denominator of the completion rate).
REQUIRED = ("pending", "done", "done_late", "overdue")


def empty_counts() -> dict[str, int]:
    """Zero counts for every status."""
    return dict.fromkeys(STATUSES, 0)


def completion(counts: Mapping[str, int]) -> dict:
    """`required` (all but not_required and waived) and the completion rate (done + done_late)
    ÷ required, None when nothing is required."""
    required = sum(counts[s] for s in REQUIRED)
    rate = (counts["done"] + counts["done_late"]) / required if required else None
    return {"required": required, **{s: counts[s] for s in STATUSES}, "completion_rate": rate}
