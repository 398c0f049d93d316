"""Eligibility runs the same small number of statements whatever the number of people
(SPEC §13, ARCHITECTURE rule 5), with the right statuses at both sizes."""

from collections import Counter
from datetime import date

import sqlalchemy as sa

from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.rotation import eligibility
from supervision.rotation.models import (
    RotationDeferral,
    RotationHold,
    RotationPlan,
    RotationPlanItem,
)

AS_OF = date(2025, 6, 30)
#: Tenure start by person id modulo 10, as of AS_OF: due (0, 1, 7, 8), upcoming (2), not due
#: (the rest); holds, deferrals and plans go to some of the people starting 2018 or 2019.
STARTS = {
    0: date(2018, 1, 1),
    1: date(2019, 1, 1),
    2: date(2020, 9, 1),
    3: date(2021, 1, 1),
    4: date(2022, 1, 1),
    5: date(2023, 1, 1),
    6: date(2024, 1, 1),
    7: date(2020, 3, 1),
    8: date(2020, 4, 1),
    9: date(2025, 1, 1),
}


def _bulk(db, people: int) -> None:
    """A root with ten units, each with a sensitive post held by a tenth of `people`; every
    person also held a plain post before; of the due people (start 2018 or 2019), some are
    blocked, deferred or planned; every 40th person left the post last year (no row)."""
    s = db.session
    s.execute(
        sa.insert(OrgUnit),
        [{"id": 1, "code": "R", "name": "root", "kind": "bureau", "path": "1/", "depth": 0}],
    )
    s.execute(
        sa.insert(OrgUnit),
        [
            {
                "id": i,
                "code": f"U{i:02d}",
                "name": f"u{i}",
                "kind": "team",
                "parent_id": 1,
                "path": f"1/{i}/",
                "depth": 1,
            }
            for i in range(2, 12)
        ],
    )
    s.execute(
        sa.insert(Post),
        [
            {"id": i, "code": f"P{i}", "name": f"p{i}", "org_unit_id": i, "is_sensitive": True}
            for i in range(2, 12)
        ],
    )
    s.execute(sa.insert(Post), [{"id": 99, "code": "PLAIN", "name": "plain", "org_unit_id": 1}])
    s.execute(
        sa.insert(Person),
        [
            {
                "id": i,
                "staff_no": f"B{i:06d}",
                "name": f"n{i}",
                "personnel_type": "police",
                "org_unit_id": 2 + i % 10,
            }
            for i in range(1, people + 1)
        ],
    )
    rows = []
    for i in range(1, people + 1):
        start = STARTS[i % 10]
        rows.append(
            {
                "person_id": i,
                "post_id": 99,
                "start_date": date(2010, 1, 1),
                "end_date": date(2017, 12, 31),
            }
        )
        rows.append(
            {
                "person_id": i,
                "post_id": 2 + i % 10,
                "start_date": start,
                "end_date": date(2024, 12, 31) if i % 40 == 20 else None,
            }
        )
    s.execute(sa.insert(Assignment), rows)
    due = [i for i in range(1, people + 1) if i % 10 in (0, 1) and i % 40 != 20]
    held, deferred, planned = due[0::10], due[1::10], due[2::10]
    s.execute(sa.insert(RotationHold), [{"person_id": i, "reason": "x"} for i in held])
    s.execute(
        sa.insert(RotationDeferral),
        [
            {
                "person_id": i,
                "reason": "x",
                "meeting_date": date(2025, 1, 10),
                "minutes_no": "1",
                "expires_on": date(2025, 12, 31),
            }
            for i in deferred
        ],
    )
    s.execute(sa.insert(RotationPlan), [{"id": 1, "name": "plan", "status": "approved"}])
    s.execute(
        sa.insert(RotationPlanItem),
        [
            {"plan_id": 1, "position": n, "person_id": i, "from_post_id": 2 + i % 10}
            for n, i in enumerate(planned)
        ],
    )
    s.commit()


def _expected(people: int) -> Counter:
    """The statuses the data above must produce as of AS_OF."""
    due = [i for i in range(1, people + 1) if i % 10 in (0, 1) and i % 40 != 20]
    special = {
        **dict.fromkeys(due[0::10], "blocked"),
        **dict.fromkeys(due[1::10], "deferred"),
        **dict.fromkeys(due[2::10], "planned"),
    }
    out = Counter()
    for i in range(1, people + 1):
        if i % 40 == 20:
            continue
        if i in special:
            out[special[i]] += 1
        elif i % 10 in (0, 1):
            out["due"] += 1
        elif i % 10 in (7, 8):  # due on 2025-03-01 / 2025-04-01: reached
            out["due"] += 1
        elif i % 10 == 2:  # due on 2025-09-01: within 180 days
            out["upcoming"] += 1
        else:
            out["not_due"] += 1
    return out


def _truncate(db):
    for model in (
        RotationPlanItem,
        RotationPlan,
        RotationDeferral,
        RotationHold,
        Assignment,
        Person,
        Post,
    ):
        db.session.execute(sa.delete(model))
    db.session.execute(sa.delete(OrgUnit).where(OrgUnit.parent_id.is_not(None)))
    db.session.execute(sa.delete(OrgUnit))
    db.session.commit()


def test_eligibility_runs_the_same_statements_for_2000_people_as_for_200(db, count_statements):
    counts = {}
    for n in (200, 2000):
        _bulk(db, n)
        db.session.expire_all()
        with count_statements() as statements:
            rows = eligibility.compute(db.session, AS_OF)
        counts[n] = len(statements)
        assert Counter(r.status for r in rows) == _expected(n)
        assert len(rows) == n - len(range(20, n + 1, 40))
        assert all(r.post_id != 99 for r in rows)
        in_unit = eligibility.compute(
            db.session, AS_OF, filters=eligibility.Filters(unit_path="1/2/")
        )
        assert {r.org_unit_id for r in in_unit} == {2} and len(in_unit) == len(
            [i for i in range(10, n + 1, 10) if i % 40 != 20]
        )
        _truncate(db)
    assert counts[200] == counts[2000] <= 8, counts
