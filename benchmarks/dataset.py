"""A province-sized bureau, built once per (size, schema revision) and cached.

Default size: 100,000 people on 2,001 units, 4 assignments each (400,000), 10 talks each
(1,000,000) held by the first person of the interviewee's unit (1,000,000 interviewer rows)
and signed by both once final (about 1,560,000 signatures), risk points with measures, three
accounts (admin, secretary, hr). The schema
is the app's own (`flask db upgrade` through Flask-Migrate); rows are written in bulk:
COPY on PostgreSQL, executemany on SQLite, never the ORM one row at a time.

The cached database is a template: every run works on a copy (a file copy on SQLite,
`CREATE DATABASE ... TEMPLATE` on PostgreSQL), so the sweep's first run is a first run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("BENCH_CACHE", ROOT / ".bench-cache"))
#: Bump when the generated data changes: cached datasets of another version are rebuilt.
DATASET_VERSION = 3
PASSWORD = "bench-password-2026"
BRANCHES, UNITS_PER_BRANCH = 40, 50  # 1 + 40 * 50 = 2,001 units
STINTS, TALKS_PER_PERSON = 4, 10
QUARTERS = [f"{y}Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4)][3:11]  # 2023Q4..2025Q3
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"


def sizes(people: int) -> dict:
    """The dataset's parameters for a number of people (risk points scale down with it)."""
    return {
        "people": people,
        "units": 1 + BRANCHES * UNITS_PER_BRANCH,
        "assignments": people * STINTS,
        "talks": people * TALKS_PER_PERSON,
        "talk_interviewers": people * TALKS_PER_PERSON,
        "risk_points": min(1000, max(50, people // 100)),
        "version": DATASET_VERSION,
    }


def schema_revision() -> str:
    """The migration heads the schema is built from (part of the cache key)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return ",".join(sorted(ScriptDirectory.from_config(cfg).get_heads()))


def make_app(url: str):
    """The app on `url`, with the test configuration's cheap password hashing."""
    from benchmarks.province import NOW
    from config import TestConfig
    from supervision import create_app

    # The clock of the served app (BENCH_NOW): "today" is the same in-process and over HTTP,
    # so that the obligations table built here holds the periods the pages ask for.
    return create_app(
        type(
            "BenchConfig",
            (TestConfig,),
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "RATELIMIT_ENABLED": False,
                "TESTING": False,
                "SUPERVISION_FAKE_NOW": NOW.isoformat(),
            },
        )
    )


# -- bulk writing ------------------------------------------------------------------------


def _defaults(table: sa.Table, given: set[str]) -> dict:
    out = {}
    for col in table.columns:
        if col.name in given or col.default is None:
            continue
        d = col.default
        if getattr(d, "is_scalar", False):
            out[col.name] = d.arg
        elif getattr(d, "is_callable", False):
            out[col.name] = d.arg(None)
    return out


def bulk_insert(conn, table: sa.Table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys) with the columns' Python defaults filled in."""
    if not rows:
        return
    extra = _defaults(table, set(rows[0]))
    cols = list(rows[0]) + list(extra)
    if conn.dialect.name != "postgresql":
        for i in range(0, len(rows), 50_000):
            conn.execute(table.insert(), [{**r, **extra} for r in rows[i : i + 50_000]])
        return
    procs = []
    for name in cols:
        typ = table.c[name].type
        procs.append(
            (lambda t: lambda v: t.process_bind_param(v, conn.dialect))(typ)
            if isinstance(typ, sa.types.TypeDecorator)
            else None
        )
    quoted = ", ".join(f'"{c}"' for c in cols)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for r in rows:
            values = [r[c] if c in r else extra[c] for c in cols]
            copy.write_row([p(v) if p else v for p, v in zip(procs, values, strict=True)])


def _reset_sequences(conn, tables: list[str]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for name in tables:
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f'COALESCE((SELECT max(id) FROM "{name}"), 0) + 1, false)'
            )
        )


# -- the data ----------------------------------------------------------------------------


def _units() -> tuple[list[dict], list[int]]:
    units = [dict(id=1, code="R", name="全市公安局", kind="bureau", path="1/", depth=0)]
    units[0]["parent_id"] = None
    branches, nid = [], 2
    for b in range(BRANCHES):
        bid, nid = nid, nid + 1
        branches.append(bid)
        units.append(
            dict(id=bid, code=f"B{b}", name=f"第{b + 1}分局", kind="branch", parent_id=1)
            | {"path": f"1/{bid}/", "depth": 1}
        )
        for t in range(UNITS_PER_BRANCH - 1):
            units.append(
                dict(id=nid, code=f"B{b}T{t}", name=f"第{b + 1}分局{t + 1}所", kind="team")
                | {"parent_id": bid, "path": f"1/{bid}/{nid}/", "depth": 2}
            )
            nid += 1
    return units, branches


def _people(rng: random.Random, n: int, unit_ids: list[int]) -> list[dict]:
    return [
        {
            "id": i + 1,
            "staff_no": f"S{i:06d}",
            "name": f"民警{i}",
            "personnel_type": "police",
            "org_unit_id": 1 if i == 0 else unit_ids[rng.randrange(len(unit_ids))],
            "leadership": "none",
            "is_active": True,
        }
        for i in range(n)
    ]


def _talks(rng: random.Random, people: list[dict]) -> list[dict]:
    """Per person: 8 quarterly integrity reminders (most final, some missing or draft),
    a heart-to-heart and a supervision talk not yet held (held_at NULL)."""
    out = []
    for p in people:
        pid = p["id"]
        for q in QUARTERS:
            y, k = int(q[:4]), int(q[-1])
            roll = rng.random()
            final = roll < 0.85
            held = datetime(y, 3 * k - 1, 1 + rng.randrange(27), 2, tzinfo=UTC)
            out.append(
                {
                    "type": "integrity_reminder",
                    "status": "final" if final else "draft",
                    "held_at": held,
                    "interviewee_id": pid,
                    "period": q,
                    "finalized_at": held if final else None,
                }
            )
        out.append(
            {
                "type": "heart_to_heart",
                "status": "final",
                "held_at": datetime(2024, 1 + rng.randrange(12), 5, 2, tzinfo=UTC),
                "interviewee_id": pid,
                "period": None,
                "finalized_at": datetime(2024, 12, 31, tzinfo=UTC),
            }
        )
        out.append(
            {
                "type": "supervision",
                "status": "draft",
                "held_at": None,
                "interviewee_id": pid,
                "period": None,
                "finalized_at": None,
            }
        )
    return out


def _seats(
    talks: list[dict], first: int, people: list[dict], units: list[dict]
) -> tuple[list, list]:
    """The interviewer rows and signatures of talks[first:] (ids from first + 1): the first
    person of the interviewee's unit conducts (for that person themself, the first person of
    the parent unit: a station's head talks with each officer, the branch's with the station
    heads), and a final talk is signed by both — what the talk pages and "my talks" join."""
    unit_of = {p["id"]: p["org_unit_id"] for p in people}
    parent = {u["id"]: u["parent_id"] for u in units}
    head: dict[int, int] = {}
    for p in people:
        head.setdefault(p["org_unit_id"], p["id"])
    seats, signatures = [], []
    for n, talk in enumerate(talks, start=first + 1):
        pid = talk["interviewee_id"]
        unit = unit_of[pid]
        conductor = head[unit]
        while conductor == pid or conductor is None:
            unit = parent.get(unit)
            conductor = head.get(unit) if unit is not None else (2 if pid == 1 else 1)
        seats.append({"talk_id": n, "person_id": conductor, "position": 0})
        if talk["status"] == "final":
            when = talk["finalized_at"]
            signatures.append(
                {"talk_id": n, "person_id": pid, "role": "interviewee", "signed_at": when}
            )
            signatures.append(
                {"talk_id": n, "person_id": conductor, "role": "interviewer", "signed_at": when}
            )
    return seats, signatures


def _assignments_and_rotation(rng, people, units) -> dict[str, list[dict]]:
    from benchmarks.rotation import _history, _posts

    unit_ids = [u["id"] for u in units]
    posts = _posts(unit_ids)
    index = {u: n for n, u in enumerate(unit_ids)}
    out = {"posts": posts, "assignments": [], "rotation_holds": [], "rotation_deferrals": []}
    for p in people:
        first = index[p["org_unit_id"]] * 4 + 1
        for post, start, end in _history(rng, [first, first + 1, first + 2, first + 3]):
            out["assignments"].append(
                {"person_id": p["id"], "post_id": post, "start_date": start, "end_date": end}
            )
        roll = rng.random()
        if roll < 0.01:
            out["rotation_holds"].append(
                {
                    "person_id": p["id"],
                    "reason": "核查",
                    "created_at": datetime(2025, 1, 10, tzinfo=UTC),
                }
            )
        elif roll < 0.03:
            out["rotation_deferrals"].append(
                {
                    "person_id": p["id"],
                    "reason": "承办案件",
                    "meeting_date": date(2025, 1, 10),
                    "minutes_no": "3",
                    "expires_on": date(2025, 12, 31),
                    "created_at": datetime(2025, 1, 10, tzinfo=UTC),
                }
            )
    return out


def _risks(rng, n: int, branch: int, units: list[dict], people: list[dict]) -> list[dict]:
    """`n` approved risk points with 3 measures each, in the first branch's units."""
    in_branch = [u["id"] for u in units if u["path"].startswith(f"1/{branch}/")]
    owners = [p["id"] for p in people if p["org_unit_id"] in set(in_branch)] or [1]
    points, measures = [], []
    for i in range(n):
        unit = in_branch[i % len(in_branch)]
        points.append(
            {
                "id": i + 1,
                "org_unit_id": unit,
                "post_id": (unit - 1) * 4 + 1,
                "title": f"违规插手干预案件办理第{i}项",
                "manifestation": "利用职务便利，接受当事人请托，违规插手案件办理。"
                * rng.randint(1, 3),
                "category": ("ideology", "duty", "process", "institution", "external")[i % 5],
                "likelihood": rng.randint(1, 5),
                "impact": rng.randint(1, 5),
                "responsible_leader_id": rng.choice(owners),
                "department_owner_id": rng.choice(owners),
                "status": "approved",
                "version": 1,
                "return_comment": "",
            }
        )
        for m in range(3):
            measures.append(
                {
                    "risk_point_id": i + 1,
                    "description": f"严格执行案件审核审批制度，落实办案全程留痕（{m + 1}）",
                    "owner_id": rng.choice(owners),
                    "due_on": date(2026, 1, 1) + timedelta(days=rng.randint(0, 365)),
                    "status": "open",
                }
            )
    return [points, measures]


def _fill(app, size: dict) -> None:
    from supervision.auth.services import create_user
    from supervision.calendar import services as calendar
    from supervision.extensions import db

    rng = random.Random(2026)
    t = db.metadata.tables
    units, branches = _units()
    people = _people(rng, size["people"], [u["id"] for u in units])
    heads = {1: 1} | {b: n + 2 for n, b in enumerate(branches)}
    for unit, person in heads.items():
        people[person - 1]["org_unit_id"] = unit
    rot = _assignments_and_rotation(rng, people, units)
    points, measures = _risks(rng, size["risk_points"], branches[0], units, people)
    with db.engine.begin() as conn:
        bulk_insert(conn, t["org_units"], units)
        bulk_insert(conn, t["people"], people)
        for name in ("posts", "assignments", "rotation_holds", "rotation_deferrals"):
            bulk_insert(conn, t[name], rot[name])
        bulk_insert(conn, t["risk_points"], points)
        bulk_insert(conn, t["risk_measures"], measures)
        for unit, person in heads.items():
            conn.execute(
                t["org_units"].update().where(t["org_units"].c.id == unit),
                {"head_person_id": person},
            )
        _reset_sequences(conn, ["org_units", "people", "posts", "risk_points"])
    talks = _talks(rng, people)
    for n, talk in enumerate(talks, start=1):
        talk["id"] = n
    with db.engine.begin() as conn:
        for i in range(0, len(talks), 200_000):
            chunk = talks[i : i + 200_000]
            bulk_insert(conn, t["talks"], chunk)
            seats, signatures = _seats(chunk, i, people, units)
            bulk_insert(conn, t["talk_interviewers"], seats)
            bulk_insert(conn, t["talk_signatures"], signatures)
        _reset_sequences(conn, ["talks"])
    with app.app_context():
        calendar.sync(db.session, [2024, 2025, 2026])
        create_user(db.session, "admin", PASSWORD, ["admin"])
        create_user(
            db.session,
            "secretary",
            PASSWORD,
            ["discipline_secretary", "leader"],
            staff_no="S000000",
        )
        create_user(db.session, "hr", PASSWORD, ["hr"], staff_no="S000001")
        db.session.commit()
        # The rows above were written around the ORM: fill the table the obligation pages
        # read, as `flask obligations rebuild` would.
        from supervision.obligations import cli as obligations_cli

        print(f"  obligations table: {obligations_cli.describe(obligations_cli.rebuild())}")
    _rebuild_tenure(app)
    with db.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))


def _rebuild_tenure(app) -> None:
    """Fill the rotation tenure table (the rows above bypassed the ORM that maintains it),
    as of the benchmarks' day (`flask rotation rebuild` does the same)."""
    from benchmarks.province import NOW
    from supervision.common import clock
    from supervision.extensions import db
    from supervision.rotation import maintained

    with app.app_context(), clock.frozen(NOW):
        maintained.rebuild(db.session)
        db.session.commit()


# -- cache -------------------------------------------------------------------------------


def _pg_admin(url: str):
    base = sa.engine.make_url(url)
    return sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT"), base


def _recreate_pg(url: str, template: str | None = None) -> None:
    admin, base = _pg_admin(url)
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :d AND pid <> pg_backend_pid()"
            ),
            {"d": base.database},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{base.database}"'))
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(sa.text(f'CREATE DATABASE "{base.database}"{suffix}'))
    admin.dispose()


def template_url(backend: str, people: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{CACHE / f'bureau-{people}.db'}"
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)


def ensure(backend: str, people: int, log=print) -> tuple[str, dict]:
    """The cached dataset's URL (built now if missing or stale) and its description."""
    CACHE.mkdir(parents=True, exist_ok=True)
    url = template_url(backend, people)
    key = sizes(people) | {"schema": schema_revision(), "backend": backend}
    meta_path = CACHE / f"{backend}-{sa.engine.make_url(url).database.replace('/', '_')}.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("key") == key:
            log(
                f"[{backend}] cached dataset reused "
                f"({people:,} people, built in {meta['seconds']:.0f} s)"
            )
            return url, meta
    log(f"[{backend}] building the dataset: {people:,} people ...")
    start = time.perf_counter()
    if backend == "sqlite":
        Path(sa.engine.make_url(url).database).unlink(missing_ok=True)
    else:
        _recreate_pg(url)
    app = make_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        _fill(app, sizes(people))
        from supervision.extensions import db

        db.engine.dispose()
    meta = {
        "key": key,
        "seconds": time.perf_counter() - start,
        "built_at": datetime.now(UTC).isoformat(),
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    log(f"[{backend}] built in {meta['seconds']:.0f} s")
    return url, meta


def working_copy(backend: str, url: str) -> str:
    """A fresh copy of the cached dataset for one run."""
    if backend == "sqlite":
        src = Path(sa.engine.make_url(url).database)
        dst = src.with_name(src.stem + "-run.db")
        shutil.copyfile(src, dst)
        return f"sqlite:///{dst}"
    base = sa.engine.make_url(url)
    run = base.set(database=f"{base.database}_run")
    _recreate_pg(run.render_as_string(hide_password=False), template=base.database)
    return run.render_as_string(hide_password=False)
