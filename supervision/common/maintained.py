"""Maintained tables (issue 14): results that pages read from a table instead of computing
them from the whole history on every request, brought up to date inside the transaction
that changes their inputs.

An area registers a table with two functions:

- `watch(session, objects)` is shown every object a flush inserts, updates or deletes
  (after the flush: new objects have their ids, `history()` gives changed keys) and
  answers the keys (say, person ids) whose rows are stale, or `ALL`;
- `refresh(session, keys)` recomputes the rows of those keys (or of everything for `ALL`)
  with the area's engine, the single source of its rules, and writes them with plain
  statements (not ORM objects, so that refreshing never marks anything stale again).

Before a transaction commits, each table's refresher runs once with every key marked
during the transaction; the rows commit, or roll back, with the change that made them
stale. Writes that bypass the ORM's unit of work (bulk INSERT/UPDATE/DELETE statements on
a mapped class, imports written with `session.execute(sa.insert(Model), rows)`) are shown
to a table's optional `bulk(session, model, statement, parameters)`, which answers keys or
`ALL` likewise (it cannot see the rows: ALL unless it knows better); code writing through
plain Core tables calls `mark()` itself. A reader that must see its own
uncommitted writes calls `settle()` first. A bulk rebuild (CLI, scheduler) is the area's
refresher called with `ALL`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session


class _All:
    """Every key: the whole table is stale (a rule changed, a unit moved)."""

    def __repr__(self) -> str:
        return "ALL"


ALL = _All()

#: session.info key of {table name: set of keys | ALL} still to refresh.
_PENDING = "supervision.maintained"


@dataclass(frozen=True)
class Table:
    name: str
    watch: Callable[[Session, list[object]], Iterable | _All | None]
    refresh: Callable[[Session, set | _All], None]
    bulk: Callable[[Session, type, object, object], Iterable | _All | None] | None = None


_tables: dict[str, Table] = {}


def register(
    name: str,
    watch: Callable[[Session, list[object]], Iterable | _All | None],
    refresh: Callable[[Session, set | _All], None],
    bulk: Callable[[Session, type, object, object], Iterable | _All | None] | None = None,
) -> None:
    """Register a maintained table (once, at import of the area's module)."""
    _tables[name] = Table(name, watch, refresh, bulk)


def unregister(name: str) -> None:
    """Forget a table (tests that register their own)."""
    _tables.pop(name, None)


def tables() -> dict[str, Table]:
    return dict(_tables)


def mark(session: Session, name: str, keys: Iterable | _All = ALL) -> None:
    """Mark keys of table `name` stale in this transaction (ALL: the whole table)."""
    if name not in _tables:
        raise KeyError(f"no maintained table {name!r}")
    pending = session.info.setdefault(_PENDING, {})
    if keys is ALL or pending.get(name) is ALL:
        pending[name] = ALL
        return
    keys = set(keys)
    if keys:
        pending.setdefault(name, set()).update(keys)


def pending(session: Session) -> dict[str, set | _All]:
    """What this transaction has marked and not refreshed yet."""
    return dict(session.info.get(_PENDING, {}))


def history(obj: object, attr: str) -> set:
    """The attribute's current value and, when this flush changes it, its previous one
    (None left out): the keys an update of `obj` touches."""
    state = sa.inspect(obj)
    hist = state.attrs[attr].history
    values = set(hist.added or ()) | set(hist.deleted or ()) | set(hist.unchanged or ())
    if not values:
        values = {getattr(obj, attr, None)}
    values.discard(None)
    return values


def settle(session: Session) -> None:
    """Run the refreshers now for everything marked so far (flushing first)."""
    for _ in range(10):
        session.flush()
        work = session.info.pop(_PENDING, None)
        if not work:
            return
        for name, keys in work.items():
            _tables[name].refresh(session, keys)
    raise RuntimeError("maintained tables kept marking each other stale")


@event.listens_for(Session, "after_flush")
def _watch(session: Session, flush_context) -> None:
    # After the flush (new rows have their ids) and before its post-execution step (the
    # session's new/dirty/deleted lists and the attributes' history still describe it).
    if not _tables:
        return
    changed = [*session.new, *session.deleted]
    changed += [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    if not changed:
        return
    for table in _tables.values():
        keys = table.watch(session, changed)
        if keys is ALL:
            mark(session, table.name, ALL)
        elif keys:
            mark(session, table.name, keys)


@event.listens_for(Session, "do_orm_execute")
def _watch_bulk(state) -> None:
    # A bulk INSERT/UPDATE/DELETE on a mapped class: no unit of work to look at, only the
    # statement (its parameters included). Core statements on plain tables have no mapper.
    if not _tables or not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is None:
        return
    for table in _tables.values():
        if table.bulk is None:
            continue
        keys = table.bulk(state.session, mapper.class_, state.statement, state.parameters)
        if keys is ALL:
            mark(state.session, table.name, ALL)
        elif keys:
            mark(state.session, table.name, keys)


@event.listens_for(Session, "before_commit")
def _refresh(session: Session) -> None:
    if _tables:
        settle(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    # A rollback of the outermost transaction throws away what it had marked; a
    # savepoint's rollback keeps the marks (refreshing a key that did not change is
    # harmless, missing one is not).
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
