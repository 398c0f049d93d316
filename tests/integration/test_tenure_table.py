"""The maintained tenure table (issue 14, supervision.rotation.maintained): after any
sequence of changes made through the real services, each commit leaves `tenure_rows` equal
to a full recomputation by the engine for today, and the readers that answer from it
(eligibility.compute, eligibility.listing) give the engine's rows, order and counts."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supervision.common import clock
from supervision.common import maintained as mechanism
from supervision.common.errors import ServiceError
from supervision.org import services as org
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.scope import Scope
from supervision.rotation import eligibility, engine, plans, services
from supervision.rotation import maintained as tenure
from supervision.rotation.models import RotationDeferral, RotationHold, TenureRow, TenureState
from supervision.rotation.settings import get_rotation_settings, update_rotation_settings
from tests import factories

TODAY = date(2025, 6, 16)
NOW = datetime(2025, 6, 16, 2, 0, tzinfo=UTC)


def _day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def _plain(row: eligibility.Row) -> dict:
    out = dataclasses.asdict(row)
    out.pop("stints")
    return out


def _engine(s, day: date, **kw) -> list[eligibility.Row]:
    """The full engine, never the table."""
    return engine.compute(
        s,
        day,
        kw.get("scope"),
        kw.get("filters") or eligibility.Filters(),
        get_rotation_settings(s),
    )


def check_rows(s) -> list[eligibility.Row]:
    """The table equals a recomputation for today (the engine's rows are returned)."""
    today = clock.today()
    policy = get_rotation_settings(s)
    engine_rows = _engine(s, today)
    expected = {(r.person_id, r.post_id): tenure.content(r, today, policy) for r in engine_rows}
    stored = {
        (r.person_id, r.post_id): {c: r._mapping[c] for c in tenure.CONTENT}
        for r in s.execute(sa.select(tenure.T))
    }
    assert stored == expected
    assert tenure.answers(s, today)
    return engine_rows


def check(s) -> None:
    """The table equals a recomputation for today, and its readers equal the engine."""
    today = clock.today()
    engine_rows = check_rows(s)
    assert [_plain(r) for r in eligibility.compute(s, today)] == [_plain(r) for r in engine_rows]
    listing = eligibility.listing(s, today)
    assert isinstance(listing, tenure.Listing)
    assert listing.counts == {
        st_: Counter(r.status for r in engine_rows)[st_] for st_ in listing.counts
    }
    people = {k: len({r.person_id for r in engine_rows if r.status == k}) for k in listing.counts}
    assert eligibility.people_per_status(s, today) == people
    soon = sorted(
        (r for r in engine_rows if r.status in ("due", "upcoming")),
        key=lambda r: (r.due_on, r.staff_no),
    )
    assert [_plain(r) for r in eligibility.soonest(s, today, ("due", "upcoming"), 3)] == [
        _plain(r) for r in soon[:3]
    ]
    for status in listing.counts:
        assert [_plain(r) for r in eligibility.listing(s, today, status=status)[0:50]] == [
            _plain(r) for r in engine_rows if r.status == status
        ]
    # Any page of the whole list (read status by status) is that slice of the engine's.
    every = [_plain(r) for r in engine_rows]
    for start in range(0, len(every) + 1, 3):
        assert [_plain(r) for r in listing[start : start + 4]] == every[start : start + 4]


# ------------------------------------------------------------------ the property


def _bureau(s) -> dict:
    root = factories.unit(s, "局", kind="bureau")
    station = factories.unit(s, "派出所", parent=root)
    other = factories.unit(s, "交警队", parent=root)
    posts = [
        factories.post(s, station, "户籍岗", is_sensitive=True),
        factories.post(s, station, "所长", is_leadership=True),
        factories.post(s, other, "法医", is_sensitive=True, is_technical=True, rotation_years=8),
        factories.post(s, other, "事故岗", is_sensitive=True, is_leadership=True),
        factories.post(s, station, "内勤岗"),
    ]
    people = [
        factories.person(s, station, "甲"),
        factories.person(s, station, "乙", personnel_type="auxiliary"),
        factories.person(s, other, "丙", retirement_date=_day(400)),
        factories.person(s, other, "丁", probation_until=_day(30)),
    ]
    for i, p in enumerate(people):
        factories.assign(s, p, posts[i], start=_day(-365 * (i + 3) - 40 * i))
    s.commit()
    return {"root": root, "units": [station, other], "posts": posts, "people": people}


#: The ids of the bureau the property's examples share (built by the first one).
_SHARED: dict = {}


def _shared_bureau(s) -> dict:
    """The bureau of the earlier examples of this run when it is still there (the examples
    share the database), else a new one."""
    root = s.get(OrgUnit, _SHARED["root"]) if _SHARED else None
    if root is None or root.code != _SHARED["code"]:
        world = _bureau(s)
        _SHARED.clear()
        _SHARED.update(
            root=world["root"].id,
            code=world["root"].code,
            units=[u.id for u in world["units"]],
            posts=[p.id for p in world["posts"]],
            people=[p.id for p in world["people"]],
        )
        return world
    return {
        "root": root,
        "units": [s.get(OrgUnit, i) for i in _SHARED["units"]],
        "posts": [s.get(Post, i) for i in _SHARED["posts"]],
        "people": [s.get(Person, i) for i in _SHARED["people"]],
    }


people_i = st.integers(0, 3)
posts_i = st.integers(0, 4)
offsets = st.integers(-4000, 60)

OPS = st.one_of(
    st.tuples(st.just("open"), people_i, posts_i, offsets, st.none() | st.integers(0, 2000)),
    st.tuples(st.just("close"), st.integers(0, 20), st.integers(-400, 30)),
    st.tuples(st.just("repost"), st.integers(0, 20), posts_i),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(
        st.just("person"),
        people_i,
        st.sampled_from(
            [
                ("is_active", False),
                ("is_active", True),
                ("personnel_type", "auxiliary"),
                ("personnel_type", "police"),
                ("retirement_date", _day(300)),
                ("retirement_date", None),
                ("probation_until", _day(10)),
                ("probation_until", None),
                ("org_unit", 0),
                ("org_unit", 1),
            ]
        ),
    ),
    st.tuples(
        st.just("post"),
        posts_i,
        st.sampled_from(
            [
                ("is_sensitive", True),
                ("is_sensitive", False),
                ("is_leadership", True),
                ("is_technical", True),
                ("rotation_years", 3),
                ("rotation_years", None),
                ("category", "finance"),
            ]
        ),
    ),
    st.tuples(st.just("hold"), people_i),
    st.tuples(st.just("release"), people_i),
    st.tuples(st.just("defer"), people_i, st.integers(-60, 5), st.integers(0, 400)),
    st.tuples(st.just("revoke"), people_i),
    st.tuples(st.just("plan"), people_i, posts_i, st.integers(-10, 30), st.booleans()),
    st.tuples(
        st.just("policy"),
        st.sampled_from(
            [
                ("police_years", 3),
                ("police_years", 5),
                ("tenure_mode", "cumulative"),
                ("tenure_mode", "continuous"),
                ("upcoming_days", 400),
                ("retirement_window_days", 100),
                ("gap_tolerance_days", 0),
            ]
        ),
    ),
    st.tuples(st.just("unit_move"), st.booleans()),
    st.tuples(st.just("rebuild")),
)


def _apply(s, world: dict, op: tuple) -> None:
    kind, *args = op
    people, posts = world["people"], world["posts"]
    assignments = s.scalars(sa.select(Assignment).order_by(Assignment.id)).all()
    if kind == "open":
        pi, qi, start, length = args
        end = None if length is None else _day(start + length)
        org.create_assignment(
            s,
            {
                "person_id": people[pi].id,
                "post_id": posts[qi].id,
                "start_date": _day(start),
                "end_date": end,
            },
        )
    elif kind in ("close", "repost", "delete"):
        if not assignments:
            return
        a = assignments[args[0] % len(assignments)]
        if kind == "close":
            org.update_assignment(s, a, {"end_date": max(a.start_date, _day(args[1]))})
        elif kind == "repost":
            org.update_assignment(s, a, {"post_id": posts[args[1]].id})
        else:
            org.delete_assignment(s, a)
    elif kind == "person":
        (field, value) = args[1]
        if field == "org_unit":
            field, value = "org_unit_id", world["units"][value].id
        org.update_person(s, people[args[0]], {field: value})
    elif kind == "post":
        field, value = args[1]
        org.update_post(s, posts[args[0]], {field: value})
    elif kind == "hold":
        services.create_hold(s, {"person_id": people[args[0]].id, "reason": "审查"}, None)
    elif kind == "release":
        hold = s.scalar(
            sa.select(RotationHold).where(
                RotationHold.person_id == people[args[0]].id, RotationHold.released_at.is_(None)
            )
        )
        if hold is not None:
            services.release_hold(s, hold, None)
    elif kind == "defer":
        pi, meeting, length = args
        services.create_deferral(
            s,
            {
                "person_id": people[pi].id,
                "reason": "工作需要",
                "meeting_date": _day(meeting),
                "minutes_no": "〔2025〕1号",
                "expires_on": _day(meeting + length),
            },
            None,
        )
    elif kind == "revoke":
        found = s.scalar(
            sa.select(RotationDeferral).where(
                RotationDeferral.person_id == people[args[0]].id,
                RotationDeferral.revoked_at.is_(None),
            )
        )
        if found is not None:
            services.revoke_deferral(s, found, None)
    elif kind == "plan":
        pi, qi, effective, execute = args
        held = s.scalar(
            sa.select(Assignment.post_id).where(
                Assignment.person_id == people[pi].id, Assignment.end_date.is_(None)
            )
        )
        if held is None:
            return
        plan = plans.create_plan(
            s,
            {
                "name": "轮岗计划",
                "items": [
                    {
                        "person_id": people[pi].id,
                        "from_post_id": held,
                        "to_post_id": posts[qi].id,
                        "effective_date": _day(effective),
                    }
                ],
            },
            None,
            None,
        )
        plans.submit_plan(s, plan, None)
        plans.approve_plan(s, plan, {"meeting_date": TODAY, "minutes_no": "〔2025〕2号"}, None)
        if execute:
            plans.execute_plan(s, plan, None)
    elif kind == "policy":
        field, value = args[0]
        update_rotation_settings(s, {field: value})
    elif kind == "unit_move":
        other, station = world["units"][1], world["units"][0]
        org.update_unit(s, other, {"parent_id": (station if args[0] else world["root"]).id})
    elif kind == "rebuild":
        tenure.rebuild(s)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, min_size=1, max_size=8))
def test_the_table_equals_a_recomputation_after_any_changes(db, ops):
    # The examples share the database and its bureau (the property holds for all its rows,
    # whatever an earlier example left): each goes on changing it.
    s = db.session
    with clock.frozen(NOW):
        world = _shared_bureau(s)
        for op in ops:
            try:
                _apply(s, world, op)
                s.commit()
            except ServiceError:
                s.rollback()
            check_rows(s)
        check(s)


# ------------------------------------------------------------------ focused behaviour


@pytest.fixture
def world(db):
    with clock.frozen(NOW):
        yield _bureau(db.session)


def test_unchanged_rows_keep_their_changed_at_and_changes_move_it(db, world):
    s = db.session
    with clock.frozen(NOW):
        before = dict(s.execute(sa.select(TenureRow.person_id, TenureRow.changed_at)).all())
        assert len(before) == 4
    later = NOW + timedelta(hours=3)
    with clock.frozen(later):
        counts = tenure.rebuild(s)
        s.commit()
        assert (counts.inserted, counts.updated, counts.deleted, counts.rows) == (0, 0, 0, 4)
        assert dict(s.execute(sa.select(TenureRow.person_id, TenureRow.changed_at)).all()) == before
        who = world["people"][0]
        services.create_hold(s, {"person_id": who.id, "reason": "审查"}, None)
        s.commit()
        after = dict(s.execute(sa.select(TenureRow.person_id, TenureRow.changed_at)).all())
    assert after[who.id] == later
    assert {k: v for k, v in after.items() if k != who.id} == {
        k: v for k, v in before.items() if k != who.id
    }


def test_a_refresh_touches_only_the_people_changed(db, world, count_statements):
    s = db.session
    with clock.frozen(NOW):
        who = world["people"][1]
        org.update_person(s, who, {"retirement_date": _day(100)})
        assert mechanism.pending(s)[tenure.NAME] == {who.id}
        s.commit()
        row = s.execute(sa.select(TenureRow).where(TenureRow.person_id == who.id)).scalar_one()
        assert row.near_retirement_from == _day(100 - 730)
        check(s)


def test_the_status_of_today_follows_the_date_without_a_rebuild(db, world):
    """Rows built on one day answer later days in SQL (upcoming → due, a deferral's expiry,
    probation's end) while no assignment starts or ends; when one does, the engine answers
    until the next rebuild."""
    s = db.session
    who = world["people"][0]
    with clock.frozen(NOW):
        row = s.execute(sa.select(TenureRow).where(TenureRow.person_id == who.id)).scalar_one()
        due_on, upcoming_from = row.due_on, row.upcoming_from
        s.rollback()
    days = [upcoming_from - timedelta(days=1), upcoming_from, due_on - timedelta(days=1), due_on]
    statuses = []
    for day in days:
        with clock.frozen(datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)):
            if day < TODAY:
                assert not tenure.answers(s, day)  # before the rebuild: the engine's
                continue
            assert tenure.answers(s, day) is (day == TODAY or not _crossed(s, day))
            if not tenure.answers(s, day):
                continue
            got = [_plain(r) for r in eligibility.compute(s, day)]
            assert got == [_plain(r) for r in _engine(s, day)]
            counts = tenure.counts(s, day, None, eligibility.Filters())
            assert counts == {k: Counter(r["status"] for r in got)[k] for k in counts}
            statuses.append(next(r["status"] for r in got if r["person_id"] == who.id))
            s.rollback()
    assert statuses, "some day after the build is answered by the table"


def _crossed(s, day):
    return tenure._crossed(s, TODAY, day)


def test_status_boundaries_in_sql_equal_the_engine(db):
    """A person due in 20 days with a deferral expiring in 5, probation ending in 3 and
    retirement entering the window in 10: on each boundary day the table's status and
    reasons are the engine's."""
    s = db.session
    with clock.frozen(NOW):
        unit = factories.unit(s, "局", kind="bureau")
        post = factories.post(s, unit, "户籍岗", is_sensitive=True)
        start = date(TODAY.year - 5, TODAY.month, TODAY.day) + timedelta(days=20)
        who = factories.holder(
            s,
            post,
            start=start,
            probation_until=_day(3),
            retirement_date=_day(10 + 730),
        )
        services.create_deferral(
            s,
            {
                "person_id": who.id,
                "reason": "工作需要",
                "meeting_date": _day(-1),
                "minutes_no": "1号",
                "expires_on": _day(5),
            },
            None,
        )
        s.commit()
    seen = []
    for offset in (0, 3, 4, 5, 6, 9, 10, 19, 20, 21):
        day = _day(offset)
        with clock.frozen(datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)):
            assert tenure.answers(s, day)
            got = eligibility.compute(s, day)
            assert [_plain(r) for r in got] == [_plain(r) for r in _engine(s, day)]
            seen.append((got[0].status, tuple(got[0].reasons)))
            s.rollback()
    assert ("deferred", ("probation", "deferred")) in seen
    assert ("deferred", ("near_retirement",)) in seen
    assert seen[0] != seen[-1]


def test_a_unit_move_and_a_policy_change_refresh_everyone(db, world):
    s = db.session
    with clock.frozen(NOW):
        org.update_unit(s, world["units"][1], {"parent_id": world["units"][0].id})
        assert mechanism.pending(s)[tenure.NAME] is mechanism.ALL
        s.commit()
        check(s)
        update_rotation_settings(s, {"police_years": 2})
        assert mechanism.pending(s)[tenure.NAME] is mechanism.ALL
        s.commit()
        check(s)
        assert s.scalar(sa.select(TenureState.policy)) == tenure._policy_text(
            get_rotation_settings(s)
        )


def test_bulk_statements_mark_the_people_they_name(db, world):
    s = db.session
    with clock.frozen(NOW):
        who = world["people"][2]
        s.execute(
            sa.insert(Assignment),
            [{"person_id": who.id, "post_id": world["posts"][0].id, "start_date": _day(-900)}],
        )
        assert mechanism.pending(s)[tenure.NAME] == {who.id}
        s.commit()
        check(s)
        s.execute(sa.update(Post).values(is_sensitive=True))
        assert mechanism.pending(s)[tenure.NAME] is mechanism.ALL
        s.commit()
        check(s)


def test_other_days_policies_and_scopes(db, world):
    s = db.session
    with clock.frozen(NOW):
        assert not tenure.answers(s, _day(-1))
        assert not tenure.answers(s, TODAY, {**get_rotation_settings(s), "police_years": 9})
        assert tenure.answers(s, TODAY, get_rotation_settings(s))
        station = world["units"][0]
        scope = Scope(subtree_paths=(station.path,))
        filters = eligibility.Filters(unit_path=world["root"].path, personnel_type="police")
        got = eligibility.compute(s, TODAY, scope=scope, filters=filters)
        want = _engine(s, TODAY, scope=scope, filters=filters)
        assert [_plain(r) for r in got] == [_plain(r) for r in want] and got
        one = eligibility.for_person(s, world["people"][2].id, TODAY)
        assert [_plain(r) for r in one] == [
            _plain(r)
            for r in _engine(s, TODAY, filters=eligibility.Filters(person_id=world["people"][2].id))
        ]


def test_a_table_never_built_is_built_whole_at_the_first_refresh(db, world):
    s = db.session
    with clock.frozen(NOW):
        s.execute(sa.delete(TenureRow))
        s.execute(sa.delete(TenureState))
        s.commit()
        assert not tenure.answers(s, TODAY)
        org.update_person(s, world["people"][0], {"probation_until": _day(5)})
        s.commit()
        check(s)


def test_cli_rebuild_prints_counts(app, db, world):
    s = db.session
    with clock.frozen(NOW):
        # Writes on the table itself (drift the rebuild repairs) mark nothing.
        s.execute(sa.delete(TenureRow).where(TenureRow.person_id == world["people"][0].id))
        s.execute(sa.update(TenureRow).values(threshold_years=99))
        assert mechanism.pending(s) == {}
        s.commit()
        db.session.remove()
        result = CliRunner().invoke(app.cli, ["rotation", "rebuild"], catch_exceptions=False)
        assert result.exit_code == 0
        assert "4 people, 4 rows: 1 inserted, 3 updated, 0 deleted" in result.output
        check(db.session)


def test_the_scheduler_rebuilds_daily_and_idempotently(app, db, world, monkeypatch):
    from supervision import scheduler

    spec = next(j for j in scheduler.job_specs(app.config) if j.id == "tenure_rebuild")
    assert (spec.trigger, spec.trigger_args, spec.at_start) == (
        "cron",
        {"hour": 0, "minute": 5},
        True,
    )
    monkeypatch.setattr(scheduler, "_app", app)
    s = db.session
    with clock.frozen(NOW + timedelta(days=1)):
        stamps = dict(s.execute(sa.select(TenureRow.person_id, TenureRow.changed_at)).all())
        s.rollback()
        spec.func()
        spec.func()
        assert s.scalar(sa.select(TenureState.as_of)) == TODAY + timedelta(days=1)
        assert dict(s.execute(sa.select(TenureRow.person_id, TenureRow.changed_at)).all()) == stamps
        check(s)


def test_inactive_and_deleted_people_leave_the_table(db, world):
    s = db.session
    with clock.frozen(NOW):
        a, b = world["people"][0], world["people"][1]
        org.update_person(s, a, {"is_active": False})
        s.commit()
        for x in s.scalars(sa.select(Assignment).where(Assignment.person_id == b.id)):
            org.delete_assignment(s, x)
        s.commit()
        check(s)
        kept = set(s.scalars(sa.select(TenureRow.person_id)))
        assert a.id not in kept and b.id not in kept and len(kept) == 2
        assert s.get(OrgUnit, world["units"][0].id) is not None
        assert s.get(Person, a.id) is not None
