"""One e-mail per recipient and sweep, and no mail about the backlog (SPEC §8), from the
real sweep to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from supervision.calendar import services as calendar
from supervision.common import clock
from supervision.org.models import Person
from supervision.reminders import context, delivery
from supervision.reminders import sweep as sweeping
from supervision.reminders.models import MailMessage, Notification
from supervision.reminders.settings import update_reminder_settings
from supervision.risks.models import RiskPoint
from tests import factories
from tests.integration.test_reminder_delivery import SmtpServer, free_port

NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
BASE = "https://jw.example.gov.cn"


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def server(app, monkeypatch):
    """An SMTP server on a free loopback port the app is configured for (not started)."""
    srv = SmtpServer(free_port())
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", srv.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
    monkeypatch.setitem(app.config, "SUPERVISION_BASE_URL", BASE + "/")
    yield srv
    srv.stop()


@pytest.fixture
def smtp(server):
    server.start()
    return server


@pytest.fixture
def owners(db):
    """甲 owns three risk points whose review was due on 2025-12-31 (their `review_overdue`
    falls on Sun 2026-01-04, a working day, the day before the sweep) and one due on
    2025-10-01 (its step lies three months back: the backlog); 乙 owns one due 2025-12-31."""
    s = db.session
    calendar.sync(s, [2025, 2026])
    unit = factories.unit(s, "法制大队")
    jia = factories.person(s, unit, "甲", email="jia@example.gov.cn")
    yi = factories.person(s, unit, "乙", email="yi@example.gov.cn")
    s.flush()
    for title, owner, due in (
        ("案件审核风险", jia, date(2025, 12, 31)),
        ("涉案财物风险", jia, date(2025, 12, 31)),
        ("执法监督风险", jia, date(2025, 12, 31)),
        ("旧账风险", jia, date(2025, 10, 1)),
        ("户籍办理风险", yi, date(2025, 12, 31)),
    ):
        point(s, unit.id, owner.id, title, due)
    s.commit()
    return {"jia": jia.id, "yi": yi.id, "unit": unit.id}


def point(s, unit_id, owner_id, title, due) -> None:
    """An approved risk point whose review is due on `due`."""
    s.add(
        RiskPoint(
            org_unit_id=unit_id,
            title=title,
            category="process",
            likelihood=3,
            impact=3,
            status="approved",
            department_owner_id=owner_id,
            review_due_on=due,
        )
    )


def notifications(db, person_id) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.recipient_id == person_id)
            .order_by(Notification.id)
        )
    )


def by_recipient(box) -> dict[str, list]:
    out: dict[str, list] = {}
    for msg in box.messages:
        out.setdefault(msg["To"], []).append(msg)
    return out


def test_one_sweep_gives_each_recipient_one_message_listing_all_and_none_for_the_backlog(
    db, smtp, owners
):
    swept = sweeping.sweep(db.session, NOW)
    db.session.commit()
    assert (swept.created, swept.queued, swept.backlog, swept.messages) == (5, 4, 1, 2)

    result = delivery.deliver(db.session, NOW)
    assert (result.sent, result.retried, result.failed) == (2, 0, 0)
    mails = by_recipient(smtp.box)
    assert sorted(mails) == ["jia@example.gov.cn", "yi@example.gov.cn"]
    [jia_mail] = mails["jia@example.gov.cn"]
    [yi_mail] = mails["yi@example.gov.cn"]

    jia = notifications(db, owners["jia"])
    mailed = [n for n in jia if n.email_status != "none"]
    [backlog] = [n for n in jia if n.email_status == "none"]
    assert len(mailed) == 3 and {n.email_status for n in mailed} == {"sent"}
    assert len({n.message_id for n in mailed}) == 1
    assert jia_mail["Subject"] == "您有 3 条新提醒"
    assert jia_mail["X-Supervision-Notifications"] == ",".join(str(n.id) for n in mailed)
    text = jia_mail.get_body(("plain",)).get_content()
    html = jia_mail.get_body(("html",)).get_content()
    for n in mailed:
        assert n.subject in text and f"{BASE}{n.link}\n" in text
        assert f'href="{BASE}{n.link}"' in html and n.subject in html
    assert "旧账风险" not in text and "旧账风险" in backlog.subject

    # The backlog step is in the inbox, without e-mail.
    assert (backlog.email_status, backlog.email_to, backlog.message_id) == ("none", None, None)
    inbox = db.session.scalars(context.inbox_select(owners["jia"])).all()
    assert backlog.id in {n.id for n in inbox} and len(inbox) == 4

    # A message carrying one notification reads as that notification.
    [yi_note] = notifications(db, owners["yi"])
    assert yi_mail["Subject"] == yi_note.subject and "户籍办理风险" in yi_mail["Subject"]
    assert f"{BASE}{yi_note.link}" in yi_mail.get_body(("plain",)).get_content()

    # Nothing is sent twice.
    assert delivery.deliver(db.session, NOW + timedelta(hours=1)).sent == 0
    assert len(smtp.box.envelopes) == 2


def test_a_second_sweep_mails_only_what_is_new(db, smtp, owners):
    sweeping.sweep(db.session, NOW)
    db.session.commit()
    delivery.deliver(db.session, NOW)
    first = {n.id for n in notifications(db, owners["jia"])}

    # A new review falls due; the next day's sweep finds it and only it.
    point(db.session, owners["unit"], owners["jia"], "证据保管风险", date(2026, 1, 5))
    db.session.commit()
    later = NOW + timedelta(days=1)
    again = sweeping.sweep(db.session, later)
    db.session.commit()
    assert (again.created, again.queued, again.messages) == (1, 1, 1)
    assert delivery.deliver(db.session, later).sent == 1

    jia_mails = by_recipient(smtp.box)["jia@example.gov.cn"]
    assert len(jia_mails) == 2
    [new] = [n for n in notifications(db, owners["jia"]) if n.id not in first]
    assert jia_mails[1]["X-Supervision-Notifications"] == str(new.id)
    assert "证据保管风险" in jia_mails[1]["Subject"]
    assert sweeping.sweep(db.session, later).created == 0  # rerun: nothing new, no mail


def test_a_failed_grouped_message_is_retried_and_sent_once(db, server, owners):
    sweeping.sweep(db.session, NOW)
    db.session.commit()

    down = delivery.deliver(db.session, NOW)  # the server is not listening yet
    assert (down.sent, down.retried) == (0, 1) and down.stopped
    [first] = db.session.scalars(sa.select(MailMessage).where(MailMessage.attempts == 1)).all()
    assert first.status == "queued" and "ConnectionRefused" in first.error
    assert first.next_at == NOW + timedelta(minutes=delivery.BACKOFF_MINUTES[0])
    assert {n.email_status for n in first.notifications} == {"queued"}

    server.start()
    at = NOW + timedelta(minutes=delivery.BACKOFF_MINUTES[0])
    assert delivery.deliver(db.session, at).sent == 2
    assert delivery.deliver(db.session, at + timedelta(hours=1)).sent == 0
    mails = by_recipient(server.box)
    assert {k: len(v) for k, v in mails.items()} == {
        "jia@example.gov.cn": 1,
        "yi@example.gov.cn": 1,
    }
    [jia_mail] = mails["jia@example.gov.cn"]
    assert jia_mail["Subject"] == "您有 3 条新提醒"
    statuses = [n.email_status for n in notifications(db, owners["jia"])]
    assert sorted(statuses) == ["none", "sent", "sent", "sent"]


def test_the_backlog_window_is_a_setting(db, smtp, owners):
    update_reminder_settings(db.session, {"mail_backlog_days": 120})
    db.session.commit()
    swept = sweeping.sweep(db.session, NOW)
    db.session.commit()
    assert (swept.created, swept.queued, swept.backlog, swept.messages) == (5, 5, 0, 2)
    delivery.deliver(db.session, NOW)
    [jia_mail] = by_recipient(smtp.box)["jia@example.gov.cn"]
    assert jia_mail["Subject"] == "您有 4 条新提醒"
    assert "旧账风险" in jia_mail.get_body(("plain",)).get_content()


def test_no_address_or_mail_switched_off_queues_no_message(db, smtp, owners):
    db.session.get(Person, owners["yi"]).email = None
    db.session.commit()
    swept = sweeping.sweep(db.session, NOW)
    db.session.commit()
    assert (swept.queued, swept.messages) == (3, 1)
    [yi_note] = notifications(db, owners["yi"])
    assert (yi_note.email_status, yi_note.message_id) == ("none", None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MailMessage)) == 1
