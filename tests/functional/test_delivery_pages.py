"""The admin page of e-mail deliveries (/admin/deliveries, SPEC §8 "failures are visible to
admins"): who may see it, what it lists (one row per e-mail message, with the
notifications it carries), the retry button and "retry all failed" with its confirmation
step, with a real SMTP server refusing a recipient."""

from __future__ import annotations

import json
import re
import socket
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from supervision.audit.models import AuditEntry
from supervision.common import clock
from supervision.reminders import delivery
from supervision.reminders.models import MailMessage, Notification
from tests import factories
from tests.conftest import csrf_from

URL = "/admin/deliveries/"
NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


class Mailbox:
    """aiosmtpd handler: keeps accepted recipients, refuses those in `refuse` for good."""

    def __init__(self):
        self.accepted: list[str] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.accepted.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on a free loopback port, used by the app."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def people(db):
    """Recipients 甲 (address refused by the server in some tests) and 乙."""
    s = db.session
    unit = factories.unit(s, "派出所", kind="station")
    a = factories.person(s, unit, "甲", email="jia@example.gov.cn")
    b = factories.person(s, unit, "乙", email="yi@example.gov.cn")
    s.commit()
    return {"a": a.id, "b": b.id}


@pytest.fixture
def admin(make_user, login):
    """The logged-in admin client."""
    make_user("root", ["admin"])
    return login("root")


def notify(db, recipient_id, ref, email_to, status="queued", items=1, **extra):
    """An e-mail message in the given state carrying `items` notifications; its id."""
    message = MailMessage(
        recipient_id=recipient_id,
        address=email_to or "",
        status=status,
        count=items,
        created_at=NOW,
        next_at=NOW if status == "queued" else None,
        **extra,
    )
    for i in range(items):
        suffix = f"-{i}" if i else ""
        message.notifications.append(
            Notification(
                recipient_id=recipient_id,
                step="overdue",
                object_type="obligation",
                object_ref=f"{recipient_id}:{ref}{suffix}",
                period="2025Q4",
                due_on=date(2025, 12, 31),
                on=NOW,
                subject=f"逾期提醒{ref}{suffix}：廉政提醒谈话已到期",
                body="请尽快补谈。",
                link=f"/talks/new?ref={ref}{suffix}",
                created_at=NOW,
                email_status=status,
                email_to=email_to,
            )
        )
    db.session.add(message)
    db.session.commit()
    return message.id


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _rows(html: str) -> dict[int, str]:
    return {
        int(i): row
        for i, row in re.findall(r'<tr data-message="(\d+)"[^>]*>(.*?)</tr>', html, re.S)
    }


def _state(db, mid) -> MailMessage:
    """The message as stored now; its notifications' e-mail status must be its own."""
    db.session.expire_all()
    message = db.session.get(MailMessage, mid)
    assert {n.email_status for n in message.notifications} == {message.status}
    return message


def test_anonymous_is_sent_to_login(client):
    resp = client.get(URL)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize(
    "role", ["discipline_secretary", "discipline_member", "hr", "leader", "staff"]
)
def test_other_roles_get_403(make_user, login, client, role):
    make_user("someone", [role])
    login("someone")
    assert client.get(URL).status_code == 403
    assert client.get(URL + "retry-failed").status_code == 403
    page = client.get("/")
    token = csrf_from(_text(page))
    assert client.post(URL + "1/retry", data={"csrf_token": token}).status_code == 403
    assert client.post(URL + "retry-failed", data={"csrf_token": token}).status_code == 403


def test_a_refused_recipient_fails_at_once_and_shows_with_its_error(db, smtp, people, admin):
    smtp.refuse.add("jia@example.gov.cn")
    bad = notify(db, people["a"], "1", "jia@example.gov.cn")
    good = notify(db, people["b"], "2", "yi@example.gov.cn")
    result = delivery.deliver(db.session, NOW)
    assert (result.sent, result.failed) == (1, 1) and smtp.accepted == ["yi@example.gov.cn"]

    html = _text(admin.get(URL))
    rows = _rows(html)
    assert set(rows) == {bad}  # the sent one is not listed by default
    row = rows[bad]
    assert "甲" in row and "jia@example.gov.cn" in row and "逾期提醒1" in row
    assert "550" in row and "User unknown" in row
    assert f'action="/admin/deliveries/{bad}/retry"' in row
    assert 'href="/admin/deliveries/retry-failed"' in html
    assert set(_rows(_text(admin.get(URL + "?status=sent")))) == {good}


def test_default_list_is_failed_and_waiting_and_the_filter_narrows_it(db, people, admin):
    failed = notify(
        db,
        people["a"],
        "1",
        "jia@example.gov.cn",
        status="failed",
        attempts=6,
        error="ConnectionRefusedError: refused",
    )
    queued = notify(db, people["a"], "2", "jia@example.gov.cn", attempts=2, error="450 busy")
    sending = notify(
        db,
        people["b"],
        "3",
        "yi@example.gov.cn",
        status="sending",
        claimed_until=NOW - timedelta(minutes=1),
    )
    notify(db, people["b"], "4", "yi@example.gov.cn", status="sent", sent_at=NOW)
    db.session.add(
        Notification(
            recipient_id=people["b"],
            step="overdue",
            object_type="obligation",
            object_ref="none",
            period="2025Q4",
            on=NOW,
            subject="无邮件",
            body="",
            email_status="none",
        )
    )
    db.session.commit()

    html = _text(admin.get(URL))
    rows = _rows(html)
    assert set(rows) == {failed, queued, sending}
    assert "450 busy" in rows[queued] and "09:00" in rows[queued]  # next attempt, local time
    assert "retry" not in rows[queued] and "retry" in rows[failed]
    assert "下一次投递时接续" in rows[sending]  # an expired claim is shown as interrupted
    assert re.search(r'data-status="failed">\s*发送失败 <span[^>]*>1<', html)
    assert set(_rows(_text(admin.get(URL + "?status=failed")))) == {failed}
    assert set(_rows(_text(admin.get(URL + "?status=queued")))) == {queued}
    assert set(_rows(_text(admin.get(URL + "?status=bogus")))) == {failed, queued, sending}
    assert set(_rows(_text(admin.get(URL + "?q=yi@example")))) == {sending}
    assert set(_rows(_text(admin.get(URL + "?q=甲")))) == {failed, queued}


def test_empty_states(db, people, admin):
    assert "没有失败或待发送的邮件" in _text(admin.get(URL))
    assert "尚未发送任何邮件" in _text(admin.get(URL + "?status=sent"))
    assert "没有符合条件的投递记录" in _text(admin.get(URL + "?q=nobody"))
    assert "retry-failed" not in _text(admin.get(URL))


def test_the_retry_button_requeues_and_the_next_run_sends_it(db, smtp, people, admin):
    smtp.refuse.add("jia@example.gov.cn")
    nid = notify(db, people["a"], "1", "jia@example.gov.cn")
    delivery.deliver(db.session, NOW)
    assert _state(db, nid).status == "failed"
    smtp.refuse.clear()  # the mailbox was created meanwhile

    page = admin.get(URL + "?status=failed")
    resp = admin.post(
        f"{URL}{nid}/retry", data={"csrf_token": csrf_from(_text(page)), "status": "failed"}
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        "/admin/deliveries/?status=failed"
    )
    stored = _state(db, nid)
    assert (stored.status, stored.attempts, stored.next_at) == ("queued", 1, NOW)
    assert "已重新排队" in _text(admin.get(URL))
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "retry")).one()
    assert (entry.object_type, entry.object_id, entry.actor_name) == (
        "mail_message",
        str(nid),
        "root",
    )
    assert json.loads(entry.changes) == {"status": ["failed", "queued"]}

    assert delivery.deliver(db.session, NOW).sent == 1
    assert smtp.accepted == ["jia@example.gov.cn"]
    assert _state(db, nid).status == "sent"


def test_retry_needs_the_csrf_token_and_a_failed_delivery(db, people, admin):
    failed = notify(db, people["a"], "1", "jia@example.gov.cn", status="failed")
    sent = notify(db, people["a"], "2", "jia@example.gov.cn", status="sent")
    assert admin.post(f"{URL}{failed}/retry").status_code == 400
    assert _state(db, failed).status == "failed"

    token = csrf_from(_text(admin.get(URL)))
    resp = admin.post(f"{URL}{sent}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert resp.status_code == 200 and "只有发送失败的邮件才能重发" in _text(resp)
    assert _state(db, sent).status == "sent"
    assert admin.post(f"{URL}999999/retry", data={"csrf_token": token}).status_code == 404
    assert not db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "retry")).all()


def test_retry_all_failed_asks_for_confirmation_first(db, people, admin):
    ids = [
        notify(db, people["a"], str(i), "jia@example.gov.cn", status="failed", attempts=6)
        for i in range(3)
    ]
    queued = notify(db, people["b"], "9", "yi@example.gov.cn")

    confirm = admin.get(URL + "retry-failed")
    html = _text(confirm)
    assert confirm.status_code == 200 and "将 3 封发送失败的邮件重新排队" in html
    assert {_state(db, i).status for i in ids} == {"failed"}  # the GET changed nothing
    assert admin.post(URL + "retry-failed").status_code == 400  # no token: refused

    resp = admin.post(URL + "retry-failed", data={"csrf_token": csrf_from(html)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/deliveries/")
    assert {(_state(db, i).status, _state(db, i).attempts) for i in ids} == {("queued", 6)}
    assert _state(db, queued).attempts == 0
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "retry")).one()
    assert json.loads(entry.changes)["count"] == [0, 3]
    assert "没有需要重发的失败邮件" in _text(admin.get(URL + "retry-failed"))


def test_the_list_is_paginated_with_a_bounded_number_of_queries(
    db, people, admin, count_statements
):
    def statements(n: int) -> int:
        for i in range(n):
            notify(
                db,
                people["a" if i % 2 else "b"],
                f"p{n}-{i}",
                "jia@example.gov.cn",
                status="failed",
                error="550 no",
            )
        with count_statements() as statements:
            assert admin.get(URL).status_code == 200
        return len(statements)

    few = statements(2)
    many = statements(70)
    assert many == few and many <= 10
    assert len(_rows(_text(admin.get(URL)))) == 50
    second = _text(admin.get(URL + "?page=2"))
    assert len(_rows(second)) == 22 and "72" in second


def test_a_grouped_message_is_one_row_listing_its_notifications(db, smtp, people, admin):
    smtp.refuse.add("jia@example.gov.cn")
    mid = notify(db, people["a"], "g", "jia@example.gov.cn", items=5)
    assert delivery.deliver(db.session, NOW).failed == 1  # the whole message, once
    html = _text(admin.get(URL))
    rows = _rows(html)
    assert set(rows) == {mid}
    row = rows[mid]
    assert "一封邮件含 5 条提醒" in row and "另有 2 条" in row
    assert "逾期提醒g：" in row and "逾期提醒g-2：" in row and "逾期提醒g-3：" not in row
    assert f'action="/admin/deliveries/{mid}/retry"' in row
    assert set(_rows(_text(admin.get(URL + "?q=逾期提醒g-4")))) == {mid}  # any subject

    smtp.refuse.clear()
    token = csrf_from(html)
    assert admin.post(f"{URL}{mid}/retry", data={"csrf_token": token}).status_code == 302
    assert _state(db, mid).status == "queued"  # and its five notifications with it
    assert delivery.deliver(db.session, NOW).sent == 1
    assert smtp.accepted == ["jia@example.gov.cn"]
    assert _state(db, mid).status == "sent"


def test_subjects_link_only_to_pages_the_admin_may_open(db, people, admin):
    """Issue 13 item 8: a talk form (talks.write) and a risk point (risks.edit) are closed
    to admins, so their subjects are plain text; the eligibility page is open to them."""
    mid = notify(db, people["a"], "t", "jia@example.gov.cn", status="failed")
    message = db.session.get(MailMessage, mid)
    for object_type, ref, link in (
        ("rotation", f"{people['a']}:1", f"/rotation/people/{people['a']}"),
        ("risk_point", "7", "/risks/points/7"),
    ):
        message.notifications.append(
            Notification(
                recipient_id=people["a"],
                step="review_overdue" if object_type == "risk_point" else "rotation_due",
                object_type=object_type,
                object_ref=ref,
                period="2025-12-31",
                on=NOW,
                subject=f"主题-{object_type}",
                body="正文",
                link=link,
                created_at=NOW,
                email_status="failed",
                email_to="jia@example.gov.cn",
            )
        )
    db.session.commit()
    row = _rows(_text(admin.get(URL)))[mid]
    assert "逾期提醒t：" in row and 'href="/talks/new' not in row
    assert "主题-risk_point" in row and 'href="/risks/points/7"' not in row
    assert f'<a href="/rotation/people/{people["a"]}">主题-rotation</a>' in row
    assert admin.get("/risks/points/7").status_code == 403  # what the rule protects
    assert admin.get("/talks/new").status_code == 403
