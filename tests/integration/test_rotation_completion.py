"""应轮尽轮 for a period against a real database (SPEC §7): who rotated, who is still due,
who is deferred or blocked, per unit, and a bounded number of statements."""

from datetime import date

import pytest
import sqlalchemy as sa

from supervision.common.errors import Invalid, NotFound
from supervision.common.periods import Period
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.scope import Scope, unit_in_scope
from supervision.rotation import completion, plans, services
from supervision.rotation.settings import update_rotation_settings
from tests import factories

Y2025 = Period.parse("2025")
AFTER = date(2026, 3, 1)


@pytest.fixture
def org_(db):
    """bureau > station (hukou: sensitive, desk: plain, head: leadership), traffic (accident:
    sensitive), and a second-level team under the station."""
    s = db.session
    tree = factories.small_bureau(s, chief=None, head=None)
    station, traffic = tree["station"], tree["traffic"]
    posts = {
        "hukou": factories.post(s, station, "户籍岗", is_sensitive=True),
        "cases": factories.post(s, station, "办案岗", is_sensitive=True),
        "desk": factories.post(s, station, "内勤岗"),
        "head": factories.post(s, station, "所长", is_leadership=True),
        "accident": factories.post(s, traffic, "事故处理岗", is_sensitive=True),
    }
    s.commit()
    return {**tree, **posts}


def _person(db, org_, *stints, unit="station", **extra):
    """A person with stints (post key, start, end) — in that order."""
    p = factories.person(db.session, org_[unit], **extra)
    for post, start, end in stints:
        factories.assign(db.session, p, org_[post], start, end)
    db.session.commit()
    return p


def _defer_and_hold(db, deferred, blocked):
    """The party committee defers `deferred` until the end of 2026; `blocked` may not move."""
    services.create_deferral(
        db.session,
        {
            "person_id": deferred.id,
            "reason": "重点案件承办中",
            "meeting_date": date(2025, 3, 1),
            "minutes_no": "党委会〔2025〕3号",
            "expires_on": date(2026, 12, 31),
        },
        None,
    )
    services.create_hold(db.session, {"person_id": blocked.id, "reason": "信访举报核查中"}, None)
    db.session.commit()


def _figures(db, period=Y2025, today=AFTER, unit=None, **kw):
    return completion.compute(db.session, period, unit=unit, today=today, **kw)


def _ids(out, category):
    return [e["person_id"] for e in out["people"][category]]


def test_rotated_due_deferred_and_blocked_on_crafted_histories(db, org_):
    moved = _person(
        db, org_, ("hukou", date(2019, 3, 1), date(2025, 5, 31)), ("desk", date(2025, 6, 1), None)
    )
    due = _person(db, org_, ("hukou", date(2019, 3, 1), None))
    deferred = _person(db, org_, ("hukou", date(2018, 1, 1), None))
    blocked = _person(db, org_, ("accident", date(2017, 1, 1), None), unit="traffic")
    not_yet = _person(db, org_, ("hukou", date(2022, 1, 1), None))
    _defer_and_hold(db, deferred, blocked)

    out = _figures(db)
    assert out["period"] == "2025" and out["as_of"] == date(2025, 12, 31)
    assert _ids(out, "rotated") == [moved.id]
    assert _ids(out, "due") == [due.id]
    assert _ids(out, "deferred") == [deferred.id]
    assert _ids(out, "blocked") == [blocked.id]
    assert not_yet.id not in {e["person_id"] for v in out["people"].values() for e in v}
    total = out["total"]
    assert (total["rotated"], total["due"], total["deferred"], total["blocked"]) == (1, 1, 1, 1)
    assert total["rate"] == 0.5
    rotated = out["people"]["rotated"][0]
    assert rotated["left_on"] == date(2025, 6, 1) and rotated["due_on"] == date(2024, 3, 1)
    assert rotated["post_name"] == org_["hukou"].name and rotated["staff_no"] == moved.staff_no
    assert "left_on" not in out["people"]["due"][0]
    assert out["people"]["due"][0]["due_on"] == date(2024, 3, 1)
    assert "信访" not in repr(out)


def test_a_plan_executed_in_the_period_counts_as_rotated_and_an_approved_one_as_due(db, org_):
    a = _person(db, org_, ("hukou", date(2019, 1, 1), None))
    b = _person(db, org_, ("cases", date(2019, 1, 1), None))
    plan = factories.rotation_plan(
        db.session,
        [
            (a, org_["hukou"], org_["desk"], date(2025, 7, 1)),
            (b, org_["cases"], org_["hukou"], date(2025, 7, 1)),
        ],
        name="2025年第一批",
        status="approved",
        meeting_date=date(2025, 6, 10),
        minutes_no="党委会〔2025〕9号",
    )
    db.session.commit()
    before = _figures(db, today=date(2025, 6, 20))
    assert sorted(_ids(before, "due")) == sorted([a.id, b.id]) and _ids(before, "rotated") == []
    assert before["as_of"] == date(2025, 6, 20) and before["total"]["rate"] == 0.0
    plans.execute_plan(db.session, plan, None)
    db.session.commit()
    after = _figures(db)
    assert sorted(_ids(after, "rotated")) == sorted([a.id, b.id])
    assert _ids(after, "due") == [] and after["total"]["rate"] == 1.0
    assert {e["left_on"] for e in after["people"]["rotated"]} == {date(2025, 7, 1)}
    # The same moves belong to 2025H2, not to 2025H1.
    assert _figures(db, Period.parse("2025H1"))["total"]["rotated"] == 0
    assert _figures(db, Period.parse("2025H2"))["total"]["rotated"] == 2


def test_leaving_before_the_threshold_is_not_a_rotation(db, org_):
    early = _person(
        db, org_, ("hukou", date(2021, 1, 1), date(2025, 4, 30)), ("desk", date(2025, 5, 1), None)
    )
    on_time = _person(
        db, org_, ("hukou", date(2020, 5, 1), date(2025, 4, 30)), ("desk", date(2025, 5, 1), None)
    )
    out = _figures(db)
    assert _ids(out, "rotated") == [on_time.id]
    assert early.id not in _ids(out, "due")
    assert out["total"]["rate"] == 1.0


def test_a_return_within_the_gap_tolerance_is_not_a_rotation(db, org_):
    back = _person(
        db,
        org_,
        ("hukou", date(2018, 1, 1), date(2025, 3, 31)),
        ("desk", date(2025, 4, 1), date(2025, 8, 31)),
        ("hukou", date(2025, 9, 1), None),
    )
    gone = _person(
        db, org_, ("hukou", date(2018, 1, 1), date(2024, 3, 31)), ("hukou", date(2025, 9, 1), None)
    )  # back after more than 365 days
    out = _figures(db)
    assert back.id not in _ids(out, "rotated") and back.id in _ids(out, "due")
    assert gone.id not in _ids(out, "rotated")  # left in 2024, not in 2025
    assert gone.id not in _ids(out, "due")  # a new tenure from 2025-09-01
    # Before the return (cutoff in June) the departure stood.
    june = _figures(db, today=date(2025, 6, 30))
    assert june["as_of"] == date(2025, 6, 30) and _ids(june, "rotated") == [back.id]


def test_cumulative_mode_counts_the_last_stint_after_the_summed_threshold(db, org_):
    update_rotation_settings(db.session, {"tenure_mode": "cumulative"})
    db.session.commit()
    p = _person(
        db,
        org_,
        ("hukou", date(2016, 1, 1), date(2018, 12, 31)),
        ("hukou", date(2022, 1, 1), date(2025, 2, 28)),
        ("desk", date(2025, 3, 1), None),
    )
    short = _person(db, org_, ("hukou", date(2022, 1, 1), date(2025, 2, 28)))
    out = _figures(db)
    assert _ids(out, "rotated") == [p.id]
    entry = out["people"]["rotated"][0]
    assert entry["left_on"] == date(2025, 3, 1) and entry["due_on"] <= date(2025, 3, 1)
    assert short.id not in _ids(out, "rotated")


def test_a_leadership_post_counts_with_the_leader_term(db, org_):
    head = _person(
        db, org_, ("head", date(2014, 1, 1), date(2025, 8, 31)), ("desk", date(2025, 9, 1), None)
    )
    recent = _person(db, org_, ("head", date(2018, 1, 1), date(2025, 8, 31)))
    out = _figures(db)
    assert _ids(out, "rotated") == [head.id]
    assert out["people"]["rotated"][0]["due_on"] == date(2024, 1, 1)
    assert recent.id not in _ids(out, "rotated")


def test_people_count_once_and_inactive_people_not_at_all(db, org_):
    twice = _person(
        db,
        org_,
        ("hukou", date(2018, 1, 1), date(2025, 2, 28)),
        ("cases", date(2018, 1, 1), date(2025, 10, 31)),
    )
    both_due = _person(
        db, org_, ("hukou", date(2018, 1, 1), None), ("cases", date(2019, 6, 1), None)
    )
    inactive = _person(db, org_, ("hukou", date(2018, 1, 1), None), is_active=False)
    out = _figures(db)
    assert _ids(out, "rotated") == [twice.id]
    assert out["people"]["rotated"][0]["left_on"] == date(2025, 11, 1)  # the latest departure
    assert _ids(out, "due") == [both_due.id]
    assert out["people"]["due"][0]["due_on"] == date(2023, 1, 1)  # the most urgent post
    assert inactive.id not in _ids(out, "due")


def test_per_unit_breakdown_with_drill_down_and_the_unit_itself(db, org_):
    a = _person(db, org_, ("hukou", date(2019, 1, 1), None))  # station, due
    b = _person(db, org_, ("hukou", date(2019, 1, 1), date(2025, 3, 31)), unit="team")  # rotated
    c = _person(db, org_, ("accident", date(2019, 1, 1), None), unit="traffic")  # due
    d = _person(db, org_, ("accident", date(2019, 1, 1), None), unit="bureau")  # due, own unit
    out = _figures(db)
    # One root: broken down by its children, the root's own people apart.
    units = {u["org_unit_id"]: u for u in out["units"]}
    assert set(units) == {org_["station"].id, org_["traffic"].id}
    station, traffic = units[org_["station"].id], units[org_["traffic"].id]
    assert (station["rotated"], station["due"], station["rate"]) == (1, 1, 0.5)
    assert (traffic["rotated"], traffic["due"], traffic["rate"]) == (0, 1, 0.0)
    assert station["org_unit_name"] == org_["station"].name
    assert out["own_unit"]["org_unit_id"] == org_["bureau"].id and out["own_unit"]["due"] == 1
    assert out["total"]["org_unit_id"] is None and out["total"]["due"] == 3
    assert out["total"]["rate"] == 0.25
    inner = _figures(db, unit=org_["station"])
    assert inner["total"]["org_unit_id"] == org_["station"].id
    assert (inner["total"]["rotated"], inner["total"]["due"]) == (1, 1)
    assert [u["org_unit_id"] for u in inner["units"]] == [org_["team"].id]
    assert inner["units"][0]["rotated"] == 1 and inner["own_unit"]["due"] == 1
    assert {e["person_id"] for e in inner["people"]["due"]} == {a.id}
    assert {e["person_id"] for e in inner["people"]["rotated"]} == {b.id}
    assert c.id and d.id


def test_several_roots_break_down_by_root(db, org_):
    other = factories.unit(db.session, "另一局", kind="bureau")
    db.session.commit()
    out = _figures(db)
    assert [u["org_unit_id"] for u in out["units"]] == sorted(
        [org_["bureau"].id, other.id], key=lambda i: db.session.get(OrgUnit, i).code
    )
    assert out["own_unit"] is None


def test_rate_is_none_when_nobody_is_due_nor_rotated(db, org_):
    _person(db, org_, ("hukou", date(2024, 1, 1), None))
    out = _figures(db)
    assert out["total"]["rate"] is None
    assert all(u["rate"] is None for u in out["units"])
    assert out["people"] == {"rotated": [], "due": [], "deferred": [], "blocked": []}


def test_a_future_period_has_no_rotation_yet_and_the_cutoff_is_today(db, org_):
    _person(db, org_, ("hukou", date(2019, 1, 1), None))
    out = _figures(db, Period.parse("2026Q3"), today=date(2026, 2, 1))
    assert out["as_of"] == date(2026, 2, 1) and out["total"]["rotated"] == 0


def test_deferred_or_blocked_before_the_threshold_are_not_listed(db, org_):
    young = _person(db, org_, ("hukou", date(2023, 1, 1), None))
    services.create_hold(db.session, {"person_id": young.id, "reason": "核查"}, None)
    db.session.commit()
    out = _figures(db)
    assert out["people"]["blocked"] == [] and out["total"]["blocked"] == 0


def test_period_and_unit_lookup(db, org_):
    assert completion.parse_period("2025h1") == Period.parse("2025H1")
    with pytest.raises(Invalid) as bad:
        completion.parse_period("2025Q5")
    assert set(bad.value.errors) == {"period"}
    with pytest.raises(NotFound):
        unit_in_scope(Scope(everything=True), 999_999)
    with pytest.raises(NotFound):
        unit_in_scope(Scope(), org_["station"].id)
    assert unit_in_scope(None, None) is None


def _bulk(db, people: int) -> None:
    """A root with ten units, each with a sensitive post; of `people`, a fifth rotated out in
    2025 (after 5 years), the rest still in post since 2019 (due), every tenth blocked."""
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
    s.execute(
        sa.insert(Assignment),
        [
            {
                "person_id": i,
                "post_id": 2 + i % 10,
                "start_date": date(2019, 1, 1),
                "end_date": date(2025, 6, 30) if i % 5 == 0 else None,
            }
            for i in range(1, people + 1)
        ],
    )
    from supervision.rotation.models import RotationHold

    s.execute(
        sa.insert(RotationHold),
        [{"person_id": i, "reason": "x"} for i in range(1, people + 1) if i % 10 == 1],
    )
    s.commit()


def _truncate(db):
    from supervision.rotation.models import RotationHold

    for model in (RotationHold, Assignment, Person, Post):
        db.session.execute(sa.delete(model))
    db.session.execute(sa.delete(OrgUnit).where(OrgUnit.parent_id.is_not(None)))
    db.session.execute(sa.delete(OrgUnit))
    db.session.commit()


def test_the_figures_take_as_many_statements_for_2000_people_as_for_200(db, count_statements):
    counts = {}
    for n in (200, 2000):
        _bulk(db, n)
        db.session.expire_all()
        root = db.session.get(OrgUnit, 1)
        with count_statements() as statements:
            out = completion.compute(db.session, Y2025, unit=root, today=AFTER)
        counts[n] = len(statements)
        rotated, blocked = n // 5, len(range(1, n + 1, 10))
        assert out["total"]["rotated"] == rotated
        assert out["total"]["blocked"] == blocked
        assert out["total"]["due"] == n - rotated - blocked
        assert len(out["units"]) == 10
        assert sum(u["due"] for u in out["units"]) == out["total"]["due"]
        _truncate(db)
    assert counts[200] == counts[2000] <= 8, counts


def test_the_start_pages_total_read_from_the_tenure_table_equals_the_computed_one(db, org_):
    """`totals` (the start page's figure) counts the due, deferred and blocked people on the
    maintained tenure table when it answers for today: the same figures as `compute`, for
    the bureau and for a scope, a person in two due posts counted once (issue 14)."""
    from datetime import UTC, datetime

    from supervision.common import clock
    from supervision.rotation import maintained

    today = date(2025, 12, 1)
    _person(
        db, org_, ("hukou", date(2019, 3, 1), date(2025, 5, 31)), ("desk", date(2025, 6, 1), None)
    )
    _person(db, org_, ("hukou", date(2019, 3, 1), None), ("cases", date(2019, 5, 1), None))
    _person(db, org_, ("hukou", date(2019, 4, 1), None))
    deferred = _person(db, org_, ("hukou", date(2018, 1, 1), None))
    blocked = _person(db, org_, ("accident", date(2017, 1, 1), None), unit="traffic")
    _person(db, org_, ("accident", date(2018, 6, 1), None), unit="traffic")
    _person(db, org_, ("hukou", date(2022, 1, 1), None))
    _defer_and_hold(db, deferred, blocked)
    with clock.frozen(datetime(2025, 12, 1, 2, tzinfo=UTC)):
        maintained.rebuild(db.session)
        db.session.commit()
        assert maintained.answers(db.session, today)
        for scope in (None, Scope(subtree_paths=(org_["traffic"].path,))):
            expected = completion.compute(db.session, Y2025, scope=scope)["total"]
            assert completion.totals(db.session, Y2025, scope=scope) == expected
        got = completion.totals(db.session, Y2025)
    assert (got["rotated"], got["due"], got["deferred"], got["blocked"]) == (1, 3, 1, 1)
    assert got["rate"] == 0.25
