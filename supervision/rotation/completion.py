"""应轮尽轮 for a period (SPEC §7): who rotated out of a sensitive or leadership post in the
period, against who was still due at its end, per unit.

- The figures are taken at the cutoff `min(period.end, today)`: a period under way is
  counted so far, a past one at its last day.
- *Rotated*: an active person who left a sensitive or leadership post in the period after
  reaching its threshold. Leaving means that a run of their stints in the post (continuous
  mode: stints merged over gaps shorter than `gap_tolerance_days`; cumulative mode: the last
  stint) ends so that the day after its last day (`left_on`) falls in
  [period.start, cutoff], and no later stint of the same post starting by the cutoff resumes
  it within the tolerance. The threshold is reached when the tenure up to that run, taken
  on `left_on`, has its due date on or before `left_on`. Executing an approved plan closes the
  old assignment the day before the effective date, so a plan executed in the period counts
  here through the assignments it closed. A person counts once, with their latest departure.
- *Still due*: the eligibility rows as of the cutoff with status `due`, plus the `planned`
  rows whose due date is reached. A plan that is approved but not executed has not moved
  anybody yet: counting those people as rotated would show a rotation that has not
  happened (and one the plan may never carry out), and leaving them out would hide them
  from the rate. So they stay in the denominator until the plan is executed.
- *Deferred* and *blocked*: rows with those statuses whose due date is reached, listed
  separately and not in the rate (SPEC §7: "listed separately, not hidden").
- A person counts once per category (their most urgent row there). The categories are
  independent: someone who left one post in the period and is still due in another is both
  rotated and due.
- rate = rotated ÷ (rotated + due); None when nobody is either.

People are attributed to their current unit (Person.org_unit_id). The breakdown is by the
direct children of the requested unit, or without a unit by the children of the single
root (by the roots when there are several); `own_unit` counts the people attached to that
unit itself, and `total` covers the whole subtree or scope.

Set-based: the policy, the breakdown units, the departures (one query over the stints of
the (person, post) pairs that ended in the window) and one eligibility run (four
statements), whatever the number of people.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, aliased

from supervision.common import clock
from supervision.common.errors import Invalid
from supervision.common.periods import Period
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.paths import path_ids
from supervision.org.scope import Scope
from supervision.rotation import eligibility, rules
from supervision.rotation import maintained as tenure_table
from supervision.rotation.settings import get_rotation_settings

CATEGORIES = ("rotated", "due", "deferred", "blocked")
#: Eligibility statuses listed beside the rate (when the threshold is reached).
EXCEPTIONS = ("deferred", "blocked")


@dataclass
class Entry:
    """One person in one category, with the post concerned."""

    person_id: int
    name: str
    staff_no: str
    org_unit_id: int
    org_unit_name: str
    post_id: int
    post_name: str
    due_on: date
    left_on: date | None = None
    path: str = ""

    def as_dict(self) -> dict:
        """The entry as the API shows it (`left_on` only for rotated people)."""
        out = asdict(self)
        out.pop("path")
        if self.left_on is None:
            out.pop("left_on")
        return out


def parse_period(text: str | None) -> Period:
    """Read a period such as 2025, 2025H1 or 2025Q3 (422 when missing or malformed)."""
    try:
        return Period.parse(text or "")
    except ValueError:
        raise Invalid(
            _("Invalid period"),
            {"period": [_("Expected YYYY, YYYYQn (n = 1–4) or YYYYHn (n = 1–2).")]},
        ) from None


def _rows(session: Session, stmt) -> list:
    session.flush()
    return session.connection().execute(stmt).all()


def departures(
    session: Session,
    period: Period,
    cutoff: date,
    *,
    scope: Scope | None,
    unit_path: str | None,
    policy: dict,
) -> dict[int, Entry]:
    """{person: entry} of the people who rotated out in [period.start, cutoff] (one query)."""
    if cutoff < period.start:
        return {}
    low, high = period.start - timedelta(days=1), cutoff - timedelta(days=1)
    ended = aliased(Assignment)
    pairs = (
        sa.select(ended.person_id, ended.post_id)
        .where(ended.end_date >= low, ended.end_date <= high)
        .distinct()
        .subquery()
    )
    stmt = (
        sa.select(
            Assignment.person_id,
            Assignment.post_id,
            Assignment.start_date,
            Assignment.end_date,
            Person.name,
            Person.staff_no,
            Person.personnel_type,
            Person.org_unit_id,
            OrgUnit.name,
            OrgUnit.path,
            Post.name,
            Post.is_sensitive,
            Post.is_leadership,
            Post.rotation_years,
        )
        .join(
            pairs,
            sa.and_(
                pairs.c.person_id == Assignment.person_id, pairs.c.post_id == Assignment.post_id
            ),
        )
        .join(Person, Person.id == Assignment.person_id)
        .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
        .join(Post, Post.id == Assignment.post_id)
        .where(
            Assignment.start_date <= cutoff,
            sa.or_(Post.is_sensitive.is_(True), Post.is_leadership.is_(True)),
            eligibility.people_clause(scope, eligibility.Filters(unit_path=unit_path)),
        )
    )
    stints: dict[tuple[int, int], list] = defaultdict(list)
    columns: dict[tuple[int, int], tuple] = {}
    for r in _rows(session, stmt):
        stints[(r[0], r[1])].append((r[2], r[3]))
        columns.setdefault((r[0], r[1]), r[4:])
    out: dict[int, Entry] = {}
    for (pid, post_id), history in stints.items():
        (
            name,
            staff_no,
            ptype,
            unit_id,
            unit_name,
            path,
            post_name,
            sensitive,
            leadership,
            years,
        ) = columns[(pid, post_id)]
        threshold = rules.threshold_years(
            policy,
            rotation_years=years,
            is_sensitive=sensitive,
            is_leadership=leadership,
            personnel_type=ptype,
        )
        left = left_reached(sorted(history), low, high, threshold, policy)
        if left is None:
            continue
        left_on, due_on = left
        known = out.get(pid)
        if known is not None and (known.left_on, -known.post_id) >= (left_on, -post_id):
            continue
        out[pid] = Entry(
            pid, name, staff_no, unit_id, unit_name, post_id, post_name, due_on, left_on, path
        )
    return out


def left_reached(
    stints: list[tuple[date, date | None]], low: date, high: date, years: int, policy: dict
) -> tuple[date, date] | None:
    """(left_on, due_on) of the latest departure from a post whose last day is in
    [low, high] with the threshold reached by then; None when there is none.

    `stints` are sorted and all start by the cutoff, so a run that ends in the window is not
    resumed within the tolerance by the cutoff.
    """
    mode, tolerance = policy["tenure_mode"], policy["gap_tolerance_days"]
    if mode == "continuous":
        ends = [end for _start, end in rules.runs(stints, tolerance)]
    else:
        ends = [stints[-1][1]]
    for end in sorted((e for e in ends if e is not None and low <= e <= high), reverse=True):
        left_on = end + timedelta(days=1)
        tenure = rules.tenure([s for s in stints if s[0] <= end], left_on, years, mode, tolerance)
        if tenure is not None and tenure.due_on <= left_on:
            return left_on, tenure.due_on
    return None


#: The eligibility statuses each category counts (for rows due by the cutoff).
CATEGORY_STATUSES = {"due": ("due", "planned"), **{s: (s,) for s in EXCEPTIONS}}


def category(row: eligibility.Row, cutoff: date) -> str | None:
    """Where an eligibility row as of the cutoff counts: due, deferred, blocked or nowhere."""
    if row.due_on > cutoff:
        return None
    for name, statuses in CATEGORY_STATUSES.items():
        if row.status in statuses:
            return name
    return None


def breakdown_units(
    session: Session, scope: Scope | None, unit: OrgUnit | None
) -> tuple[list[tuple[int, str, str]], tuple[int, str, str] | None]:
    """((id, name, path) of the units the figures break down into, the unit whose own people
    are counted apart or None); one query."""
    stmt = sa.select(OrgUnit.id, OrgUnit.name, OrgUnit.path, OrgUnit.parent_id).order_by(
        OrgUnit.code, OrgUnit.id
    )
    in_scope = scope.unit_clause() if scope is not None else sa.true()
    if unit is not None:
        children = session.execute(stmt.where(OrgUnit.parent_id == unit.id, in_scope)).all()
        return [tuple(c[:3]) for c in children], (unit.id, unit.name, unit.path)
    if scope is None or scope.everything:
        found = session.execute(stmt.where(OrgUnit.depth <= 1)).all()
        tops = [u for u in found if u.parent_id is None]
    else:
        found = session.execute(stmt.where(in_scope)).all()
        ids = {u.id for u in found}
        tops = [u for u in found if u.parent_id not in ids]
    if len(tops) != 1:
        return [tuple(u[:3]) for u in tops], None
    root = tops[0]
    return [tuple(u[:3]) for u in found if u.parent_id == root.id], tuple(root[:3])


def _counts() -> dict[str, int]:
    return dict.fromkeys(CATEGORIES, 0)


def rate(counts: dict[str, int]) -> float | None:
    """rotated ÷ (rotated + due), None when nobody rotated nor is due."""
    denominator = counts["rotated"] + counts["due"]
    return counts["rotated"] / denominator if denominator else None


def _row(unit_id, name, counts: dict[str, int]) -> dict:
    return {"org_unit_id": unit_id, "org_unit_name": name, **counts, "rate": rate(counts)}


def totals(
    session: Session,
    period: Period,
    *,
    scope: Scope | None = None,
    today: date | None = None,
) -> dict:
    """The total row of `compute` (the start page's 应轮尽轮 figure) under the saved
    policy. When the cutoff is today and the maintained tenure table answers for it, the
    due, deferred and blocked people are counted in SQL (a grouped COUNT DISTINCT) instead
    of reading every eligibility row of the bureau; otherwise `compute`'s."""
    cutoff = min(period.end, today or clock.today())
    if not tenure_table.answers(session, cutoff):
        return compute(session, period, scope=scope, today=today)["total"]
    policy = get_rotation_settings(session)
    counts = _counts()
    counts |= tenure_table.people_per_category(session, cutoff, scope, CATEGORY_STATUSES)
    counts["rotated"] = len(
        departures(session, period, cutoff, scope=scope, unit_path=None, policy=policy)
    )
    return _row(None, None, counts)


def compute(
    session: Session,
    period: Period,
    *,
    unit: OrgUnit | None = None,
    scope: Scope | None = None,
    today: date | None = None,
    policy: dict | None = None,
) -> dict:
    """The 应轮尽轮 figures of a period for a unit's subtree (or the scope): total, per unit
    and the four lists of people."""
    cutoff = min(period.end, today or clock.today())
    policy = policy or get_rotation_settings(session)
    unit_path = unit.path if unit is not None else None
    people: dict[str, dict[int, Entry]] = {c: {} for c in CATEGORIES}
    people["rotated"] = departures(
        session, period, cutoff, scope=scope, unit_path=unit_path, policy=policy
    )
    rows = eligibility.compute(
        session,
        cutoff,
        scope=scope,
        filters=eligibility.Filters(unit_path=unit_path),
        policy=policy,
    )
    for row in rows:
        where = category(row, cutoff)
        if where is None:
            continue
        known = people[where].get(row.person_id)
        if known is None or (row.due_on, row.post_id) < (known.due_on, known.post_id):
            people[where][row.person_id] = Entry(
                row.person_id,
                row.person_name,
                row.staff_no,
                row.org_unit_id,
                row.org_unit_name,
                row.post_id,
                row.post_name,
                row.due_on,
                path=row.path,
            )
    units, own = breakdown_units(session, scope, unit)
    counts = {u[0]: _counts() for u in units}
    own_counts, total = _counts(), _counts()
    attributed: dict[str, int | None] = {}
    for name in CATEGORIES:
        for entry in people[name].values():
            total[name] += 1
            if entry.path not in attributed:
                ids = path_ids(entry.path)
                attributed[entry.path] = next((i for i in ids if i in counts), None)
                if attributed[entry.path] is None and own is not None and ids and ids[-1] == own[0]:
                    attributed[entry.path] = 0
            target = attributed[entry.path]
            if target == 0:
                own_counts[name] += 1
            elif target is not None:
                counts[target][name] += 1
    lists = {
        name: [
            e.as_dict()
            for e in sorted(
                people[name].values(), key=lambda e: (e.left_on or e.due_on, e.path, e.staff_no)
            )
        ]
        for name in CATEGORIES
    }
    return {
        "period": str(period),
        "as_of": cutoff,
        "total": _row(unit.id if unit else None, unit.name if unit else None, total),
        "units": [_row(uid, name, counts[uid]) for uid, name, _path in units],
        "own_unit": _row(own[0], own[1], own_counts) if own and any(own_counts.values()) else None,
        "people": lists,
    }
