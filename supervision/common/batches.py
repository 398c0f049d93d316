"""Lists that grow with the bureau, sent to the database in batches.

PostgreSQL accepts at most 65,535 bound parameters in one statement ("number of parameters
must be between 0 and 65535"), and SQLAlchemy binds one parameter per value of an IN list
(an "expanding" bind parameter too, on psycopg). A query filtered on ids that scale with the
bureau (the people of a sweep, their recipients, measures, posts) therefore runs once per
batch of at most BATCH values: the same rows on SQLite and PostgreSQL, whatever the size.

Multi-row INSERTs need nothing here: SQLAlchemy's "insertmanyvalues" already splits an
executemany into statements of at most 1,000 rows and 32,700 parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

#: Values per statement: far below PostgreSQL's 65,535 parameters (and SQLite's 32,766)
#: with room for the statement's other parameters.
BATCH = 10_000

T = TypeVar("T")


def chunks(values: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    """`values` in consecutive lists of at most `size` (in their order)."""
    if size < 1:
        raise ValueError("size must be positive")
    it = iter(values)
    while batch := list(islice(it, size)):
        yield batch


def rows_in(session: Session, stmt: sa.Select, column, values: Iterable, size: int = BATCH):
    """The rows of `stmt` whose `column` is among `values` (duplicates ignored): one
    statement per batch of at most `size` values, none when `values` is empty."""
    out = []
    for batch in chunks(dict.fromkeys(values), size):
        out += session.execute(stmt.where(column.in_(batch))).all()
    return out


def ids_in(session: Session, stmt: sa.Select, column, ids: Iterable[int]):
    """The rows of `stmt` whose integer `column` is among `ids` (duplicates ignored). On
    PostgreSQL one statement whatever their number: the ids are bound as one array
    (`column IN (SELECT unnest(CAST(:ids AS INTEGER[])))`), so neither the parameter limit
    nor a 10,000-placeholder statement to split and parse per batch; elsewhere as
    `rows_in`."""
    ids = list(dict.fromkeys(i for i in ids if i is not None))
    if not ids:
        return []
    if session.get_bind().dialect.name != "postgresql":
        return rows_in(session, stmt, column, ids)
    array = sa.cast(
        sa.bindparam("ids_in", "{" + ",".join(str(int(i)) for i in ids) + "}", type_=sa.Text),
        postgresql.ARRAY(sa.Integer),
    )
    # IN (SELECT unnest(...)), a hashed semi-join: `= ANY(array)` would compare each row
    # with every element of a bound array.
    return session.execute(stmt.where(column.in_(sa.select(sa.func.unnest(array))))).all()
