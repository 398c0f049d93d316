"""The completion summary of integrity-reminder obligations for a whole bureau of 100,000
people on 2,001 units (one engine run: the overlapping sensitive assignments, the counting
talks, the waivers and the unit heads, aggregated in Python by unit path), against a plain
COUNT ... GROUP BY over the same assignments measured in the same run."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import sqlalchemy as sa

from benchmarks.common import best_of, report, scratch_database_url
from benchmarks.subtree import BRANCHES, PEOPLE, _build

CHUNK = 10_000


def _add_posts_and_history(engine, branches) -> None:
    """A sensitive post per branch; everyone assigned (a few joined late or left), a third
    with a final talk for 2025Q3 (some of them late), a few waivers, heads for branches."""
    from supervision.extensions import db

    rng = random.Random(11)
    t = db.metadata.tables
    now = sa.func.current_timestamp()
    posts = [
        {
            "id": i + 1,
            "code": f"SP{i}",
            "name": f"sp{i}",
            "org_unit_id": bid,
            "category": "finance",
            "is_sensitive": True,
            "sworn_only": False,
            "is_technical": False,
            "is_leadership": False,
        }
        for i, (bid, _path) in enumerate(branches)
    ]
    assignments, talks, waivers = [], [], []
    for pid in range(1, PEOPLE + 1):
        roll = rng.random()
        start = date(2025, 9, 15) if roll < 0.05 else date(2020, 1, 1)
        end = date(2025, 8, 31) if 0.05 <= roll < 0.08 else None
        assignments.append(
            {
                "person_id": pid,
                "post_id": rng.randint(1, len(posts)),
                "start_date": start,
                "end_date": end,
            }
        )
        if pid % 3 == 0:
            held = (
                datetime(2025, 9, 10, 2, tzinfo=UTC)
                if pid % 9
                else datetime(2025, 10, 9, 2, tzinfo=UTC)
            )
            talks.append(
                {
                    "type": "integrity_reminder",
                    "status": "final",
                    "held_at": held,
                    "interviewee_id": pid,
                    "period": "2025Q3",
                    "location": "",
                    "reason": "",
                    "content": "",
                    "response": "",
                    "follow_up": "",
                }
            )
        elif pid % 97 == 0:
            waivers.append(
                {
                    "person_id": pid,
                    "type": "integrity_reminder",
                    "period": "2025Q3",
                    "reason": "病假",
                    "created_at": datetime(2025, 9, 1, tzinfo=UTC),
                }
            )
    with engine.begin() as conn:
        conn.execute(t["posts"].insert().values(created_at=now, updated_at=now), posts)
        for rows, table in ((assignments, "assignments"), (talks, "talks")):
            for i in range(0, len(rows), CHUNK):
                conn.execute(
                    t[table].insert().values(created_at=now, updated_at=now), rows[i : i + CHUNK]
                )
        conn.execute(t["obligation_waivers"].insert(), waivers)
        for bid, _path in branches:
            conn.execute(
                t["org_units"].update().where(t["org_units"].c.id == bid).values(head_person_id=bid)
            )


def run() -> None:
    """Build the data, then time the summary and the baseline."""
    from config import TestConfig
    from supervision import create_app

    url = scratch_database_url()
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        from supervision.common.periods import Period
        from supervision.extensions import db
        from supervision.obligations import engine
        from supervision.org.models import OrgUnit

        branches = _build(db.engine)
        _add_posts_and_history(db.engine, branches)
        period, as_of = Period.parse("2025Q3"), date(2025, 10, 15)
        root = db.session.get(OrgUnit, 1)
        baseline_sql = sa.text(
            "SELECT pe.org_unit_id, count(*) FROM assignments a "
            "JOIN posts p ON p.id = a.post_id JOIN people pe ON pe.id = a.person_id "
            "WHERE p.is_sensitive AND a.start_date <= :end "
            "AND (a.end_date IS NULL OR a.end_date >= :start) GROUP BY pe.org_unit_id"
        )

        def subject():
            out = engine.summary(db.session, period, ["integrity_reminder"], as_of=as_of, unit=root)
            db.session.rollback()
            return out

        def baseline():
            return db.session.execute(
                baseline_sql, {"start": period.start, "end": period.end}
            ).all()

        fetch_sql = sa.text(
            "SELECT a.person_id, a.start_date, a.end_date, pe.org_unit_id, u.path "
            "FROM assignments a JOIN posts p ON p.id = a.post_id "
            "JOIN people pe ON pe.id = a.person_id JOIN org_units u ON u.id = pe.org_unit_id "
            "WHERE p.is_sensitive AND a.start_date <= :end "
            "AND (a.end_date IS NULL OR a.end_date >= :start)"
        )

        def fetch():
            return db.session.execute(fetch_sql, {"start": period.start, "end": period.end}).all()

        t_base, groups = best_of(baseline, repeat=3)
        t_fetch, fetched = best_of(fetch, repeat=3)
        t_summary, out = best_of(subject, repeat=3)
        total = out["total"]
        assert sum(n for _unit, n in groups) == PEOPLE
        assert len(out["units"]) == BRANCHES
        assert total["required"] + total["waived"] + total["not_required"] == PEOPLE
        report(
            f"obligations summary ({db.engine.dialect.name}, {PEOPLE:,} people, 2,001 units; "
            f"rate {total['completion_rate']:.3f})",
            t_summary,
            t_base,
            "engine + aggregation vs COUNT/GROUP BY of the same assignments",
        )
        report(
            f"obligations summary ({db.engine.dialect.name}, {len(fetched):,} assignment rows)",
            t_summary,
            t_fetch,
            "engine + aggregation vs merely fetching those assignments",
        )
