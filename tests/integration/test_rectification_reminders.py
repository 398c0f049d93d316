"""Rectification on the reminder ladder (SPEC §14, §8) against a real database: a measure's
steps on the working-day calendar and their recipients, exactly once whatever the number
of sweeps, stopped by a done measure or an inspection no longer rectifying; the weekly
summary once per inspection, recipient and week with the right figures; one e-mail per
recipient and sweep; nothing ever reaches admin or HR."""

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from supervision.calendar import services as calendar
from supervision.common import clock
from supervision.org.models import OrgUnit
from supervision.rectification import services as rectification
from supervision.rectification.models import Finding
from supervision.reminders import digest, ladder, rectification_texts, sweep, texts
from supervision.reminders.models import MailMessage, Notification
from tests import factories

CST = timezone(timedelta(hours=8))
MEASURE = "rectification_measure"


def at(*args) -> datetime:
    """A local (Beijing) instant."""
    return datetime(*args, tzinfo=CST)


@pytest.fixture
def ledger(db, make_user):
    """The ledger of make_ledger."""
    return make_ledger(db, make_user)


def make_ledger(db, make_user) -> dict:
    """An inspection being rectified, led by the chief; finding 1 (responsible: the station
    head, lead unit the station) with measure 一是 due Wed 2025-12-31 owned by an officer and
    二是 due Tue 2025-09-30 owned by a person whose account is HR's; finding 2 (responsible:
    a person whose account is admin's) with a measure due 2025-12-31 owned by the admin's
    person. A secretary and a member; everyone with an e-mail address."""
    s = db.session
    calendar.sync(s, [2025, 2026])
    rows = factories.small_bureau(s)
    chief, head = rows["chief"], rows["head"]
    people = {"chief": chief, "head": head}
    for key, role, unit in (
        ("officer", "staff", rows["station"]),
        ("sec", "discipline_secretary", rows["bureau"]),
        ("mem", "discipline_member", rows["bureau"]),
        ("hr", "hr", rows["bureau"]),
        ("admin", "admin", rows["bureau"]),
    ):
        people[key] = factories.person(s, unit, f"人员{key}", email=f"{key}@example.test")
        s.flush()
        make_user(key, (role,), person=people[key])
    for key in ("chief", "head"):
        people[key].email = f"{key}@example.test"
        make_user(key, ("leader",), person=people[key])
    inspection = rectification.create_inspection(
        s,
        {
            "name": "十五届市委第五轮巡察",
            "inspector": "市委第八巡察组",
            "org_unit_id": rows["bureau"].id,
            "feedback_on": date(2025, 9, 1),
            "deadline": date(2026, 3, 31),
            "leader_person_id": chief.id,
        },
    )
    first = rectification.create_finding(
        s,
        inspection,
        {
            "category": "聚焦全面从严管党治警情况",
            "title": "强化保密工作",
            "responsible_leader_id": head.id,
            "lead_unit_id": rows["station"].id,
        },
    )
    second = rectification.create_finding(
        s,
        inspection,
        {
            "category": "聚焦全面从严管党治警情况",
            "title": "规范执法办案",
            "responsible_leader_id": people["admin"].id,
        },
    )
    main = rectification.create_measure(
        s,
        first,
        {
            "description": "开展保密检查",
            "due_on": date(2025, 12, 31),
            "owner_person_id": people["officer"].id,
            "owner_unit_id": rows["station"].id,
        },
    )
    hr_owned = rectification.create_measure(
        s,
        first,
        {
            "description": "组织保密培训",
            "due_on": date(2025, 9, 30),
            "owner_person_id": people["hr"].id,
        },
    )
    admin_owned = rectification.create_measure(
        s,
        second,
        {
            "description": "修订执法办案流程",
            "due_on": date(2025, 12, 31),
            "owner_person_id": people["admin"].id,
        },
    )
    s.commit()
    return {
        **{k: p.id for k, p in people.items()},
        "inspection": inspection,
        "first": first,
        "main": main,
        "hr_owned": hr_owned,
        "admin_owned": admin_owned,
    }


def _sweep(db, instant):
    with clock.frozen(instant):
        result = sweep.sweep(db.session, instant)
    db.session.commit()
    return result


def _rows(db, **where):
    stmt = sa.select(Notification).where(
        Notification.step != "account", *[getattr(Notification, k) == v for k, v in where.items()]
    )
    return db.session.scalars(stmt.order_by(Notification.recipient_id, Notification.id)).all()


def _measure_steps(db, ledger, measure="main"):
    return {
        (n.step, n.recipient_id)
        for n in _rows(db, object_type=MEASURE, object_ref=str(ledger[measure].id))
    }


def test_a_measure_climbs_the_ladder_on_working_days_to_the_right_people(db, ledger):
    """Due Wed 2025-12-31: upcoming Wed 12-24 (5th working day before), overdue Sun
    2026-01-04 (a working day after the New Year holiday), escalated Thu 2026-01-15."""
    L = ledger
    _sweep(db, at(2025, 12, 24, 8, 59))
    assert not _measure_steps(db, L)
    _sweep(db, at(2025, 12, 24, 9, 0))
    assert _measure_steps(db, L) == {("upcoming", L["officer"]), ("upcoming", L["head"])}
    [n] = _rows(db, object_type=MEASURE, object_ref=str(L["main"].id), recipient_id=L["head"])
    assert n.on == at(2025, 12, 24, 9, 0) and n.due_on == date(2025, 12, 31)
    assert n.period == "2025-12-31" and n.person_id == L["officer"]
    assert n.link == f"/rectification/findings/{L['first'].id}"
    assert _page_of(db, n.link) == "rectification.finding"
    assert "强化保密工作" in n.subject and "一是" in n.subject and "2025-12-31" in n.subject

    _sweep(db, at(2026, 1, 3, 23, 0))  # Saturday: still inside the holiday
    assert {s for s, _r in _measure_steps(db, L)} == {"upcoming"}
    _sweep(db, at(2026, 1, 4, 9, 0))
    assert {r for s, r in _measure_steps(db, L) if s == "overdue"} == {L["officer"], L["head"]}

    _sweep(db, at(2026, 1, 14, 9, 0))
    assert not {r for s, r in _measure_steps(db, L) if s == "escalated"}
    _sweep(db, at(2026, 1, 15, 9, 0))
    assert {r for s, r in _measure_steps(db, L) if s == "escalated"} == {L["chief"], L["sec"]}
    [escalation] = _rows(db, object_ref=str(L["main"].id), step="escalated", recipient_id=L["sec"])
    assert "人员officer" in escalation.subject  # names the owner who is late

    measures = len(_rows(db, object_type=MEASURE))
    assert _sweep(db, at(2026, 1, 15, 9, 0)).created == 0
    assert _sweep(db, at(2026, 1, 15, 17, 0)).created == 0
    _sweep(db, at(2026, 2, 2, 9, 0))  # creates February's summaries and talk reminders ...
    assert len(_rows(db, object_type=MEASURE)) == measures  # ... no measure step twice


def test_the_ladder_matches_the_working_day_rules(db, ledger):
    """Due Tue 2025-09-30 (the National Day holiday follows): upcoming Wed 09-24 (Sun 09-28
    is a working day), overdue Thu 10-09, escalated on the 10th working day after."""
    L = ledger
    steps = [
        s
        for s in ladder.collect(db.session, today=date(2025, 9, 20))
        if s.object_type == MEASURE and s.object_ref == str(L["hr_owned"].id)
    ]
    days = {(s.step, s.on) for s in steps}
    assert ("upcoming", at(2025, 9, 24, 9, 0)) in days
    assert ("overdue", at(2025, 10, 9, 9, 0)) in days
    # The HR-owned measure's own steps go to the responsible leader, never to HR.
    assert {s.recipient_id for s in steps if s.step != "escalated"} == {L["head"]}
    assert {s.recipient_id for s in steps if s.step == "escalated"} == {L["chief"], L["sec"]}


def test_admin_and_hr_never_receive_anything(db, ledger):
    L = ledger
    for instant in (at(2025, 9, 24, 9, 0), at(2025, 12, 24, 9, 0), at(2026, 1, 15, 9, 0)):
        _sweep(db, instant)
    assert _rows(db, object_type=MEASURE)
    for key in ("admin", "hr"):
        assert not _rows(db, recipient_id=L[key]), key
    # The admin-owned measure (responsible leader: the admin's person) is escalated only.
    assert _measure_steps(db, L, "admin_owned") == {
        ("escalated", L["chief"]),
        ("escalated", L["sec"]),
    }


def test_a_done_measure_and_a_reported_inspection_stop_the_ladder(db, ledger):
    L = ledger
    _sweep(db, at(2026, 1, 4, 9, 0))
    with clock.frozen(at(2026, 1, 5, 10, 0)):
        rectification.mark_done(db.session, L["main"], date(2026, 1, 5), "检查完毕")
    db.session.commit()
    _sweep(db, at(2026, 1, 15, 9, 0))
    assert not {s for s, _r in _measure_steps(db, L) if s == "escalated"}
    assert {s for s, _r in _measure_steps(db, L, "admin_owned")} == {"escalated"}

    inspection = L["inspection"]
    inspection.status = "reported"
    db.session.commit()
    assert not [
        s
        for s in ladder.collect(db.session, today=date(2026, 2, 1))
        if s.object_type in (MEASURE, "inspection")
    ]
    before = len(_rows(db))
    _sweep(db, at(2026, 2, 2, 9, 0))
    assert len(_rows(db)) == before


def test_the_weekly_summary_once_per_week_to_the_leader_and_the_secretary(db, ledger):
    L = ledger
    with clock.frozen(at(2026, 1, 5, 10, 0)):
        rectification.mark_done(db.session, L["hr_owned"], date(2025, 9, 29), "已培训")
    db.session.commit()
    _sweep(db, at(2026, 1, 5, 8, 0))
    assert not _rows(db, object_type="inspection", period="2026-W02")
    _sweep(db, at(2026, 1, 5, 9, 0))  # Monday 2026-01-05, the week's first working day
    summaries = _rows(db, object_type="inspection", period="2026-W02")
    assert {(n.recipient_id, n.step) for n in summaries} == {
        (L["chief"], "digest"),
        (L["sec"], "digest"),
    }
    n = summaries[0]
    assert n.on == at(2026, 1, 5, 9, 0) and n.object_ref == str(L["inspection"].id)
    assert n.link == f"/rectification/{L['inspection'].id}"
    assert _page_of(db, n.link) == "rectification.ledger"
    # As of 2026-01-05: 2 findings (1 in progress, 1 not started), 3 measures, 1 done, the
    # two due 2025-12-31 overdue; per lead unit the station first, then "no lead unit".
    assert "反馈问题2个" in n.body and "整改中1个" in n.body and "未开始1个" in n.body
    assert "整改措施3项，已完成1项，逾期2项" in n.body
    station = db.session.get(OrgUnit, db.session.get(Finding, L["first"].id).lead_unit_id)
    assert f"{station.name}：问题1个，逾期0个；整改措施2项，已完成1项，逾期1项" in n.body
    assert "未定牵头部门：问题1个" in n.body
    assert "逾期整改措施2项" in n.subject
    for instant in (at(2026, 1, 5, 9, 30), at(2026, 1, 6, 9, 0), at(2026, 1, 11, 20, 0)):
        _sweep(db, instant)
    assert len(_rows(db, object_type="inspection", period="2026-W02")) == 2
    _sweep(db, at(2026, 1, 12, 9, 0))
    assert len(_rows(db, object_type="inspection", period="2026-W03")) == 2


def test_the_summary_lists_what_falls_due_that_week(db, ledger):
    steps = [
        s
        for s in ladder.collect(db.session, today=date(2025, 12, 31))
        if s.object_type == "inspection"
    ]
    # Week 2026-W01 (Mon 2025-12-29 to Sun 2026-01-04): Monday is a working day.
    assert {(s.period, s.on) for s in steps} == {("2026-W01", at(2025, 12, 29, 9, 0))}
    with force_locale("en"):
        names = texts.Names(db.session, steps[:1])
        subject, body, _link = texts.compose(steps[0], names)
    assert subject.startswith("Weekly rectification summary 2026-W01")
    assert "Measures due this week: 2 (done 0):" in body
    assert "problem 1 \u201c强化保密工作\u201d, measure 1 (2025-12-31, not done)" in body
    assert "problem 2 \u201c规范执法办案\u201d, measure 1 (2025-12-31, not done)" in body
    assert rectification_texts.chinese_number(12) == "十二"


def test_one_email_per_recipient_and_sweep(db, ledger):
    """A first sweep on Thu 2026-01-15: the secretary's two escalations of the day and this
    week's summary go out in one message with the talk reminders of the sweep; the owner's
    overdue step of 01-04 is older than the backlog window (no mail); one message each."""
    L = ledger
    result = _sweep(db, at(2026, 1, 15, 9, 0))
    sec = _rows(db, recipient_id=L["sec"])
    ours = [n for n in sec if n.object_type in (MEASURE, "inspection")]
    # The 2025-09-30 measure's escalation (October) is older than the backlog window.
    assert sorted((n.step, n.object_type, n.object_ref, n.email_status) for n in ours) == sorted(
        [
            ("digest", "inspection", str(L["inspection"].id), "queued"),
            ("escalated", MEASURE, str(L["main"].id), "queued"),
            ("escalated", MEASURE, str(L["admin_owned"].id), "queued"),
            ("escalated", MEASURE, str(L["hr_owned"].id), "none"),
        ]
    )
    queued = [n for n in sec if n.email_status == "queued"]
    assert len(queued) > 3  # with the talk reminders of the same sweep
    [message_id] = {n.message_id for n in queued}
    assert db.session.get(MailMessage, message_id).count == len(queued)
    officer = _rows(db, recipient_id=L["officer"], object_type=MEASURE)
    assert [(n.step, n.email_status) for n in officer] == [("overdue", "none")]
    # One message per recipient among the sweep's (the account notices have their own).
    per_recipient = db.session.execute(
        sa.select(Notification.recipient_id, sa.func.count(sa.distinct(Notification.message_id)))
        .where(Notification.message_id.is_not(None), Notification.step != "account")
        .group_by(Notification.recipient_id)
    ).all()
    assert per_recipient and all(count == 1 for _r, count in per_recipient)
    assert result.messages == len(per_recipient)


def test_the_digest_is_not_taken_for_a_summary(db, ledger):
    """The secretary's weekly digest is still created in a week where the summary exists,
    and lists the escalated measures, not the summary."""
    L = ledger
    _sweep(db, at(2026, 1, 19, 9, 0))
    with clock.frozen(at(2026, 1, 19, 9, 5)):
        digest.run(db.session, at(2026, 1, 19, 9, 5))
    db.session.commit()
    [own] = _rows(db, recipient_id=L["sec"], object_type="", step="digest")
    assert own.period == "2026-W04" and "强化保密工作" in own.body
    assert "整改情况周报" not in own.body


def _page_of(db, path: str) -> str:
    """The endpoint a notification's link opens (a link to no page fails here)."""
    from flask import current_app

    endpoint, _args = current_app.url_map.bind("localhost").match(path)
    return endpoint
