"""The maintained-table mechanism (common/maintained.py): keys marked by a flush are
refreshed once before the commit, inside the same transaction; a rollback forgets them."""

from __future__ import annotations

import pytest

from supervision.common import maintained
from supervision.org.models import Person
from tests import factories as f


@pytest.fixture(autouse=True)
def alone(monkeypatch):
    """Each test's tables alone: the areas' own (obligations, tenure) are set aside, so that
    what the mechanism does is what the test's table sees."""
    monkeypatch.setattr(maintained, "_tables", {})


@pytest.fixture
def recorder():
    """A table that watches people and records the keys each refresh was given."""
    calls: list = []

    def watch(session, objects):
        return {o.id for o in objects if isinstance(o, Person)}

    def refresh(session, keys):
        calls.append(keys if keys is maintained.ALL else set(keys))

    maintained.register("test_people", watch, refresh)
    yield calls
    maintained.unregister("test_people")


def test_keys_marked_by_flushes_are_refreshed_once_at_commit(db, recorder):
    unit = f.unit(db.session, "局")
    a = f.person(db.session, unit, "甲")
    b = f.person(db.session, unit, "乙")
    assert recorder == []
    db.session.commit()
    assert recorder == [{a.id, b.id}]
    a.name = "甲二"
    db.session.commit()
    assert recorder[-1] == {a.id}
    db.session.commit()
    assert len(recorder) == 2, "nothing changed, nothing refreshed"


def test_mark_all_wins_and_rollback_forgets(db, recorder):
    unit = f.unit(db.session, "局")
    a = f.person(db.session, unit, "甲")
    db.session.commit()
    recorder.clear()
    maintained.mark(db.session, "test_people", {a.id})
    maintained.mark(db.session, "test_people")
    maintained.mark(db.session, "test_people", {a.id})
    assert maintained.pending(db.session) == {"test_people": maintained.ALL}
    db.session.commit()
    assert recorder == [maintained.ALL]
    a.name = "改"
    db.session.flush()
    assert maintained.pending(db.session) == {"test_people": {a.id}}
    db.session.rollback()
    assert maintained.pending(db.session) == {}
    db.session.commit()
    assert recorder == [maintained.ALL]


def test_settle_refreshes_before_the_commit(db, recorder):
    unit = f.unit(db.session, "局")
    a = f.person(db.session, unit, "甲")
    maintained.settle(db.session)
    assert recorder == [{a.id}]
    db.session.commit()
    assert recorder == [{a.id}]


def test_unknown_table_is_refused(db):
    with pytest.raises(KeyError):
        maintained.mark(db.session, "no_such_table", {1})


def test_bulk_statements_on_a_mapped_class_are_shown_to_the_table(db):
    """An INSERT written around the unit of work reaches `bulk`; a Core statement on a plain
    table does not (its writer marks what it changes itself)."""
    import sqlalchemy as sa

    seen: list = []
    calls: list = []

    def bulk(session, model, statement, parameters):
        seen.append(model)
        return maintained.ALL if model is Person else None

    maintained.register("test_bulk", lambda s, objs: None, lambda s, keys: calls.append(keys), bulk)
    try:
        unit = f.unit(db.session, "局")
        db.session.commit()
        calls.clear()
        row = {"staff_no": "B1", "name": "批量", "personnel_type": "police"}
        db.session.execute(sa.insert(Person), [{**row, "org_unit_id": unit.id}])
        assert maintained.pending(db.session)["test_bulk"] is maintained.ALL
        db.session.commit()
        assert calls == [maintained.ALL]
        db.session.execute(sa.update(Person.__table__).values(name="改"))
        db.session.commit()
        assert seen.count(Person) == 1 and calls == [maintained.ALL]
    finally:
        maintained.unregister("test_bulk")
