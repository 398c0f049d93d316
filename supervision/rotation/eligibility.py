"""Tenure and eligibility for rotation (SPEC §7): what every page, API, desk, reminder and
report reads.

For today under the saved policy the rows come from the maintained table
(supervision.rotation.maintained: a filtered SELECT, and for lists a COUNT and a page with
OFFSET/LIMIT); for any other day or a proposed policy (the what-if preview) the engine
(supervision.rotation.engine, which also fills the table) computes them. Either way the
rows, their order and the filters are the same.

Only active people are considered. A row is one person and one sensitive or leadership post
held on `as_of`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from supervision.org.scope import Scope
from supervision.rotation import engine, rules
from supervision.rotation import maintained as tenure_table
from supervision.rotation.engine import STATUS_ORDER, Filters, Row, people_clause
from supervision.rotation.settings import get_rotation_settings

__all__ = [
    "STATUS_ORDER",
    "Computed",
    "Filters",
    "Row",
    "compute",
    "for_person",
    "listing",
    "people_clause",
    "people_per_status",
    "soonest",
]


def compute(
    session: Session,
    as_of: date,
    *,
    scope: Scope | None = None,
    filters: Filters | None = None,
    policy: dict | None = None,
    only=None,
) -> list[Row]:
    """Eligibility rows as of a date, sorted: most urgent status first, then due date.

    `only` (a SQL condition on the tenure table, for the reminder sweep's increments) narrows
    the rows read when the maintained table answers; the engine's computation ignores it,
    so the caller gets a superset to filter."""
    filters = filters or Filters()
    if tenure_table.answers(session, as_of, policy):
        return tenure_table.rows(session, as_of, scope=scope, filters=filters, only=only)
    return engine.compute(session, as_of, scope, filters, policy or get_rotation_settings(session))


def for_person(
    session: Session,
    person_id: int,
    as_of: date,
    *,
    scope: Scope | None = None,
    policy: dict | None = None,
) -> list[Row]:
    """The rows of one person (their sensitive and leadership posts held on `as_of`)."""
    return compute(session, as_of, scope=scope, filters=Filters(person_id=person_id), policy=policy)


class Computed(list):
    """Rows computed by the engine, as a listing: `counts` per status over all of them,
    the items only those of the chosen status."""

    counts: dict[str, int]


def listing(
    session: Session,
    as_of: date,
    *,
    scope: Scope | None = None,
    filters: Filters | None = None,
    status: str | None = None,
):
    """What a list page shows: a sequence of the rows (of `status` when given) that the
    pagers slice, with `.counts` per status over the filters. For today under the saved
    policy it is read from the maintained table (one grouped COUNT, then each slice a SELECT
    with OFFSET/LIMIT); otherwise the engine computes every row and they are sliced in
    memory."""
    filters = filters or Filters()
    if tenure_table.answers(session, as_of):
        return tenure_table.Listing(session, as_of, scope, filters, status)
    rows = engine.compute(session, as_of, scope, filters, get_rotation_settings(session))
    out = Computed(r for r in rows if status is None or r.status == status)
    out.counts = {s: 0 for s in rules.STATUSES}
    for row in rows:
        out.counts[row.status] += 1
    return out


def people_per_status(
    session: Session, as_of: date, *, scope: Scope | None = None
) -> dict[str, int]:
    """How many people have a row of each status (a person in two posts counts once per
    status): a grouped COUNT on the table for today, else from the engine's rows."""
    if tenure_table.answers(session, as_of):
        return tenure_table.counts(session, as_of, scope, Filters(), people=True)
    people: dict[str, set[int]] = {s: set() for s in rules.STATUSES}
    for row in compute(session, as_of, scope=scope):
        people[row.status].add(row.person_id)
    return {s: len(ids) for s, ids in people.items()}


def soonest(
    session: Session,
    as_of: date,
    statuses: tuple[str, ...],
    limit: int,
    *,
    scope: Scope | None = None,
) -> list[Row]:
    """The first `limit` rows of these statuses by due date, then staff number."""
    if tenure_table.answers(session, as_of):
        return tenure_table.rows(
            session, as_of, scope=scope, status=statuses, limit=limit, by_due=True
        )
    rows = [r for r in compute(session, as_of, scope=scope) if r.status in statuses]
    rows.sort(key=lambda r: (r.due_on, r.staff_no))
    return rows[:limit]
