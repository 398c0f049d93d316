"""The maintained table of obligations (issue 14) equals a full recomputation by the engine
after any sequence of changes made through the real services (Hypothesis), on SQLite and
PostgreSQL alike."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supervision.common import clock
from supervision.common.errors import Conflict, Invalid
from supervision.common.periods import Period
from supervision.obligations import engine, maintained, table
from supervision.obligations.models import TalkConductor
from supervision.obligations.services import create_waiver
from supervision.obligations.settings import get_obligation_settings, update_obligation_settings
from supervision.org import services as org
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.talks import services as talks
from supervision.talks.models import Talk
from tests import factories
from tests.conftest import _truncate_all

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 11, 20, 10, 0, tzinfo=CST)
TODAY = NOW.date()
STARTS = [date(2020, 1, 1), date(2025, 3, 20), date(2025, 9, 15), date(2025, 10, 25)]
#: Dates the table's statuses are compared at (inside today's quarter, half and year; the
#: second before some talks are held).
AS_OF = [TODAY, date(2025, 10, 1)]


def _bureau(s) -> dict:
    """The small bureau, a sensitive post in the team and in traffic, six staff, the
    discipline secretary (a user) and a member of the committee."""
    rows = factories.small_bureau(s)
    rows["posts"] = [
        factories.post(s, rows["team"], "户籍岗", is_sensitive=True),
        factories.post(s, rows["traffic"], "事故岗", is_sensitive=True),
        factories.post(s, rows["station"], "内勤岗"),
    ]
    units = [rows["team"], rows["traffic"], rows["station"]]
    rows["people"] = [rows["chief"], rows["head"]]
    for i in range(6):
        who = factories.person(s, units[i % 3], f"民警{i}", leadership="none")
        factories.assign(s, who, rows["posts"][i % 3], STARTS[i % len(STARTS)])
        rows["people"].append(who)
    secretary = factories.person(s, rows["bureau"], "纪委书记")
    factories.user(s, "secretary", ["discipline_secretary"], person=secretary)
    rows["member"] = factories.person(s, rows["bureau"], "纪委委员")
    rows["people"] += [secretary, rows["member"]]
    return rows


def _try(s, fn) -> None:
    try:
        fn()
        s.commit()
    except (Invalid, Conflict):
        s.rollback()


def _open_obligation(s, pick: int):
    """One obligation of the open periods that is pending or overdue (by the engine), or
    None: what a talk or a waiver changes."""
    rules = get_obligation_settings(s)
    found = [
        o
        for t, p in table.open_periods(TODAY, rules)
        for o in engine.recompute(s, p, [t], as_of=TODAY, settings=rules)
        if o.status in ("pending", "overdue")
    ]
    return found[pick % len(found)] if found else None


def _talk(s, rows, target, days_late: int):
    """A final talk for `target`, held in its period or later (a make-up), never after now."""
    who = s.get(Person, target.person_id)
    interviewer = rows["member"] if who.id != rows["member"].id else rows["chief"]
    period = Period.parse(target.period)
    held = min(TODAY, period.end + timedelta(days=days_late * 20 - 30))
    held_at = datetime.combine(held, datetime.min.time(), CST).replace(hour=9)
    factories.final_talk(s, who, [interviewer], held_at, type=target.type, period=target.period)


def _revise(s, rows, pick):
    finals = s.query(Talk).filter(Talk.status == "final").order_by(Talk.id).all()
    if not finals:
        return
    old = finals[pick % len(finals)]
    new = talks.revise(s, old)
    for signer in (new.interviewee_id, *[i.person_id for i in new.interviewers]):
        talks.sign(s, new, signer, None)
    talks.finalize(s, new)


def _act(s, rows, action, a, b, c) -> None:
    people = rows["people"]
    who = s.get(Person, people[a % len(people)].id)
    if action == 0:
        target = _open_obligation(s, a + c)
        if target is not None:
            _try(s, lambda: _talk(s, rows, target, b))
    elif action == 1:
        _try(s, lambda: _revise(s, rows, a + c))
    elif action == 2:
        target = _open_obligation(s, a + b)
        if target is not None:
            data = {
                "person_id": target.person_id,
                "type": target.type,
                "period": target.period,
                "reason": "病假",
            }
            _try(s, lambda: create_waiver(s, data, None))
    elif action == 3:
        post = rows["posts"][b % 3]
        data = {"person_id": who.id, "post_id": post.id, "start_date": STARTS[c % len(STARTS)]}
        _try(s, lambda: org.create_assignment(s, data))
    elif action == 4:
        open_ = s.query(Assignment).filter(Assignment.end_date.is_(None)).order_by(Assignment.id)
        found = open_.all()
        if found:
            row = found[a % len(found)]
            end = max(row.start_date, date(2025, 9 + c % 3, 5 + c % 20))
            _try(s, lambda: org.update_assignment(s, row, {"end_date": end}))
    elif action == 5:
        level = ("none", "team_member", "department_head")[c % 3]
        _try(s, lambda: org.update_person(s, who, {"leadership": level}))
    elif action == 6:
        unit = [rows["team"], rows["traffic"], rows["station"], rows["bureau"]][c % 4]
        _try(s, lambda: org.update_person(s, who, {"org_unit_id": unit.id}))
    elif action == 7:
        _try(s, lambda: org.update_person(s, who, {"is_active": not who.is_active}))
    elif action == 8:
        team = s.get(OrgUnit, rows["team"].id)
        parent = rows["traffic"] if team.parent_id == rows["station"].id else rows["station"]
        _try(s, lambda: org.update_unit(s, team, {"parent_id": parent.id}))
    elif action == 9:
        unit = s.get(OrgUnit, [rows["team"], rows["traffic"], rows["station"]][c % 3].id)
        head = None if b == 0 else who.id
        _try(s, lambda: org.update_unit(s, unit, {"head_person_id": head}))
    elif action == 10:
        changes = [
            {"integrity_reminder": {"min_days_in_period": (10, 30, 60)[c % 3]}},
            {"supervision": {"conductor": ("committee", "responsible_head")[c % 2]}},
            {"party_secretary_staff_no": "" if c % 2 else rows["chief"].staff_no},
            {"heart_to_heart": {"leadership": [["team_member"], ["department_head"]][c % 2]}},
        ]
        _try(s, lambda: update_obligation_settings(s, changes[b % len(changes)]))
    elif action == 11:
        key = (who.id, "supervision")
        existing = s.get(TalkConductor, key)
        if existing is not None:
            s.delete(existing)
        else:
            s.add(
                TalkConductor(person_id=who.id, type="supervision", conductor_id=rows["member"].id)
            )
        s.commit()
    elif action == 12:
        post = s.get(Post, rows["posts"][c % 3].id)
        _try(s, lambda: org.update_post(s, post, {"is_sensitive": not post.is_sensitive}))
    else:
        maintained.rebuild(s)
        s.commit()


def _check(s) -> None:
    """The table, read as the pages read it, equals the engine's full recomputation for every
    open period (at several dates), and its rows are what a rebuild would write."""
    rules = get_obligation_settings(s)
    pairs = table.open_periods(TODAY, rules)
    min_days = rules["integrity_reminder"]["min_days_in_period"]
    for type_, period in pairs:
        for as_of in AS_OF:
            rows = table.read(s, [(type_, period)], as_of, rules)
            assert rows is not None, "the table answers for today's open periods"
            got = [engine.from_row(r, period, min_days, {}) for r in rows]
            want = engine.recompute(s, period, [type_], as_of=as_of, settings=rules)
            assert got == want, (type_, str(period), as_of)
            # A drill-down's rows of some statuses, read with the status in SQL.
            for wanted in (("overdue",), ("pending", "done_late")):
                some = table.read(s, [(type_, period)], as_of, rules, statuses=wanted)
                assert [engine.from_row(r, period, min_days, {}) for r in some] == [
                    o for o in want if o.status in wanted
                ], (type_, str(period), as_of, wanted)
    context = engine.conductors(s, engine.rules.OBLIGATION_TYPES, rules)
    assert maintained._existing(s, pairs, None) == maintained._wanted(
        s, pairs, rules, context, None
    )


ACTIONS = st.lists(
    st.tuples(st.integers(0, 13), st.integers(0, 20), st.integers(0, 5), st.integers(0, 20)),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=ACTIONS)
def test_the_table_equals_a_recomputation_after_any_changes(app, db, steps):
    db.session.remove()
    _truncate_all()
    s = db.session
    with clock.frozen(NOW):
        rows = _bureau(s)
        s.commit()
        _check(s)
        for action, a, b, c in steps:
            _act(s, rows, action, a, b, c)
            _check(s)
