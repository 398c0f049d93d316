"""Reading the maintained table of obligations (issue 14): the obligations of the open
periods as the engine computed them (`obligations.maintained` keeps the rows), their
status for a date computed in SQL, with the engine's filters and visibility rules.

Every reader first settles what the transaction has marked stale (so it sees its own
writes) and answers None when the table cannot answer: no table built yet, built for other
periods than today's open ones (a new quarter has begun and the safety-net rebuild has not
run yet), or a period that is not open. The caller then asks the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from supervision.common import maintained
from supervision.common.periods import Period
from supervision.obligations import rules
from supervision.obligations.models import ObligationRow, ObligationTableState, TalkConductor
from supervision.org.models import in_subtree
from supervision.org.scope import Scope

#: The maintained table's name (common.maintained).
NAME = "obligation_rows"
#: Earlier periods kept besides the current one, by kind: the reminder ladder's two
#: (reminders.ladder.PERIODS_BACK) and the three quarters "my talks" looks back at.
OPEN_BACK = {"quarter": 3, "half": 2, "year": 2}

R = ObligationRow


class Row(NamedTuple):
    """One obligation read from the table, its status as of the date asked."""

    person_id: int
    type: str
    period: str
    due_on: date
    status: str
    #: The counting talk as of the date (None when none counts yet).
    talk_id: int | None
    conductor_id: int | None
    waiver_reason: str | None
    exempt: str | None
    run_days: int
    last_held_on: date | None
    org_unit_id: int
    path: str


def open_periods(today: date, settings: dict) -> list[tuple[str, Period]]:
    """(type, period) of every period the table holds on `today`: the current one of each
    type's frequency and OPEN_BACK earlier ones, in OBLIGATION_TYPES order."""
    out = []
    for type_ in rules.OBLIGATION_TYPES:
        kind = settings[type_]["frequency"]
        period = Period.of(today, kind)
        for _i in range(OPEN_BACK[kind] + 1):
            out.append((type_, period))
            period = period.previous()
    return out


def periods_key(pairs: Sequence[tuple[str, Period]]) -> str:
    """The state row's text for a list of (type, period)."""
    return ",".join(f"{t}:{p}" for t, p in pairs)


def parse_key(text: str) -> list[tuple[str, Period]]:
    """The (type, period) list of a state row's text."""
    out = []
    for item in filter(None, (text or "").split(",")):
        type_, period = item.split(":")
        out.append((type_, Period.parse(period)))
    return out


def state(session: Session) -> ObligationTableState | None:
    """The table's state row (None before the first build)."""
    return session.scalar(sa.select(ObligationTableState).where(ObligationTableState.id == 1))


def _usable(
    session: Session, pairs: Sequence[tuple[str, Period]], today: date, settings: dict
) -> ObligationTableState | None:
    """The state when the table holds today's open periods and every pair asked for."""
    maintained.settle(session)
    current = state(session)
    if current is None or not pairs:
        return None
    expected = open_periods(today, settings)
    if current.periods != periods_key(expected):
        return None
    held = set(expected)
    if any(pair not in held for pair in pairs):
        return None
    return current


def counted(as_of: date):
    """SQL: the row's talk counts as of `as_of`."""
    return sa.and_(R.talk_id.is_not(None), sa.or_(R.talk_on.is_(None), R.talk_on <= as_of))


def status_expr(as_of: date):
    """SQL: the status as of `as_of`, as rules.status decides it."""
    return sa.case(
        (R.exempt.is_not(None), "not_required"),
        (counted(as_of), sa.case((R.talk_on > R.due_on, "done_late"), else_="done")),
        (R.waiver_reason.is_not(None), "waived"),
        (R.due_on >= as_of, "pending"),
        else_="overdue",
    )


def _in_scope(scope: Scope):
    """SQL: the row's person is in `scope` (Scope.person_clause on the table's columns)."""
    conds = []
    if scope.subtree_paths or scope.unit_ids:
        conds.append(R.org_unit_id.in_(scope.unit_ids_select()))
    if scope.person_ids:
        conds.append(R.person_id.in_(scope.person_ids))
    return sa.or_(*conds) if conds else sa.false()


def _visible(scope, viewer_id, party_types, party_id):
    """SQL: what the engine shows: the scope, and with a viewer and a partial scope the
    obligations the viewer conducts of people assigned to them (or, for the party
    secretary, of team members under party_types)."""
    if scope is None or scope.everything:
        return sa.true()
    visible = _in_scope(scope)
    if viewer_id is None:
        return visible
    reach = [
        R.person_id.in_(
            sa.select(TalkConductor.person_id).where(TalkConductor.conductor_id == viewer_id)
        )
    ]
    if party_types and party_id is not None and party_id == viewer_id:
        reach.append(sa.and_(R.type.in_(party_types), R.leadership == "team_member"))
    return sa.or_(visible, sa.and_(R.conductor_id == viewer_id, sa.or_(*reach)))


def _party_types(types: Sequence[str], settings: dict) -> list[str]:
    # The engine applies the party secretary's rule to a whole run when one of its types
    # names the party secretary as conductor.
    if any(settings[t]["conductor"] == "party_secretary" for t in types):
        return list(types)
    return []


def _pairs_clause(pairs: Sequence[tuple[str, Period]]):
    return sa.or_(*(sa.and_(R.type == t, R.period == str(p)) for t, p in pairs))


def _filters(unit_path, person_id, scope, viewer_id, party_types, party_id) -> list:
    conds = []
    if unit_path is not None:
        conds.append(in_subtree(R.path, unit_path))
    if person_id is not None:
        conds.append(R.person_id == person_id)
    conds.append(_visible(scope, viewer_id, party_types, party_id))
    return conds


_ORDER = {t: i for i, t in enumerate(rules.OBLIGATION_TYPES)}


def _select(as_of: date):
    status = status_expr(as_of)
    return sa.select(
        R.person_id,
        R.type,
        R.period,
        R.due_on,
        status,
        sa.case((counted(as_of), R.talk_id), else_=None),
        R.conductor_id,
        R.waiver_reason,
        R.exempt,
        R.run_days,
        R.last_held_on,
        R.org_unit_id,
        R.path,
    )


def read(
    session: Session,
    pairs: Sequence[tuple[str, Period]],
    as_of: date,
    settings: dict,
    *,
    unit_path: str | None = None,
    person_id: int | None = None,
    scope: Scope | None = None,
    viewer_id: int | None = None,
    changed_since: datetime | None = None,
    statuses: tuple[str, ...] | None = None,
) -> list[Row] | None:
    """The rows `engine.compute` would return for `pairs` (one run of its types) as of
    `as_of` (today), sorted by person and type (only those changed after `changed_since`,
    or of `statuses`, when given); None when the table cannot answer."""
    current = _usable(session, pairs, as_of, settings)
    if current is None:
        return None
    types = list(dict.fromkeys(t for t, _p in pairs))
    stmt = _select(as_of).where(
        _pairs_clause(pairs),
        *_filters(
            unit_path,
            person_id,
            scope,
            viewer_id,
            _party_types(types, settings),
            current.party_secretary_id,
        ),
    )
    if changed_since is not None:
        stmt = stmt.where(R.changed_at > changed_since)
    if statuses is not None:
        stmt = stmt.where(status_expr(as_of).in_(statuses))
    rows = [Row(*r) for r in session.execute(stmt)]
    rows.sort(key=lambda r: (r.person_id, _ORDER[r.type]))
    return rows


def conducted_by(
    session: Session,
    pairs: Sequence[tuple[str, Period]],
    as_of: date,
    settings: dict,
    conductor_id: int,
    scope: Scope | None,
) -> list[Row] | None:
    """The rows of `pairs` conducted by `conductor_id` that `engine.compute` shows them as
    viewer (each type a run of its own), in no particular order; None when the table
    cannot answer."""
    current = _usable(session, pairs, as_of, settings)
    if current is None:
        return None
    party_types = [t for t in dict.fromkeys(t for t, _p in pairs) if _party_types([t], settings)]
    stmt = _select(as_of).where(
        R.conductor_id == conductor_id,
        _pairs_clause(pairs),
        _visible(scope, conductor_id, party_types, current.party_secretary_id),
    )
    return [Row(*r) for r in session.execute(stmt)]


def counts(
    session: Session,
    pairs: Sequence[tuple[str, Period]],
    as_of: date,
    settings: dict,
    *,
    unit_path: str | None = None,
    scope: Scope | None = None,
) -> dict[tuple[str, str], int] | None:
    """{(unit path, status): number} of the rows `engine.summary` counts: a GROUP BY over
    the unit path; None when the table cannot answer."""
    if not pairs:
        return {}
    current = _usable(session, pairs, as_of, settings)
    if current is None:
        return None
    status = status_expr(as_of).label("status")
    stmt = (
        sa.select(R.path, status, sa.func.count())
        .where(_pairs_clause(pairs), *_filters(unit_path, None, scope, None, [], None))
        .group_by(R.path, status)
    )
    return {(path, st): n for path, st, n in session.execute(stmt)}
