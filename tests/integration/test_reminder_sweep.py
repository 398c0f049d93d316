"""The reminder sweep against a real database (SPEC §8): the ladder's steps become one
notification each, for the right recipients, at the right instant, and never twice."""

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from supervision.calendar import services as calendar
from supervision.common import clock
from supervision.reminders import ladder, sweep
from supervision.reminders.models import Notification
from tests import factories

CST = timezone(timedelta(hours=8))


def at(*args) -> datetime:
    """A local (Beijing) instant."""
    return datetime(*args, tzinfo=CST)


@pytest.fixture
def bureau(db, make_user):
    """A station whose head conducts the integrity reminders of an officer in a sensitive
    post; a supervising leader; a secretary, two members and HR with accounts."""
    s = db.session
    calendar.sync(s, [2025, 2026])
    branch = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "派出所", kind="station", parent=branch)
    head = factories.person(s, station, "所长", email="head@example.test")
    deputy = factories.person(
        s, branch, "副局长", leadership="team_member", email="dep@example.test"
    )
    officer = factories.person(s, station, "民警甲")
    s.flush()
    station.head_person_id, station.supervising_leader_id = head.id, deputy.id
    post = factories.post(s, station, "户籍岗", is_sensitive=True)
    factories.assign(s, officer, post, date(2025, 1, 1))
    people = {"head": head, "deputy": deputy, "officer": officer, "post": post}
    for name, role in (
        ("sec", "discipline_secretary"),
        ("m1", "discipline_member"),
        ("m2", "discipline_member"),
        ("hr", "hr"),
    ):
        people[name] = factories.person(s, branch, name, email=f"{name}@example.test")
        s.flush()
        make_user(name, (role,), person=people[name])
    s.commit()
    return people


def _notifications(db, **where):
    """The sweep's notifications (not the secretaries' notices of the accounts created)."""
    stmt = sa.select(Notification).where(
        Notification.step != "account", *[getattr(Notification, k) == v for k, v in where.items()]
    )
    return db.session.scalars(stmt.order_by(Notification.id)).all()


def _sweep(db, instant, **kw):
    with clock.frozen(instant):
        result = sweep.sweep(db.session, instant, **kw)
    db.session.commit()
    return result


def test_upcoming_reaches_the_conductor_at_nine_on_the_fifth_working_day_before(db, bureau):
    _sweep(db, at(2025, 9, 24, 8, 59))
    assert not _notifications(db, step="upcoming", period="2025Q3")
    _sweep(db, at(2025, 9, 24, 9, 0))
    [n] = _notifications(db, step="upcoming", period="2025Q3")
    assert (n.recipient_id, n.person_id, n.type, n.object_type) == (
        bureau["head"].id,
        bureau["officer"].id,
        "integrity_reminder",
        "obligation",
    )
    assert n.on == at(2025, 9, 24, 9, 0) and n.due_on == date(2025, 9, 30)
    assert n.subject == "提醒：与民警甲的2025Q3廉政提醒谈话将于2025-09-30到期"
    assert n.link.startswith("/talks/new?type=integrity_reminder")
    assert (n.email_status, n.email_to) == ("queued", "head@example.test")


def test_overdue_and_escalated_across_new_year_reach_their_recipients(db, bureau):
    _sweep(db, at(2026, 1, 4, 9, 0))
    overdue = _notifications(db, step="overdue", period="2025Q4")
    assert {n.recipient_id for n in overdue} == {bureau[k].id for k in ("head", "m1", "m2")}
    assert not _notifications(db, step="escalated", period="2025Q4")
    _sweep(db, at(2026, 1, 15, 9, 0))
    escalated = _notifications(db, step="escalated", period="2025Q4")
    assert {n.recipient_id for n in escalated} == {bureau["sec"].id, bureau["deputy"].id}
    assert all(n.on == at(2026, 1, 15, 9, 0) for n in escalated)


def test_sweeping_twice_gives_one_notification_and_a_dry_run_writes_nothing(db, bureau):
    dry = _sweep(db, at(2025, 9, 24, 10, 0), dry_run=True)
    assert dry.new_steps and not _notifications(db)
    first = _sweep(db, at(2025, 9, 24, 10, 0))
    second = _sweep(db, at(2025, 9, 24, 10, 15))
    assert first.created == len(dry.new_steps) and second.created == 0
    assert second.existing == second.due
    keys = [
        (n.recipient_id, n.object_type, n.object_ref, n.period, n.step) for n in _notifications(db)
    ]
    assert len(keys) == len(set(keys))


def test_the_unique_constraint_refuses_a_racing_duplicate(db, bureau):
    with clock.frozen(at(2025, 9, 24, 10, 0)):
        steps = ladder.due_now(
            ladder.collect(db.session, today=date(2025, 9, 24)), at(2025, 9, 24, 10, 0)
        )
    row = {
        "recipient_id": steps[0].recipient_id,
        "step": steps[0].step,
        "object_type": steps[0].object_type,
        "object_ref": steps[0].object_ref,
        "period": steps[0].period,
        "on": steps[0].on,
        "subject": "x",
        "body": "x",
        "created_at": at(2025, 9, 24, 10, 0),
        "email_status": "none",
    }
    # Two sweeps that both missed each other's insert: the second insert is a no-op.
    assert len(sweep.insert_new(db.session, [row])) == 1
    assert sweep.insert_new(db.session, [dict(row, subject="y")]) == []
    db.session.commit()
    assert len(_notifications(db)) == 1


def test_a_final_talk_stops_the_ladder(db, bureau):
    _sweep(db, at(2025, 9, 24, 9, 0))
    with clock.frozen(at(2025, 9, 26, 10, 0)):
        factories.final_talk(
            db.session, bureau["officer"], [bureau["head"]], at(2025, 9, 26, 10, 0)
        )
    db.session.commit()
    _sweep(db, at(2025, 10, 20, 9, 0))
    assert not _notifications(db, step="overdue", period="2025Q3")
    assert not _notifications(db, step="escalated", period="2025Q3")
    assert len(_notifications(db, period="2025Q3")) == 1  # the upcoming sent before the talk


def test_a_sweep_after_downtime_catches_up_without_stale_warnings(db, bureau):
    _sweep(db, at(2026, 1, 20, 9, 0))  # nothing ran since December
    q4 = _notifications(db, period="2025Q4")
    assert {n.step for n in q4} == {"overdue", "escalated"}
    assert {n.on for n in q4 if n.step == "overdue"} == {at(2026, 1, 4, 9, 0)}


def test_a_2027_due_date_without_calendar_data_does_not_crash(db, bureau):
    result = _sweep(db, at(2027, 4, 15, 9, 0))
    overdue = _notifications(db, step="overdue", period="2027Q1")
    assert result.created > 0 and overdue
    assert {n.on for n in overdue} == {at(2027, 4, 1, 9, 0)}  # Mon–Fri fallback


def test_rotation_and_review_steps(db, bureau):
    s = db.session
    old = factories.holder(s, bureau["post"], "老民警", date(2020, 3, 1))
    s.commit()
    _sweep(db, at(2025, 3, 3, 9, 0))
    [due] = _notifications(db, step="rotation_due", person_id=old.id)
    assert (due.recipient_id, due.object_type, due.period) == (
        bureau["hr"].id,
        "rotation",
        "2025-03-01",
    )
    assert due.on == at(2025, 3, 3, 9, 0)  # 1 March 2025 is a Saturday
    assert "老民警" in due.subject and due.link == f"/rotation/people/{old.id}"
    assert not _notifications(db, step="rotation_upcoming", person_id=old.id)  # stale
