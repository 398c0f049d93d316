"""Org services on a real database: responsible head, subtrees, concurrent overlap checks."""

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from supervision.common.errors import Conflict
from supervision.org import queries, services
from supervision.org.models import Assignment, OrgUnit
from supervision.org.scope import Scope
from tests import factories


def test_responsible_head_walks_up_to_the_nearest_head(db):
    s = db.session
    root = factories.unit(s, "分局", kind="branch")
    dept = factories.unit(s, "派出所", kind="station", parent=root)
    team = factories.unit(s, "中队", kind="team", parent=dept)
    chief = factories.person(s, root, "局长", leadership="team_member")
    head = factories.person(s, dept, "所长", leadership="department_head")
    member = factories.person(s, team, "民警")
    s.flush()
    root.head_person_id, dept.head_person_id = chief.id, head.id
    s.flush()
    assert services.responsible_head_id(s, member) == head.id  # team has no head: go up
    assert services.responsible_head_id(s, head) == chief.id  # the head's own is the next up
    team.head_person_id = member.id
    s.flush()
    assert services.responsible_head_id(s, member) == head.id
    assert services.responsible_head_id(s, chief) is None


def test_subtree_of_2000_units_is_one_indexed_query(db, app, count_statements):
    s = db.session
    root = factories.unit(s, "省厅", kind="bureau", code="R")
    s.flush()
    # 40 branches x 49 teams, inserted in bulk with their materialised paths.
    rows, next_id = [], root.id + 1
    branch_ids = []
    for b in range(40):
        bid = next_id
        next_id += 1
        branch_ids.append(bid)
        rows.append(
            {
                "id": bid,
                "code": f"B{b}",
                "name": f"分局{b}",
                "kind": "branch",
                "parent_id": root.id,
                "path": f"{root.path}{bid}/",
                "depth": 1,
            }
        )
        for t in range(49):
            rows.append(
                {
                    "id": next_id,
                    "code": f"B{b}T{t}",
                    "name": f"中队{t}",
                    "kind": "team",
                    "parent_id": bid,
                    "path": f"{root.path}{bid}/{next_id}/",
                    "depth": 2,
                }
            )
            next_id += 1
    s.execute(sa.insert(OrgUnit), rows)
    if db.engine.dialect.name == "postgresql":
        s.execute(sa.text("SELECT setval('org_units_id_seq', (SELECT max(id) FROM org_units))"))
    s.commit()
    assert s.scalar(sa.select(sa.func.count()).select_from(OrgUnit)) == 1 + 40 * 50

    with count_statements() as statements:
        branch = s.get(OrgUnit, branch_ids[7])
        scope = Scope(subtree_paths=(branch.path,))
        ids = s.scalars(queries.units(scope)).all()
    assert len(ids) == 50
    assert len(statements) == 2  # the unit, then the subtree


def _create_in_thread(app, data, results):
    with app.app_context():
        from supervision.extensions import db as _db

        try:
            services.create_assignment(_db.session, data)
            _db.session.commit()
            results.append("ok")
        except Conflict:
            _db.session.rollback()
            results.append("conflict")
        except Exception as exc:  # e.g. SQLite "database is locked": also a refusal
            _db.session.rollback()
            results.append(type(exc).__name__)
        finally:
            _db.session.remove()


def test_concurrent_overlapping_assignments_leave_one(db, app):
    s = db.session
    unit = factories.unit(s)
    who = factories.person(s, unit)
    post = factories.post(s, unit)
    s.commit()
    data = {"person_id": who.id, "post_id": post.id, "start_date": date(2024, 1, 1)}
    results: list[str] = []
    threads = [
        threading.Thread(target=_create_in_thread, args=(app, dict(data), results))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results.count("ok") == 1, results
    assert s.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 1


@pytest.mark.parametrize("end", [None, date(2024, 12, 31)])
def test_overlap_detects_open_and_closed_ranges(db, end):
    s = db.session
    unit = factories.unit(s)
    who = factories.person(s, unit)
    post = factories.post(s, unit)
    factories.assign(s, who, post, date(2024, 1, 1), end)
    with pytest.raises(Conflict):
        factories.assign(s, who, post, date(2024, 12, 31), None)
    factories.assign(s, who, post, date(2023, 1, 1), date(2023, 12, 31))  # just before: fine
