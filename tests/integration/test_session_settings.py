"""The settings of the app's database sessions, as the server reports them: on PostgreSQL
no JIT compilation and no parallel workers (issue 14: the inbox's query spent 0.9 s in JIT
for 30 ms of work); on SQLite a busy timeout (its foreign keys are switched off and on
again by the suite's own fixtures, so they are not asserted here)."""

from __future__ import annotations

import sqlalchemy as sa


def test_each_connection_carries_the_apps_settings(db):
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            assert conn.execute(sa.text("SHOW jit")).scalar() == "off"
            assert conn.execute(sa.text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
        else:
            assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 10000
