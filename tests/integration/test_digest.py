"""The weekly digest against a real database (SPEC §8): on the first working day of the
week from 09:00, one notification per leader listing their open items, once; the discipline
secretaries' digest carries the audit chain's anchor (SPEC §4), even with nothing open."""

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from supervision.audit import services as audit
from supervision.calendar import services as calendar
from supervision.calendar.models import CalendarDay
from supervision.common import clock
from supervision.reminders import digest, rules, sweep
from supervision.reminders.models import Notification
from supervision.reminders.settings import SETTINGS_KEY
from supervision.settings.store import put_settings
from tests import factories

CST = timezone(timedelta(hours=8))


def at(*args) -> datetime:
    """A local (Beijing) instant."""
    return datetime(*args, tzinfo=CST)


@pytest.fixture
def bureau(db, make_user):
    """A station whose head (a leader) conducts the integrity reminders of an officer who
    took a sensitive post on 2026-07-01 (so 2026Q3 is the first quarter owed). The deputy
    supervising the station and an idle leader have accounts with the role `leader` (none
    of them owes leaders' talks, which keeps the items few); a secretary and a member have
    theirs."""
    s = db.session
    calendar.sync(s, [2025, 2026])
    branch = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "派出所", kind="station", parent=branch)
    head = factories.person(s, station, "所长", email="head@example.test")
    deputy = factories.person(s, branch, "副局长", email="dep@example.test")
    idle = factories.person(s, branch, "闲领导", email="idle@example.test")
    officer = factories.person(s, station, "民警甲")
    s.flush()
    station.head_person_id, station.supervising_leader_id = head.id, deputy.id
    post = factories.post(s, station, "户籍岗", is_sensitive=True)
    factories.assign(s, officer, post, date(2026, 7, 1))
    people = {"head": head, "deputy": deputy, "idle": idle, "officer": officer}
    for name in ("head", "deputy", "idle"):
        make_user(name, ("leader",), person=people[name])
    for name, role in (("sec", "discipline_secretary"), ("m1", "discipline_member")):
        people[name] = factories.person(s, branch, name, email=f"{name}@example.test")
        s.flush()
        make_user(name, (role,), person=people[name])
    s.commit()
    return people


def _run(db, instant) -> digest.DigestResult:
    with clock.frozen(instant):
        result = digest.run(db.session, instant)
    db.session.commit()
    return result


def _digests(db, **where):
    stmt = sa.select(Notification).where(
        Notification.step == "digest", *[getattr(Notification, k) == v for k, v in where.items()]
    )
    return db.session.scalars(stmt.order_by(Notification.recipient_id)).all()


def _mine(db, who) -> Notification:
    """The one digest of `who` (a person)."""
    [n] = _digests(db, recipient_id=who.id)
    return n


def _settings(db, **changes):
    put_settings(db.session, SETTINGS_KEY, rules.DEFAULT_SETTINGS, changes, rules.validate_settings)
    db.session.commit()


def test_golden_week_moves_the_digest_to_thursday_8_october_2026(db, bureau):
    # The synced calendar: Monday 5 October 2026 is a National Day holiday, and so are the
    # 6th and 7th; Thursday the 8th is the week's first working day.
    days = dict(
        db.session.execute(
            sa.select(CalendarDay.date, CalendarDay.is_workday).where(
                CalendarDay.date.between(date(2026, 10, 5), date(2026, 10, 11))
            )
        ).all()
    )
    assert [days[date(2026, 10, d)] for d in range(5, 12)] == [
        False,
        False,
        False,
        True,
        True,
        True,
        False,
    ]
    for instant in (
        at(2026, 10, 5, 9, 0),
        at(2026, 10, 5, 23, 0),
        at(2026, 10, 7, 9, 30),
        at(2026, 10, 8, 8, 59),
    ):
        assert _run(db, instant).created == 0, instant
    assert not _digests(db)

    result = _run(db, at(2026, 10, 8, 9, 0))
    n = _mine(db, bureau["head"])
    # The head's, and the secretary's (nothing open, but the audit anchor).
    assert (result.created, result.queued, result.week) == (2, 2, "2026-W41")
    assert (n.recipient_id, n.object_type, n.object_ref, n.period) == (
        bureau["head"].id,
        "",
        str(bureau["head"].id),
        "2026-W41",
    )
    assert n.on == at(2026, 10, 8, 9, 0) and n.person_id is None
    assert (n.email_status, n.email_to) == ("queued", "head@example.test")
    # Chinese subject and body; the item is the overdue 2026Q3 integrity reminder.
    assert n.subject == "每周待办摘要（2026-W41）：1项待办事项"
    assert "截至2026-10-08" in n.body and "民警甲" in n.body and "2026Q3" in n.body
    assert "逾期" in n.body and "2026-09-30" in n.body
    assert n.link == "/notifications/"
    # Friday of the same week: not the first working day, nothing more.
    assert _run(db, at(2026, 10, 9, 9, 0)).created == 0


def test_an_ordinary_week_sends_on_monday_from_the_send_time(db, bureau):
    assert _run(db, at(2026, 10, 12, 8, 59, 59)).created == 0
    assert _run(db, at(2026, 10, 12, 9, 0)).created == 2
    n = _mine(db, bureau["head"])
    assert n.period == "2026-W42" and "民警甲" in n.body
    assert _run(db, at(2026, 10, 13, 9, 0)).created == 0


def test_the_send_time_follows_the_settings(db, bureau):
    _settings(db, send_at="10:30")
    assert _run(db, at(2026, 10, 12, 10, 29)).created == 0
    assert _run(db, at(2026, 10, 12, 10, 30)).created == 2
    assert _digests(db)[0].on == at(2026, 10, 12, 10, 30)


def test_rerunning_creates_each_digest_once(db, bureau):
    first = _run(db, at(2026, 10, 12, 9, 0))
    again = _run(db, at(2026, 10, 12, 9, 15))
    late = _run(db, at(2026, 10, 12, 17, 0))
    assert (first.created, again.created, late.created) == (2, 0, 0)
    assert again.week == "2026-W42" and again.recipients == 2
    assert len(_digests(db)) == 2
    # A racing run that missed the first run's commit: the constraint refuses the row.
    n = _mine(db, bureau["head"])
    row = {
        "recipient_id": n.recipient_id,
        "step": "digest",
        "object_type": "",
        "object_ref": n.object_ref,
        "period": n.period,
        "on": n.on,
        "subject": "x",
        "body": "x",
        "created_at": n.on,
        "email_status": "queued",
    }
    assert sweep.insert_new(db.session, [row]) == []
    db.session.commit()
    assert len(_digests(db)) == 2


def test_escalations_coming_this_week_reach_the_secretary_and_the_supervising_leader(db, bureau):
    # 2026Q3 is escalated on Tuesday 20 October (10th working day after 30 September).
    _run(db, at(2026, 10, 19, 9, 0))
    by_recipient = {n.recipient_id: n for n in _digests(db, period="2026-W43")}
    assert set(by_recipient) == {bureau[k].id for k in ("head", "deputy", "sec")}
    for key in ("deputy", "sec"):
        body = by_recipient[bureau[key].id].body
        assert "督办" in body and "民警甲" in body, body
    # The head is not on the escalation step: the item reads as overdue for them.
    head_body = by_recipient[bureau["head"].id].body
    assert "逾期" in head_body and "督办" not in head_body
    # Only the secretary's digest carries the audit anchor.
    assert "审计日志锚点" in by_recipient[bureau["sec"].id].body
    assert "审计日志锚点" not in head_body
    assert "审计日志锚点" not in by_recipient[bureau["deputy"].id].body
    # Neither the idle leader nor the member (who is no digest recipient) gets one.
    assert bureau["idle"].id not in by_recipient and bureau["m1"].id not in by_recipient


def _close_the_only_item(db, bureau) -> None:
    # The head holds the 2026Q3 talk as a make-up on 9 October; 2026Q4's first step falls
    # in December: nothing is open for anyone in week 42.
    with clock.frozen(at(2026, 10, 9, 10, 0)):
        factories.final_talk(
            db.session,
            bureau["officer"],
            [bureau["head"]],
            at(2026, 10, 9, 10, 0),
            period="2026Q3",
        )
    db.session.commit()


def test_with_nothing_open_only_the_secretary_gets_a_digest_with_the_anchor(db, bureau):
    _close_the_only_item(db, bureau)
    anchor = audit.head(db.session)
    result = _run(db, at(2026, 10, 12, 9, 0))
    assert (result.week, result.created, result.recipients) == ("2026-W42", 1, 1)
    n = _mine(db, bureau["sec"])
    assert n.subject == "每周待办摘要（2026-W42）：0项待办事项"
    assert "截至2026-10-12没有待办事项" in n.body
    assert f"审计日志锚点：{anchor[0]}:{anchor[1]}（请留存" in n.body
    assert "audit verify --anchor" in n.body
    # The anchor is the chain's head when the digest was made, and verifies.
    assert audit.verify(db.session, [anchor]).ok


def test_no_digest_when_nothing_is_open_and_the_audit_log_is_empty(db, bureau):
    _close_the_only_item(db, bureau)
    db.session.execute(sa.text("DELETE FROM audit_entries"))
    db.session.commit()
    result = _run(db, at(2026, 10, 12, 9, 0))
    assert (result.week, result.created, result.recipients) == ("2026-W42", 0, 0)
    assert not _digests(db)


def test_the_anchor_goes_by_grants_not_to_every_audit_reader(db, bureau):
    # A leader who is also an admin reads the audit log but is no discipline secretary:
    # their digest lists their items, without the anchor; the secretary's has it.
    from supervision.auth.models import User, UserRole

    deputy = db.session.scalar(sa.select(User).where(User.username == "deputy"))
    db.session.add(UserRole(user_id=deputy.id, role="admin"))
    db.session.commit()
    _run(db, at(2026, 10, 19, 9, 0))
    assert "审计日志锚点" not in _mine(db, bureau["deputy"]).body
    assert "审计日志锚点" in _mine(db, bureau["sec"]).body


def test_settings_turn_the_digest_or_its_email_off(db, bureau):
    _settings(db, digest_enabled=False)
    assert _run(db, at(2026, 10, 12, 9, 0)).created == 0
    _settings(db, digest_enabled=True, email_enabled=False)
    result = _run(db, at(2026, 10, 12, 9, 0))
    n = _mine(db, bureau["head"])
    assert (result.created, result.queued, n.email_status, n.email_to) == (2, 0, "none", None)


def test_a_recipient_without_an_address_gets_the_digest_in_the_app_only(db, bureau):
    bureau["head"].email = None
    db.session.commit()
    _run(db, at(2026, 10, 12, 9, 0))
    n = _mine(db, bureau["head"])
    assert (n.email_status, n.email_to, n.message_id) == ("none", None, None)


def test_a_long_list_is_cut_with_a_count_of_the_rest(db, bureau, monkeypatch):
    s = db.session
    station = bureau["officer"].org_unit
    post = factories.post(s, station, "窗口岗", is_sensitive=True)
    for name in ("民警乙", "民警丙"):
        factories.assign(s, factories.person(s, station, name), post, date(2026, 7, 1))
    s.commit()
    monkeypatch.setattr(digest, "MAX_ITEMS", 2)
    _run(db, at(2026, 10, 12, 9, 0))
    n = _mine(db, bureau["head"])
    assert n.subject == "每周待办摘要（2026-W42）：3项待办事项"
    assert n.body.count("\n1. ") == 1 and "\n2. " in n.body and "\n3. " not in n.body
    assert "另有1项" in n.body


def test_the_cli_runs_the_digest_as_of_an_instant(app, db, bureau):
    runner = app.test_cli_runner()
    done = runner.invoke(args=["reminders", "digest", "--now", "2026-10-08T09:30"])
    assert done.exit_code == 0, done.output
    assert "2 created (2 e-mails queued)" in done.output
    db.session.remove()
    assert len(_digests(db)) == 2
    again = runner.invoke(args=["reminders", "digest", "--now", "2026-10-08T09:45"])
    assert "0 created" in again.output


def test_a_naive_instant_is_refused(db, bureau):
    with pytest.raises(ValueError):
        digest.run(db.session, datetime(2026, 10, 12, 9, 0))
