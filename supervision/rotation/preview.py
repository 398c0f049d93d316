"""What a rotation policy change would do (SPEC §10 `POST /rotation/policy/preview`): the
eligibility of the scope computed twice, under the current and the proposed policy, and
compared row by row (a row is one person in one sensitive or leadership post).

Nothing is written: the proposed policy is validated as a save would be and only used in
memory. The cost is two eligibility runs (a fixed handful of statements each).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from supervision.org.scope import Scope
from supervision.rotation import eligibility, rules
from supervision.rotation.settings import get_rotation_settings, proposed_rotation_settings

#: At most this many changed rows are listed (the counts cover them all).
MAX_PEOPLE = 500


@dataclass
class ChangedRow:
    """One person and post whose status the proposed policy changes."""

    person_id: int
    person_name: str
    staff_no: str
    org_unit_id: int
    org_unit_name: str
    post_id: int
    post_name: str
    status_before: str
    status_after: str
    due_on_before: date
    due_on_after: date
    threshold_before: int
    threshold_after: int


@dataclass
class UnitEffect:
    """How many people of a unit are due (and upcoming) before and after the change."""

    org_unit_id: int
    org_unit_name: str
    path: str
    due_before: int = 0
    due_after: int = 0
    upcoming_before: int = 0
    upcoming_after: int = 0
    changed: int = 0


@dataclass
class Preview:
    """The effect of a proposed policy as of a date."""

    as_of: date
    current: dict
    proposed: dict
    total: int = 0
    changes: list[dict] = field(default_factory=list)
    units: list[UnitEffect] = field(default_factory=list)
    people: list[ChangedRow] = field(default_factory=list)
    changed_total: int = 0

    @property
    def truncated(self) -> bool:
        """Whether more rows changed than are listed."""
        return self.changed_total > len(self.people)

    @property
    def changed_settings(self) -> list[str]:
        """The settings the proposal changes, in the policy's order."""
        return [k for k in rules.DEFAULT_POLICY if self.current[k] != self.proposed[k]]


def _count(unit: UnitEffect, status: str, when: str) -> None:
    if status in ("due", "upcoming"):
        name = f"{status}_{when}"
        setattr(unit, name, getattr(unit, name) + 1)


def preview(session: Session, changes: dict, as_of: date, scope: Scope | None) -> Preview:
    """Compare the eligibility of `scope` on `as_of` under the current policy and under the
    policy with `changes` (422 as for a save when they are invalid). Writes nothing."""
    proposed = proposed_rotation_settings(session, changes)
    current = get_rotation_settings(session)
    result = Preview(as_of=as_of, current=current, proposed=proposed)
    before = eligibility.compute(session, as_of, scope=scope, policy=current)
    after = {
        (r.person_id, r.post_id): r
        for r in eligibility.compute(session, as_of, scope=scope, policy=proposed)
    }
    result.total = len(before)
    pairs: Counter = Counter()
    units: dict[int, UnitEffect] = {}
    for old in before:
        new = after.get((old.person_id, old.post_id), old)
        unit = units.get(old.org_unit_id)
        if unit is None:
            unit = units[old.org_unit_id] = UnitEffect(old.org_unit_id, old.org_unit_name, old.path)
        _count(unit, old.status, "before")
        _count(unit, new.status, "after")
        if new.status == old.status:
            continue
        unit.changed += 1
        pairs[(old.status, new.status)] += 1
        result.changed_total += 1
        if len(result.people) < MAX_PEOPLE:
            result.people.append(_changed(old, new))
    order = eligibility.STATUS_ORDER
    result.changes = [
        {"from": a, "to": b, "count": n}
        for (a, b), n in sorted(pairs.items(), key=lambda i: (order[i[0][0]], order[i[0][1]]))
    ]
    result.units = sorted(
        (
            u
            for u in units.values()
            if u.changed or u.due_before != u.due_after or u.upcoming_before != u.upcoming_after
        ),
        key=lambda u: u.path,
    )
    return result


def _changed(old: eligibility.Row, new: eligibility.Row) -> ChangedRow:
    return ChangedRow(
        person_id=old.person_id,
        person_name=old.person_name,
        staff_no=old.staff_no,
        org_unit_id=old.org_unit_id,
        org_unit_name=old.org_unit_name,
        post_id=old.post_id,
        post_name=old.post_name,
        status_before=old.status,
        status_after=new.status,
        due_on_before=old.due_on,
        due_on_after=new.due_on,
        threshold_before=old.threshold_years,
        threshold_after=new.threshold_years,
    )
