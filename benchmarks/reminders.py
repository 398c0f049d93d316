"""The reminder sweep over a whole bureau of 100,000 people on 2,001 units (the data of the
obligations scenario: everyone in a sensitive post since 2020, a third with a 2025Q3 talk,
branch heads conducting), as of Friday 2025-10-24 09:00: every open integrity reminder of
2025Q2 and 2025Q3 is overdue, and nearly everyone is due for rotation, so the conductors and
the HR officer get about 250,000 notifications in the first run; the rerun finds them all
and creates nothing. Both are timed against the obligations engine computing
2025Q3 for the same people, measured in the same run."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from benchmarks.common import best_of, report, scratch_database_url
from benchmarks.obligations import _add_posts_and_history
from benchmarks.subtree import PEOPLE, _build

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 10, 24, 9, 0, tzinfo=CST)


def _add_users(session) -> None:
    """An HR officer (person 1) with an account: the rotation part of the ladder runs too.
    (No discipline roles: each would add a copy of every escalation, more of the same.)"""
    from supervision.auth.models import User, UserRole

    for pid, role in ((1, "hr"),):
        user = User(username=f"bench-{role}", password_hash="x", person_id=pid, is_enabled=True)
        session.add(user)
        session.flush()
        session.add(UserRole(user_id=user.id, role=role))
    session.commit()


def run() -> None:
    """Build the data, then time the first sweep, the rerun and the baseline."""
    from config import TestConfig
    from supervision import create_app

    url = scratch_database_url()
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        from supervision.calendar import services as calendar
        from supervision.common import clock
        from supervision.common.periods import Period
        from supervision.extensions import db
        from supervision.obligations import engine
        from supervision.reminders import sweep
        from supervision.reminders.models import Notification

        branches = _build(db.engine)
        _add_posts_and_history(db.engine, branches)
        calendar.sync(db.session, [2024, 2025, 2026])
        db.session.commit()
        _add_users(db.session)
        # No ANALYZE here: with SQLite's statistics the obligations engine's "not superseded"
        # subquery is planned as a scan per talk (see the report of this scenario's author).
        period, as_of = Period.parse("2025Q3"), NOW.date()

        def baseline():
            rows = engine.compute(db.session, period, ["integrity_reminder"], as_of=as_of)
            db.session.rollback()
            return rows

        def sweeping():
            with clock.frozen(NOW):
                result = sweep.sweep(db.session, NOW)
            db.session.commit()
            return result

        t_base, rows = best_of(baseline, repeat=3)
        start = time.perf_counter()
        first = sweeping()
        t_first = time.perf_counter() - start
        t_rerun, rerun = best_of(sweeping, repeat=2)
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
        assert len(rows) == PEOPLE and first.created == stored > PEOPLE
        assert rerun.created == 0 and rerun.due == first.due
        assert date(2025, 10, 24).weekday() == 4
        name = f"reminder sweep ({db.engine.dialect.name}, {PEOPLE:,} people"
        report(
            f"{name}, first run: {first.due:,} steps due, {first.created:,} created)",
            t_first,
            t_base,
            "sweep + insert vs computing 2025Q3's obligations once",
        )
        report(
            f"{name}, rerun: {rerun.due:,} due, all existing)",
            t_rerun,
            t_base,
            "idempotent rerun vs computing 2025Q3's obligations once",
        )
