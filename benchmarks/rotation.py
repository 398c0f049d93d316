"""Rotation eligibility for a whole bureau of 100,000 people with 400,000 assignments on
2,001 units (one engine run: the stints of the sensitive and leadership posts with their
person and post columns, the holds, the deferrals in force and the approved plans; tenure,
due dates and statuses in Python), against merely fetching the same assignment rows with a
plain SELECT, measured in the same run. The 应轮尽轮 figures of a year over the same data
are timed against the same baseline."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from benchmarks.common import best_of, report, scratch_database_url
from benchmarks.subtree import PEOPLE, _build

CHUNK = 10_000
STINTS = 4  # per person: 400,000 assignments
AS_OF = date(2025, 6, 30)


def _posts(units: list[int]) -> list[dict]:
    """Per unit: two sensitive posts, a plain post, and a leadership post (the head)."""
    out = []
    for n, unit_id in enumerate(units):
        for k, (kind, flags) in enumerate(
            (
                ("s1", {"is_sensitive": True}),
                ("s2", {"is_sensitive": True}),
                ("plain", {}),
                ("head", {"is_leadership": True}),
            )
        ):
            out.append(
                {
                    "id": n * 4 + k + 1,
                    "code": f"{kind}-{unit_id}",
                    "name": f"{kind}{unit_id}",
                    "org_unit_id": unit_id,
                    "category": "finance" if flags else "other",
                    "is_sensitive": flags.get("is_sensitive", False),
                    "sworn_only": False,
                    "is_technical": False,
                    "is_leadership": flags.get("is_leadership", False),
                }
            )
    return out


def _history(rng: random.Random, posts_of_unit: list[int]) -> list[tuple[int, date, date | None]]:
    """Four consecutive stints in the posts of the person's unit, the last one current; every
    person comes back to their first post, a third of them after a single other stint (a gap
    the tolerance may bridge)."""
    start = date(2003, 1, 1) + timedelta(days=rng.randint(0, 4000))
    stints = []
    order = rng.sample(posts_of_unit, 3)
    if rng.random() < 0.33:
        order = [order[0], order[1], order[0], order[2]]  # back to the first post
    else:
        order = [order[0], order[1], order[2], order[0]]
    for i, post in enumerate(order):
        if i == STINTS - 1:
            stints.append((post, start, None))
            break
        length = rng.randint(200, 2400)
        end = start + timedelta(days=length)
        stints.append((post, start, end))
        start = end + timedelta(days=rng.randint(1, 200))
    return stints


def _add_history(engine) -> None:
    """Posts, 400,000 assignments, holds, deferrals and an approved plan."""
    from supervision.extensions import db

    rng = random.Random(13)
    t = db.metadata.tables
    now = sa.func.current_timestamp()
    with engine.connect() as conn:
        people = conn.execute(sa.text("SELECT id, org_unit_id FROM people ORDER BY id")).all()
        units = [r[0] for r in conn.execute(sa.text("SELECT id FROM org_units ORDER BY id"))]
    posts = _posts(units)
    index = {u: n for n, u in enumerate(units)}
    assignments, holds, deferrals, items = [], [], [], []
    for pid, unit_id in people:
        first = index[unit_id] * 4 + 1
        for post, start, end in _history(rng, [first, first + 1, first + 2, first + 3]):
            assignments.append(
                {"person_id": pid, "post_id": post, "start_date": start, "end_date": end}
            )
        roll = rng.random()
        if roll < 0.01:
            holds.append(
                {
                    "person_id": pid,
                    "reason": "核查",
                    "created_at": datetime(2025, 1, 10, tzinfo=UTC),
                }
            )
        elif roll < 0.03:
            deferrals.append(
                {
                    "person_id": pid,
                    "reason": "承办案件",
                    "meeting_date": date(2025, 1, 10),
                    "minutes_no": "3",
                    "expires_on": date(2025, 12, 31),
                    "created_at": datetime(2025, 1, 10, tzinfo=UTC),
                }
            )
        elif roll < 0.035:
            items.append(
                {
                    "plan_id": 1,
                    "position": len(items),
                    "person_id": pid,
                    "from_post_id": assignments[-1]["post_id"],
                }
            )
    assert len(assignments) == PEOPLE * STINTS
    with engine.begin() as conn:
        conn.execute(t["posts"].insert().values(created_at=now, updated_at=now), posts)
        for i in range(0, len(assignments), CHUNK):
            conn.execute(
                t["assignments"].insert().values(created_at=now, updated_at=now),
                assignments[i : i + CHUNK],
            )
        conn.execute(t["rotation_holds"].insert(), holds)
        conn.execute(t["rotation_deferrals"].insert(), deferrals)
        conn.execute(
            t["rotation_plans"].insert().values(created_at=now, updated_at=now),
            [{"id": 1, "name": "bench", "status": "approved", "decision_comment": ""}],
        )
        conn.execute(t["rotation_plan_items"].insert(), items)


def run() -> None:
    """Build the data, then time eligibility, the 应轮尽轮 figures and the baseline."""
    from config import TestConfig
    from supervision import create_app

    url = scratch_database_url()
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        from supervision.common.periods import Period
        from supervision.extensions import db
        from supervision.rotation import completion, eligibility

        _build(db.engine)
        _add_history(db.engine)
        if db.engine.dialect.name == "sqlite":
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
        from supervision.org.models import Assignment, OrgUnit, Person, Post

        # The engine's own first query, typed the same way (dates parsed), without the work
        # done on its rows: what any per-row computation has to fetch anyway.
        baseline_stmt = (
            sa.select(
                Assignment.person_id,
                Assignment.post_id,
                Assignment.start_date,
                Assignment.end_date,
                Person.name,
                Person.staff_no,
                Person.personnel_type,
                Person.org_unit_id,
                Person.retirement_date,
                Person.probation_until,
                OrgUnit.name,
                OrgUnit.path,
                Post.name,
                Post.code,
                Post.category,
                Post.org_unit_id,
                Post.is_sensitive,
                Post.is_leadership,
                Post.is_technical,
                Post.rotation_years,
            )
            .join(Person, Person.id == Assignment.person_id)
            .join(OrgUnit, OrgUnit.id == Person.org_unit_id)
            .join(Post, Post.id == Assignment.post_id)
            .where(
                Assignment.start_date <= AS_OF,
                Person.is_active.is_(True),
                sa.or_(Post.is_sensitive.is_(True), Post.is_leadership.is_(True)),
            )
        )

        def baseline():
            return db.session.execute(baseline_stmt).all()

        def subject():
            rows = eligibility.compute(db.session, AS_OF)
            db.session.rollback()
            return rows

        year = Period.parse("2025")

        def figures():
            out = completion.compute(db.session, year, today=date(2026, 3, 1))
            db.session.rollback()
            return out

        t_base, fetched = best_of(baseline, repeat=3)
        t_rows, rows = best_of(subject, repeat=3)
        t_fig, out = best_of(figures, repeat=3)
        statuses = Counter(r.status for r in rows)
        assert {"due", "upcoming", "not_due", "blocked", "deferred", "planned"} <= set(statuses)
        report(
            f"rotation eligibility ({db.engine.dialect.name}, {PEOPLE:,} people, "
            f"{PEOPLE * STINTS:,} assignments, {len(fetched):,} sensitive/leadership rows; "
            f"{len(rows):,} rows, {statuses['due']:,} due)",
            t_rows,
            t_base,
            "engine vs a plain SELECT of the same assignment rows",
        )
        total = out["total"]
        report(
            f"rotation 应轮尽轮 2025 ({db.engine.dialect.name}; rotated {total['rotated']:,}, "
            f"due {total['due']:,}, rate {total['rate']:.3f})",
            t_fig,
            t_base,
            "departures + eligibility + breakdown vs the same plain SELECT",
        )
