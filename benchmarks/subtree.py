"""People of a unit subtree at 2,000 units and 100,000 people: the materialised path
(a range scan `path >= 'a/b/' AND path < 'a/b0'`, what the app uses) against a recursive CTE over
parent_id (the usual alternative), both measured here on the same data."""

from __future__ import annotations

import random

import sqlalchemy as sa

from benchmarks.common import best_of, report, scratch_database_url

UNITS_PER_BRANCH = 50
BRANCHES = 40  # 1 + 40 * 50 = 2,001 units
PEOPLE = 100_000


def _build(engine) -> list[tuple[int, str]]:
    from supervision.extensions import db

    db.metadata.drop_all(engine)
    db.metadata.create_all(engine)
    rng = random.Random(7)
    units = [
        {
            "id": 1,
            "code": "R",
            "name": "root",
            "kind": "bureau",
            "parent_id": None,
            "path": "1/",
            "depth": 0,
        }
    ]
    branches = []
    nid = 2
    for b in range(BRANCHES):
        bid = nid
        nid += 1
        branches.append((bid, f"1/{bid}/"))
        units.append(
            {
                "id": bid,
                "code": f"B{b}",
                "name": f"b{b}",
                "kind": "branch",
                "parent_id": 1,
                "path": f"1/{bid}/",
                "depth": 1,
            }
        )
        for t in range(UNITS_PER_BRANCH - 1):
            units.append(
                {
                    "id": nid,
                    "code": f"B{b}T{t}",
                    "name": f"t{t}",
                    "kind": "team",
                    "parent_id": bid,
                    "path": f"1/{bid}/{nid}/",
                    "depth": 2,
                }
            )
            nid += 1
    leaf_ids = [u["id"] for u in units]
    people = [
        {
            "id": i + 1,
            "staff_no": f"S{i:06d}",
            "name": f"p{i}",
            "personnel_type": "police",
            "org_unit_id": rng.choice(leaf_ids),
            "leadership": "none",
            "is_active": True,
        }
        for i in range(PEOPLE)
    ]
    now = sa.func.current_timestamp()
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT 1"))
        org_units = db.metadata.tables["org_units"]
        persons = db.metadata.tables["people"]
        conn.execute(org_units.insert().values(created_at=now, updated_at=now), units)
        for i in range(0, len(people), 10_000):
            conn.execute(
                persons.insert().values(created_at=now, updated_at=now), people[i : i + 10_000]
            )
    return branches


def run() -> None:
    """Build the data, then time both queries for a few branches."""
    from supervision import create_app

    url = scratch_database_url()

    class Config:
        SECRET_KEY = "bench"
        SQLALCHEMY_DATABASE_URI = url
        TESTING = True

    from config import TestConfig

    app = create_app(type("BenchConfig", (TestConfig,), dict(Config.__dict__)))
    with app.app_context():
        from supervision.extensions import db

        branches = _build(db.engine)
        path_sql = sa.text(
            "SELECT count(*) FROM people WHERE org_unit_id IN "
            "(SELECT id FROM org_units WHERE path >= :prefix AND path < :upper)"
        )
        cte_sql = sa.text(
            "WITH RECURSIVE sub(id) AS (SELECT CAST(:root AS INTEGER) UNION ALL "
            "SELECT u.id FROM org_units u JOIN sub ON u.parent_id = sub.id) "
            "SELECT count(*) FROM people WHERE org_unit_id IN (SELECT id FROM sub)"
        )
        sample = branches[::8]
        with db.engine.connect() as conn:

            def by_path():
                return [
                    conn.execute(path_sql, {"prefix": p, "upper": p[:-1] + "0"}).scalar()
                    for _, p in sample
                ]

            def by_cte():
                return [conn.execute(cte_sql, {"root": b}).scalar() for b, _ in sample]

            t_path, counts_path = best_of(by_path)
            t_cte, counts_cte = best_of(by_cte)
        assert counts_path == counts_cte, "the two queries disagree"
        report(
            f"subtree people ({db.engine.dialect.name}, {len(sample)} branches of 2,001 units, "
            f"{PEOPLE:,} people)",
            t_path,
            t_cte,
            "materialised path vs recursive CTE",
        )
