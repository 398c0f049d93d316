"""The main lists answer in a number of SQL statements that does not grow with their size
(pages and API, SPEC §10), and the talk list's order is read from an index, not sorted, on
SQLite and PostgreSQL alike (issue 14)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from supervision.extensions import db as _db
from supervision.org.models import OrgUnit, Person
from supervision.reminders.models import Notification
from supervision.talks import queries
from supervision.talks.models import Talk
from tests import factories


@pytest.fixture
def org(db):
    rows = factories.small_bureau(db.session)
    me = factories.person(db.session, rows["station"], "书记", staff_no="L0001")
    db.session.commit()
    return {"station": rows["station"].id, "me": me.id}


@pytest.fixture
def reader(app, org, make_user, login, token_for):
    """A page client and API headers of a secretary who is also the administrator (so that
    every list, the audit log included, is open to them), with a person and so an inbox."""
    with app.app_context():
        person = _db.session.get(Person, org["me"])
        user = make_user("reader", ["discipline_secretary", "admin"], person=person)
        headers = token_for(user)
    return login("reader", c=app.test_client()), headers


def _grow(app, org, start: int, stop: int) -> None:
    """Rows `start`..`stop` of every list: a person, a talk with its own interviewee and
    interviewer (so a lazy load per row would show), a risk point and a notification; the
    services write the audit entries."""
    with app.app_context():
        s = _db.session
        station = s.get(OrgUnit, org["station"])
        for i in range(start, stop):
            who = factories.person(s, station, f"民警{i}", staff_no=f"P{i:04d}")
            by = factories.person(s, station, f"谈话人{i}", staff_no=f"Q{i:04d}")
            held = datetime(2025, 1, 1, 8, tzinfo=UTC) + timedelta(hours=i)
            talk = factories.draft_talk(s, who, [by], held_at=held)
            if i % 5 == 0:
                talk.held_at = None  # an older draft without a date (no longer made now)
            factories.risk_point(s, station, who, f"风险点{i}")
            s.add(
                Notification(
                    recipient_id=org["me"],
                    step="upcoming",
                    object_type="obligation",
                    object_ref=f"n{i}",
                    period="2025Q3",
                    person_id=who.id,
                    subject=f"提醒{i}",
                    body="正文",
                    on=held,
                    created_at=held,
                )
            )
        s.commit()


PAGES = [
    "/talks/",
    "/talks/?status=draft&page=2",
    "/org/people",
    "/risks/",
    "/notifications/",
    "/admin/audit",
]
API = [
    "/api/v1/talks",
    "/api/v1/talks?status=draft&page_size=20",
    "/api/v1/people",
    "/api/v1/risk-points",
    "/api/v1/notifications",
    "/api/v1/audit",
]


def _counts(count_statements, client, headers) -> list[int]:
    counts = []
    for url in PAGES + API:
        with count_statements() as statements:
            resp = client.get(url, headers=headers if url.startswith("/api/") else None)
        assert resp.status_code == 200, url
        counts.append(len(statements))
    return counts


def test_lists_take_the_same_statements_with_5_and_60_rows(app, org, reader, count_statements):
    client, headers = reader
    _grow(app, org, 0, 5)
    _counts(count_statements, client, headers)  # warm caches read once per process
    small = _counts(count_statements, client, headers)
    _grow(app, org, 5, 60)
    large = _counts(count_statements, client, headers)
    assert dict(zip(PAGES + API, large, strict=True)) == dict(zip(PAGES + API, small, strict=True))
    talks = client.get("/api/v1/talks?page_size=100", headers=headers).get_json()
    assert len(talks) == 60
    # newest held first, drafts without a date last, newest id first among them
    held = [t["held_at"] for t in talks]
    dated = [h for h in held if h is not None]
    assert held == dated + [None] * 12 and dated == sorted(dated, reverse=True)
    undated = [t["id"] for t in talks if t["held_at"] is None]
    assert undated == sorted(undated, reverse=True)


# ------------------------------------------------------------------ the talk list's plan


def _fill_talks(count: int) -> None:
    """`count` talks in bulk (a few without a date), then fresh planner statistics."""
    rng = random.Random(14)
    base = datetime(2020, 1, 1, tzinfo=UTC)
    rows = [
        {
            "type": rng.choice(["integrity_reminder", "supervision", "heart_to_heart"]),
            "status": "final" if rng.random() < 0.9 else "draft",
            "held_at": base + timedelta(hours=rng.randrange(9999)) if rng.random() > 0.03 else None,
        }
        for _ in range(count)
    ]
    _db.session.execute(sa.insert(Talk), rows)
    _db.session.commit()
    with _db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def _plan(stmt: sa.Select) -> str:
    """The database's plan of `stmt`, as text."""
    dialect = _db.engine.dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "sqlite":
        rows = _db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}")).all()
        return "\n".join(row[-1] for row in rows)
    return "\n".join(_db.session.execute(sa.text(f"EXPLAIN {sql}")).scalars())


@pytest.mark.parametrize("status", [None, "final"])
def test_a_page_of_talks_is_read_from_the_index_not_sorted(app, db, make_user, status):
    _fill_talks(4000)
    secretary = make_user("secretary", ["discipline_secretary"])
    stmt = queries.filtered(queries.visible_select(secretary), status=status)
    stmt = queries.ordered(stmt, secretary)
    plan = _plan(stmt.offset(50).limit(50))
    if db.engine.dialect.name == "sqlite":
        assert "USING INDEX ix_talks_held_at" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert "ix_talks_list_order" in plan, plan
        assert "Sort" not in plan, plan
    # the same rows as a full sort in Python would give
    page = db.session.scalars(stmt.limit(200)).all()
    every = db.session.scalars(queries.filtered(sa.select(Talk), status=status)).all()
    assert [t.id for t in page] == [t.id for t in _newest_first(every)][:200]


def _newest_first(talks: list[Talk]) -> list[Talk]:
    """Held newest first, undated last, then newest id (the list's order, in Python)."""
    return sorted(
        talks,
        key=lambda t: (t.held_at is None, -(t.held_at.timestamp() if t.held_at else 0), -t.id),
    )


def test_a_reader_of_their_own_talks_is_not_walked_through_the_whole_list(app, db, org, make_user):
    """A member sees only the talks they take part in or logged: those few are found by
    their own indexes and sorted, not by scanning every talk in list order."""
    _fill_talks(4000)
    me = db.session.get(Person, org["me"])
    member = make_user("member", ["discipline_member"], person=me)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    mine = [
        {"type": "supervision", "status": "final", "held_at": base + timedelta(days=i)}
        for i in range(6)
    ]
    for i, row in enumerate(mine):
        row["interviewee_id" if i % 2 else "recorder_id"] = me.id
    logged = {"type": "supervision", "status": "draft", "held_at": None}
    mine.append({**logged, "created_by_id": member.id})
    db.session.execute(sa.insert(Talk), mine)
    db.session.commit()
    stmt = queries.ordered(queries.visible_select(member), member)
    plan = _plan(stmt.limit(50))
    assert "ix_talks_held_at" not in plan and "ix_talks_list_order" not in plan, plan
    page = db.session.scalars(stmt.limit(50)).all()
    assert len(page) == 7
    assert [t.id for t in page] == [t.id for t in _newest_first(page)]
    assert page[-1].held_at is None
