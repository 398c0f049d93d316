"""Incremental reminder sweeps (issue 14): a sweep after an earlier one evaluates only the
steps whose instant came since and the objects changed since, and creates exactly what a
full evaluation would have created by then; each notification still exists once (SPEC §8).
"""

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from supervision.calendar import services as calendar
from supervision.common import clock
from supervision.common.workdays import WorkCalendar
from supervision.reminders import ladder, sweep
from supervision.reminders.models import Notification, SweepRun
from supervision.risks.models import Measure
from tests import factories

CST = timezone(timedelta(hours=8))


def at(*args) -> datetime:
    """A local (Beijing) instant."""
    return datetime(*args, tzinfo=CST)


#: Q3 2025's obligations are due on Tue 30 September: `upcoming` on Wed 24 September at
#: 09:00, `overdue` on Thu 9 October (after the National Day holiday), `escalated` later.
UPCOMING = at(2025, 9, 24, 9, 0)
#: A Friday after Q3's `overdue` (9 October), before its `escalated` (21 October).
FRIDAY = at(2025, 10, 17, 10, 0)
#: What a sweep as of FRIDAY creates for one officer: Q3's `overdue` and Q2's (to the head
#: and the member), Q2's `escalated` (to the secretary; the units name no leader); Q3's
#: `upcoming` is stale by then.
PER_OFFICER = 5


#: When the people and their posts are written: the maintained obligation and tenure rows
#: then carry this instant as their `changed_at` and the open periods of FRIDAY (in the
#: bureau, both are today's), so that only what a test changes later counts as changed.
WRITTEN = at(2025, 10, 17, 8, 0)


@pytest.fixture
def bureau(db, make_user):
    """A station whose head conducts the integrity reminders of the officers in a sensitive
    post (`add_officers`), a secretary and a discipline member with accounts, and the owner
    of a risk point (review due in 2026) with a measure (due in 2026)."""
    s = db.session
    with clock.frozen(WRITTEN):  # the maintained tables are built for FRIDAY's periods
        calendar.sync(s, [2025, 2026])
        branch = factories.unit(s, "分局", kind="branch")
        station = factories.unit(s, "派出所", kind="station", parent=branch)
        head = factories.person(s, station, "所长", email="head@example.test")
        owner = factories.person(s, station, "负责人", email="owner@example.test")
        s.flush()
        station.head_person_id = head.id
        post = factories.post(s, station, "户籍岗", is_sensitive=True)
        rows = {"station": station, "head": head, "owner": owner, "post": post, "officers": []}
        for name, role in (("sec", "discipline_secretary"), ("m1", "discipline_member")):
            rows[name] = factories.person(s, branch, name, email=f"{name}@example.test")
            s.flush()
            make_user(name, (role,), person=rows[name])
        with clock.frozen(at(2025, 9, 1, 9, 0)):
            point = factories.risk_point(s, station, owner, due_on=date(2026, 6, 30))
            s.flush()
            point.review_due_on = date(2026, 6, 30)
            s.commit()
    rows["point"], rows["measure"] = point, point.measures[0]
    add_officers(db, rows, 2)
    return rows


def add_officers(db, rows, count: int) -> None:
    s = db.session
    start = len(rows["officers"])
    with clock.frozen(WRITTEN):
        for i in range(start, start + count):
            rows["officers"].append(factories.holder(s, rows["post"], f"民警{i}", date(2025, 1, 1)))
        s.commit()


def _sweep(db, instant, **kw):
    with clock.frozen(instant):
        result = sweep.sweep(db.session, instant, **kw)
    db.session.commit()
    return result


def _count(db, *where) -> int:
    stmt = sa.select(sa.func.count()).select_from(Notification)
    return db.session.scalar(stmt.where(Notification.step != "account", *where))


def test_a_rerun_with_nothing_new_creates_nothing_in_a_number_of_statements_that_does_not_grow(
    db, bureau, count_statements
):
    first = _sweep(db, FRIDAY)
    assert first.full and first.created == 2 * PER_OFFICER
    with count_statements() as small:
        again = _sweep(db, FRIDAY + timedelta(minutes=15))
    assert (again.full, again.since, again.due, again.created) == (False, FRIDAY, 0, 0)

    add_officers(db, bureau, 6)
    full = _sweep(db, FRIDAY + timedelta(minutes=30), full=True)
    assert full.full and full.created == 6 * PER_OFFICER
    with count_statements() as large:
        rerun = _sweep(db, FRIDAY + timedelta(minutes=45))
    assert (rerun.full, rerun.due, rerun.created) == (False, 0, 0)
    assert len(large) == len(small)
    assert not any(s.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS") for s in large)
    runs = db.session.scalars(sa.select(SweepRun).order_by(SweepRun.id)).all()
    assert [r.full for r in runs] == [True, False, True, False]
    assert runs[-1].full_as_of == FRIDAY + timedelta(minutes=30)
    assert runs[-1].as_of == FRIDAY + timedelta(minutes=45)


def test_a_step_whose_instant_falls_between_two_runs_is_created_by_the_second(db, bureau):
    before = _sweep(db, UPCOMING - timedelta(hours=1))
    assert before.full and not _count(db, Notification.step == "upcoming")
    after = _sweep(db, UPCOMING + timedelta(minutes=5))
    assert not after.full and after.created == 2
    upcoming = db.session.scalars(sa.select(Notification).where(Notification.step == "upcoming"))
    assert {(n.recipient_id, n.on) for n in upcoming} == {(bureau["head"].id, UPCOMING)}
    # A dry run as of the same instant evaluates the same increment and finds nothing new.
    dry = _sweep(db, UPCOMING + timedelta(minutes=10), dry_run=True)
    assert not dry.full and dry.new_steps == []


def test_objects_changed_between_runs_are_picked_up_with_their_past_steps(db, bureau):
    _sweep(db, FRIDAY)
    assert not _count(db, Notification.object_type.in_(("risk_point", "measure")))
    with clock.frozen(FRIDAY + timedelta(minutes=5)):
        bureau["point"].review_due_on = date(2025, 9, 1)  # its review was due long ago
        db.session.get(Measure, bureau["measure"].id).due_on = date(2025, 10, 10)
        db.session.commit()
    again = _sweep(db, FRIDAY + timedelta(minutes=20))
    assert not again.full
    made = db.session.execute(
        sa.select(Notification.object_type, Notification.step, Notification.period).where(
            Notification.object_type.in_(("risk_point", "measure"))
        )
    ).all()
    # The point's `review_upcoming` (August) is stale once its `review_overdue` is reached;
    # the measure's `review_upcoming` (late September) likewise.
    assert sorted(made) == [
        ("measure", "review_overdue", "2025-10-10"),
        ("risk_point", "review_overdue", "2025-09-01"),
    ]
    assert _sweep(db, FRIDAY + timedelta(minutes=35)).created == 0


def test_an_unchanged_review_whose_step_comes_due_is_found_by_its_due_date(db, bureau):
    """The measure is due on Tue 18 November 2025; `review_upcoming` (ten working days
    before) falls on Tue 4 November at 09:00. Written long before the first run, it is found
    by the increment from its due date, not because it changed."""
    with clock.frozen(at(2025, 9, 1, 9, 0)):
        db.session.get(Measure, bureau["measure"].id).due_on = date(2025, 11, 18)
        db.session.commit()
    _sweep(db, at(2025, 11, 4, 8, 0))
    assert not _count(db, Notification.object_type == "measure")
    second = _sweep(db, at(2025, 11, 4, 9, 30))
    assert not second.full
    [n] = db.session.scalars(sa.select(Notification).where(Notification.object_type == "measure"))
    assert (n.step, n.on, n.recipient_id) == (
        "review_upcoming",
        at(2025, 11, 4, 9, 0),
        bureau["owner"].id,
    )


def test_a_sweep_as_of_an_earlier_instant_evaluates_everything(db, bureau):
    _sweep(db, FRIDAY)
    add_officers(db, bureau, 1)  # their Q3 `overdue` (9 October) lies before both sweeps
    earlier = _sweep(db, FRIDAY - timedelta(hours=1))
    assert earlier.full and earlier.created == PER_OFFICER  # the newcomer's
    late = bureau["officers"][-1].id
    q3 = (Notification.person_id == late, Notification.period == "2025Q3")
    assert _count(db, *q3, Notification.step == "overdue") == 2


def test_new_recipients_by_role_make_the_next_sweep_a_full_one(db, bureau, make_user):
    _sweep(db, FRIDAY)
    s = db.session
    m2 = factories.person(s, bureau["station"], "m2", email="m2@example.test")
    s.flush()
    make_user("m2", ("discipline_member",), person=m2)
    again = _sweep(db, FRIDAY + timedelta(minutes=15))
    assert again.full and again.created == 2 * 2  # the officers' Q2 and Q3 `overdue`
    assert _count(db, Notification.recipient_id == m2.id, Notification.step == "overdue") == 4


def test_a_full_evaluation_is_made_again_after_a_day(db, bureau):
    _sweep(db, FRIDAY)
    assert not _sweep(db, FRIDAY + timedelta(hours=23)).full
    assert _sweep(db, FRIDAY + timedelta(hours=25)).full


def test_two_sweeps_racing_create_each_notification_once(app, db, bureau, monkeypatch):
    """Two sweeps (threads with their own sessions) both find nothing existing, then both
    insert: the unique constraint lets one of each notification through."""
    both_checked = threading.Barrier(2, timeout=30)
    existing_keys = sweep._existing_keys

    def checked_then_wait(session, steps):
        found = existing_keys(session, steps)
        both_checked.wait()
        return found

    monkeypatch.setattr(sweep, "_existing_keys", checked_then_wait)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                from supervision.extensions import db as handle

                results.append(sweep.sweep(handle.session, FRIDAY))
                handle.session.commit()
        except Exception as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    mine = 2 * PER_OFFICER
    assert [len(r.new_steps) for r in results] == [mine, mine]  # both raced past the check
    assert sum(r.created for r in results) == mine
    assert _count(db) == mine
    keys = db.session.execute(
        sa.select(
            Notification.recipient_id,
            Notification.object_type,
            Notification.object_ref,
            Notification.period,
            Notification.step,
        ).where(Notification.step != "account")
    ).all()
    assert len(keys) == len(set(keys)) == mine


def test_due_range_finds_the_due_dates_whose_step_falls_in_a_span():
    """The k-th working day before (or after) a due date is non-decreasing in it, so the
    due dates whose step falls in a span are an interval, found by bisection."""
    work = WorkCalendar({date(2025, 10, d): d >= 9 for d in range(1, 9)}, [])
    before = lambda d: work.working_days_before(d, 3)  # noqa: E731
    after = lambda d: work.working_days_after(d, 1)  # noqa: E731
    first, last = date(2025, 10, 9), date(2025, 10, 10)
    for step_day in (before, after):
        found = ladder.due_range(step_day, first, last)
        brute = [
            d
            for d in (date(2025, 8, 1) + timedelta(days=i) for i in range(150))
            if first <= step_day(d) <= last
        ]
        assert found == (brute[0], brute[-1])
    # The first working day after the holiday is Thu 9 October: due from 30 September.
    assert ladder.due_range(after, first, first) == (date(2025, 9, 30), date(2025, 10, 8))
    assert ladder.due_range(before, date(2025, 10, 4), date(2025, 10, 5)) is None


def test_an_obligation_that_appears_between_runs_gets_its_past_steps_from_an_increment(db, bureau):
    """An officer posted after a sweep owes Q3's talk, whose `overdue` step lies before that
    sweep: the next (incremental) sweep creates it, because the officer's obligation rows
    changed since (obligation_rows.changed_at), not because the step is new."""
    first = _sweep(db, FRIDAY)
    assert first.full
    with clock.frozen(FRIDAY + timedelta(minutes=5)):
        late = factories.holder(db.session, bureau["post"], "新调入民警", date(2025, 1, 1))
        db.session.commit()
    again = _sweep(db, FRIDAY + timedelta(minutes=15))
    assert not again.full
    assert again.created == PER_OFFICER
    assert _count(db, Notification.person_id == late.id) == PER_OFFICER


def test_an_unchanged_tenure_whose_step_comes_due_is_found_by_its_due_date(db, bureau, make_user):
    """An officer whose tenure in the sensitive post falls due on Mon 27 October 2025: the
    increment after the step's instant reads the tenure rows by the due dates whose steps
    fall in its days (the row itself did not change) and creates HR's `rotation_due`."""
    from supervision.rotation.models import TenureRow

    s = db.session
    with clock.frozen(WRITTEN):
        hr = factories.person(s, bureau["station"], "人事", email="hr@example.test")
        s.flush()
        make_user("hr", ("hr",), person=hr)
        s.commit()
    due = date(2025, 10, 27)
    with clock.frozen(WRITTEN):
        officer = factories.holder(s, bureau["post"], "到期民警", due.replace(year=2020))
        s.commit()
        row = s.scalar(sa.select(TenureRow).where(TenureRow.person_id == officer.id))
        shift = due - row.due_on  # whatever the policy's threshold, move the start to hit `due`
        if shift:
            officer.assignments[0].start_date += shift
            s.commit()
    assert s.scalar(sa.select(TenureRow.due_on).where(TenureRow.person_id == officer.id)) == due
    step = at(2025, 10, 27, 9, 0)
    rotation_due = (Notification.step == "rotation_due", Notification.person_id == officer.id)
    first = _sweep(db, step - timedelta(hours=1))
    assert first.full and not _count(db, *rotation_due)
    second = _sweep(db, step + timedelta(minutes=5))
    assert not second.full
    assert _count(db, *rotation_due) == 1
    assert s.scalar(sa.select(Notification.recipient_id).where(*rotation_due)) == hr.id
