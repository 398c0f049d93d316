"""The reminder sweep at province scale (issue 14): more than 65,535 people concerned.

PostgreSQL refuses a statement with more than 65,535 bound parameters ("number of
parameters must be between 0 and 65535"); the sweep used to bind one per person (their
names, their e-mail addresses), so at this size nobody got a reminder. Here 70,000 people
each own an open control measure coming due: one sweep must give each of them exactly one
notification (and an e-mail to the tenth with an address), no statement may bind more
than 65,535 parameters (on SQLite too, where the statements are the same), and a rerun
creates nothing. The data is written with two INSERT ... SELECT statements (a recursive
CTE, on both databases), not row by row. On PostgreSQL the notifications go in through
arrays (INSERT ... SELECT FROM unnest, 10,000 rows a statement): 70,000 rows of 16 values,
far more values than one statement could bind as parameters.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from supervision.calendar import services as calendar
from supervision.common import clock
from supervision.common.batches import BATCH, chunks, rows_in
from supervision.org.models import OrgUnit, Person
from supervision.reminders import sweep, texts
from supervision.reminders.models import MailMessage, Notification
from supervision.risks.models import Measure
from tests import factories

#: More ids than PostgreSQL accepts parameters in one statement.
PEOPLE = 70_000
PG_LIMIT = 65_535
#: Every tenth person has an e-mail address (all 70,000 addresses are still looked up).
MAILED = 10
CST = timezone(timedelta(hours=8))
#: The measures are due on Friday 14 November 2025: `review_upcoming` falls ten working
#: days before, on Friday 31 October at 09:00; on Monday 3 November it is due, not stale.
DUE = date(2025, 11, 14)
NOW = datetime(2025, 11, 3, 10, 0, tzinfo=CST)


@contextmanager
def largest_statement(engine):
    """Record the largest number of parameters bound to one statement inside the block
    (for an executemany, those of one row; a multi-row INSERT of SQLAlchemy's
    "insertmanyvalues" comes flattened, all its rows' parameters)."""
    seen = {"max": 0}

    def count(_conn, _cursor, _statement, parameters, _context, _executemany):
        rows = isinstance(parameters, (list, tuple)) and parameters
        if rows and isinstance(parameters[0], (dict, list, tuple)):
            parameters = parameters[0]
        seen["max"] = max(seen["max"], len(parameters or ()))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _numbers(count: int):
    """A recursive CTE of the numbers 1..count (the same SQL on SQLite and PostgreSQL)."""
    n = sa.select(sa.literal(1).label("i")).cte("n", recursive=True)
    return n.union_all(sa.select(n.c.i + 1).where(n.c.i < count))


def _people(session, unit: OrgUnit, count: int) -> None:
    """`count` active people of `unit`, every MAILED-th with an e-mail address: one
    statement."""
    n = _numbers(count)
    number = sa.cast(n.c.i, sa.String)
    stamp = clock.now()
    select = sa.select(
        sa.literal("X") + number,
        sa.literal("民警") + number,
        sa.literal("police"),
        sa.literal(unit.id),
        sa.literal("none"),
        sa.case((n.c.i % MAILED == 0, sa.literal("p") + number + sa.literal("@example.test"))),
        sa.true(),
        sa.literal(stamp, Person.created_at.type),
        sa.literal(stamp, Person.updated_at.type),
    )
    columns = [
        "staff_no",
        "name",
        "personnel_type",
        "org_unit_id",
        "leadership",
        "email",
        "is_active",
        "created_at",
        "updated_at",
    ]
    session.execute(sa.insert(Person).from_select(columns, select))


def _measures(session, point_id: int, unit: OrgUnit) -> None:
    """One open measure due on DUE for each person of `unit`, owned by them: one statement."""
    select = sa.select(
        sa.literal(point_id),
        sa.literal("双人保管") + sa.cast(Person.id, sa.String),
        Person.id,
        sa.literal(DUE, Measure.due_on.type),
        sa.literal("open"),
        sa.literal(clock.now(), Measure.updated_at.type),
    ).where(Person.org_unit_id == unit.id)
    columns = ["risk_point_id", "description", "owner_id", "due_on", "status", "updated_at"]
    session.execute(sa.insert(Measure).from_select(columns, select))


@pytest.fixture
def province(db):
    """70,000 people of one unit, each owning an open measure due on DUE (a draft risk
    point without a review date holds them); the holidays of 2025 and 2026. Written the day
    before NOW (the sweep's rerun looks again at what was written since the first run)."""
    s = db.session
    with clock.frozen(NOW - timedelta(days=1)):
        calendar.sync(s, [2025, 2026])
        unit = factories.unit(s, "户籍管理大队")
        owner = factories.person(s, unit, "负责人")
        s.flush()
        point = factories.risk_point(s, unit, owner, measure=None)
        s.flush()
        started = time.perf_counter()
        _people(s, unit, PEOPLE)
        _measures(s, point.id, unit)
        s.query(Measure).filter(Measure.owner_id == owner.id).delete()
        s.commit()
    return SimpleNamespace(unit=unit, owner=owner, built=time.perf_counter() - started)


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_sweep_over_70000_people_gives_each_one_notification_and_one_mail(db, province):
    engine = db.session.get_bind()
    with largest_statement(engine) as seen, clock.frozen(NOW):
        started = time.perf_counter()
        result = sweep.sweep(db.session, NOW)
        db.session.commit()
        first = time.perf_counter() - started
    assert seen["max"] <= PG_LIMIT
    mailed = PEOPLE // MAILED
    assert (result.due, result.created, result.queued, result.messages) == (
        PEOPLE,
        PEOPLE,
        mailed,
        mailed,
    )
    step = Notification.step == "review_upcoming"
    assert _count(db, Notification, step, Notification.object_type == "measure") == PEOPLE
    assert _count(db, Notification, step, Notification.recipient_id == Notification.person_id)
    assert _count(db, MailMessage, MailMessage.status == "queued") == mailed
    # Every batch of names and addresses was found: no measure without its text, every
    # owner's address on their notification.
    assert not _count(db, Notification, Notification.subject.contains("\u201c\u201d"))
    to_owner = sa.and_(
        Person.id == Notification.recipient_id, Person.email == Notification.email_to
    )
    assert _count(db, Notification.__table__.join(Person.__table__, to_owner)) == mailed
    last = db.session.scalars(sa.select(Notification).order_by(Notification.id.desc())).first()
    measure = db.session.get(Measure, int(last.object_ref))
    assert last.email_to == db.session.get(Person, measure.owner_id).email
    assert last.subject == f"措施到期提醒：\u201c{measure.description}\u201d将于2025-11-14到期"

    with clock.frozen(NOW + timedelta(minutes=15)):
        started = time.perf_counter()
        again = sweep.sweep(db.session, NOW + timedelta(minutes=15))
        db.session.commit()
        rerun = time.perf_counter() - started
    # Nothing changed and no step came due since: the rerun is an increment of nothing.
    assert (again.full, again.due, again.created) == (False, 0, 0)
    assert _count(db, Notification) == PEOPLE
    print(
        f"\n{engine.dialect.name}: {PEOPLE} people built in {province.built:.1f} s, "
        f"first sweep {first:.1f} s, rerun {rerun:.1f} s, "
        f"largest statement {seen['max']} parameters"
    )


def test_names_of_more_than_65535_objects_are_read_in_batches(db):
    """texts.Names reads people, posts, risk points and measures by id: 70,000 of each kind
    (none of them stored but the first) are looked up without a statement too large."""
    s = db.session
    unit = factories.unit(s, "派出所")
    person = factories.person(s, unit, "民警甲")
    post = factories.post(s, unit, "户籍岗")
    s.commit()
    missing = range(10**6, 10**6 + PEOPLE)  # ids of nothing stored
    items = [
        SimpleNamespace(
            object_type="rotation", object_ref=f"{i}:{i}", person_id=i, recipient_id=i + 1
        )
        for i in missing
    ]
    items.append(
        SimpleNamespace(
            object_type="rotation",
            object_ref=f"{person.id}:{post.id}",
            person_id=person.id,
            recipient_id=person.id,
        )
    )
    for kind in ("risk_point", "measure"):
        items += [
            SimpleNamespace(object_type=kind, object_ref=str(i), person_id=None, recipient_id=i)
            for i in missing
        ]
    with largest_statement(s.get_bind()) as seen:
        names = texts.Names(s, items)
    assert seen["max"] <= BATCH + 10
    assert names.people == {person.id: "民警甲"} and names.posts == {post.id: post.name}
    assert names.points == {} and names.measures == {}


def test_rows_in_reads_every_batch_and_nothing_for_no_ids(db):
    s = db.session
    unit = factories.unit(s, "派出所")
    ids = [factories.person(s, unit, f"民警{i}").id for i in range(5)]
    s.commit()
    stmt = sa.select(Person.id, Person.name)
    with largest_statement(s.get_bind()) as seen:
        rows = rows_in(s, stmt, Person.id, [*ids, ids[0], 10**9], size=2)
    assert sorted(r.id for r in rows) == ids and seen["max"] <= 2
    assert rows_in(s, stmt, Person.id, set()) == []
    assert list(chunks(range(5), 2)) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError):
        list(chunks([1], 0))
