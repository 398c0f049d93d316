"""E-mail delivery of the outbox (SPEC §8) through a real SMTP server on loopback
(aiosmtpd): a message carrying one notification reads as it (Chinese subject, text and HTML
parts with the absolute link); claims between deliverers, backoff after failures, permanent
refusals. Messages carrying several notifications: test_reminder_mail_grouping.py."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from supervision.common import clock
from supervision.org.models import Person
from supervision.reminders import delivery, outbox
from supervision.reminders import sweep as sweeping
from supervision.reminders.models import MailMessage, Notification
from supervision.risks.models import RiskPoint
from tests import factories

NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
SUBJECT = "逾期提醒：甲的廉政提醒谈话（2025Q4）已于 2025-12-31 到期"


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """aiosmtpd handler keeping what it accepts; `refuse` maps an address to the reply
    given to its RCPT TO (e.g. "550 5.1.1 User unknown")."""

    def __init__(self):
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.refuse: dict[str, str] = {}
        #: Seconds each DATA takes (to make deliverers overlap).
        self.delay = 0.0
        #: Hang up after each accepted message (as servers drop idle connections).
        self.hang_up = False
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.hang_up:
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        """The accepted messages, parsed."""
        return [
            email.message_from_bytes(raw, policy=email.policy.default)
            for _f, _t, raw in self.envelopes
        ]


class SmtpServer:
    """A real SMTP server on a fixed free port, started and stopped at will."""

    def __init__(self, port: int):
        self.port = port
        self.box = Mailbox()
        self.controller: Controller | None = None

    def start(self):
        """Listen on the port."""
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        """Stop listening (connections are then refused)."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(autouse=True)
def _frozen():
    """The clock stands still at NOW (a run's own time then does not drift)."""
    with clock.frozen(NOW):
        yield


@pytest.fixture
def smtp(app, monkeypatch):
    """A running SMTP server the app is configured to use."""
    server = SmtpServer(free_port())
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def people(db):
    """Recipients: 甲 and 乙 with addresses, 丙 without."""
    s = db.session
    unit = factories.unit(s, "派出所", kind="station")
    a = factories.person(s, unit, "甲", email="jia@example.gov.cn")
    b = factories.person(s, unit, "乙", email="yi@example.gov.cn")
    c = factories.person(s, unit, "丙")
    s.commit()
    return {"a": a.id, "b": b.id, "c": c.id}


#: Keyword names of the old per-notification outbox, mapped onto the message's columns.
MESSAGE_FIELDS = {
    "email_attempts": "attempts",
    "email_next_at": "next_at",
    "email_claimed_until": "claimed_until",
    "email_sent_at": "sent_at",
    "email_error": "error",
}


def notify(db, recipient_id, *, email_to, ref="1", status=None, subject=SUBJECT, **extra):
    """A notification as the sweep makes it, with a message of its own when it has an
    e-mail (queued when there is an address)."""
    extra.setdefault("email_next_at", NOW if email_to else None)
    status = status or ("queued" if email_to else "none")
    n = Notification(
        recipient_id=recipient_id,
        step="overdue",
        object_type="obligation",
        object_ref=f"{recipient_id}:{ref}",
        period="2025Q4",
        person_id=recipient_id,
        type="integrity_reminder",
        due_on=date(2025, 12, 31),
        on=NOW,
        subject=subject,
        body="甲的廉政提醒谈话（2025Q4）已于 2025-12-31 到期，尚未记录。\n请尽快补谈并记录。",
        link="/talks/new?type=integrity_reminder&interviewee_id=1&period=2025Q4",
        created_at=NOW,
        email_status=status,
        email_to=email_to,
    )
    if status != "none":
        n.message = MailMessage(
            recipient_id=recipient_id,
            address=email_to or "",
            status=status,
            created_at=NOW,
            **{MESSAGE_FIELDS[k]: v for k, v in extra.items()},
        )
    db.session.add(n)
    db.session.commit()
    return n.id


class Stored:
    """A notification and its message as stored now, under the outbox's old names; the
    notification's e-mail status must be its message's."""

    def __init__(self, n: Notification):
        m = n.message
        self.email_status = n.email_status
        if m is not None:
            assert n.email_status == m.status, (n.email_status, m.status)
        for old, new in MESSAGE_FIELDS.items():
            setattr(self, old, getattr(m, new) if m is not None else None)
        self.message_id = n.message_id


def state(db, notification_id) -> Stored:
    """The notification (and its message) as stored now."""
    db.session.expire_all()
    return Stored(db.session.get(Notification, notification_id))


def mail_id(db, notification_id) -> int:
    """The id of the message carrying a notification."""
    return state(db, notification_id).message_id


def test_a_queued_notification_is_sent_once_with_chinese_subject_both_parts_and_link(
    app, db, smtp, people, monkeypatch
):
    monkeypatch.setitem(app.config, "SUPERVISION_BASE_URL", "https://jw.example.gov.cn/")
    nid = notify(db, people["a"], email_to="jia@example.gov.cn")

    result = delivery.deliver(db.session, NOW)

    assert (result.sent, result.retried, result.failed) == (1, 0, 0)
    [(mail_from, rcpt, _raw)] = smtp.box.envelopes
    assert rcpt == ["jia@example.gov.cn"] and mail_from == "supervision@localhost"
    [msg] = smtp.box.messages
    assert msg["Subject"] == SUBJECT
    assert msg["To"] == "jia@example.gov.cn"
    assert msg["From"].addresses[0].display_name == "廉政监督"
    assert msg["Auto-Submitted"] == "auto-generated"
    link = (
        "https://jw.example.gov.cn/talks/new?type=integrity_reminder&interviewee_id=1&period=2025Q4"
    )
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "尚未记录" in text and "请尽快补谈并记录" in text and link in text
    assert text.startswith("甲同志：")
    assert "<p" in html and "请尽快补谈并记录" in html
    assert f'href="{link.replace("&", "&amp;")}"' in html
    stored = state(db, nid)
    assert stored.email_status == "sent" and stored.email_sent_at == NOW
    assert stored.email_claimed_until is None and stored.email_attempts == 0
    assert msg["Message-ID"] == delivery.message_id(mail_id(db, nid), NOW, "localhost")
    assert msg["X-Supervision-Notifications"] == str(nid)


def test_the_link_defaults_to_the_local_address(app, db, smtp, people):
    notify(db, people["a"], email_to="jia@example.gov.cn")
    delivery.deliver(db.session, NOW)
    [msg] = smtp.box.messages
    assert (
        "http://127.0.0.1:5000/talks/new?type=integrity_reminder"
        in msg.get_body(("plain",)).get_content()
    )


def test_delivering_twice_sends_one_message(db, smtp, people):
    notify(db, people["a"], email_to="jia@example.gov.cn")
    notify(db, people["b"], email_to="yi@example.gov.cn")
    assert delivery.deliver(db.session, NOW).sent == 2
    assert delivery.deliver(db.session, NOW + timedelta(hours=1)).sent == 0
    assert len(smtp.box.envelopes) == 2
    assert smtp.box.connections == 1  # one connection carries a run's messages


def test_each_message_is_sent_on_its_own_and_limit_caps_a_run(db, smtp, people):
    ids = [notify(db, people["a"], email_to="jia@example.gov.cn", ref=str(i)) for i in range(3)]
    first = delivery.deliver(db.session, NOW, limit=2)
    assert first.sent == 2 and len(smtp.box.envelopes) == 2
    assert [state(db, i).email_status for i in ids].count("queued") == 1
    assert delivery.deliver(db.session, NOW, limit=2).sent == 1
    ids_sent = {m["X-Supervision-Notifications"] for m in smtp.box.messages}
    assert ids_sent == {str(i) for i in ids}
    assert len({m["Message-ID"] for m in smtp.box.messages}) == 3


def test_a_dropped_connection_is_reopened_between_messages(db, smtp, people):
    smtp.box.hang_up = True
    ids = [notify(db, people["a"], email_to="jia@example.gov.cn", ref=str(i)) for i in range(3)]
    result = delivery.deliver(db.session, NOW)
    assert (result.sent, result.retried, result.stopped) == (3, 0, "")
    assert len(smtp.box.envelopes) == 3 and smtp.box.connections == 3
    assert {state(db, i).email_status for i in ids} == {"sent"}


def test_recipients_without_an_address_are_never_sent(db, smtp, people):
    none = notify(db, people["c"], email_to=None)
    # A queued row without an address (e.g. written by hand) fails visibly, never silently.
    broken = notify(db, people["c"], email_to=None, ref="2", status="queued", email_next_at=NOW)
    result = delivery.deliver(db.session, NOW + timedelta(days=1))
    assert smtp.box.envelopes == []
    assert state(db, none).email_status == "none"
    assert (result.sent, result.failed) == (0, 1)
    stored = state(db, broken)
    assert stored.email_status == "failed" and stored.email_error


def test_sweep_then_deliver_end_to_end(app, db, smtp, people):
    """The real sweep queues what the real deliverer sends; no address, no mail."""
    s = db.session
    unit_id = s.get(Person, people["a"]).org_unit_id
    for owner in ("a", "c"):
        s.add(
            RiskPoint(
                org_unit_id=unit_id,
                title=f"案件审核风险{owner}",
                category="process",
                likelihood=3,
                impact=3,
                status="approved",
                department_owner_id=people[owner],
                review_due_on=date(2025, 12, 31),
            )
        )
    s.commit()
    swept = sweeping.sweep(s, NOW)
    s.commit()
    assert swept.created == 2 and swept.queued == 1
    assert delivery.deliver(s, NOW).sent == 1
    [msg] = smtp.box.messages
    assert msg["To"] == "jia@example.gov.cn"
    assert "案件审核风险a" in msg["Subject"]
    assert "/risks/points/" in msg.get_body(("plain",)).get_content()
    statuses = dict(
        s.execute(sa.select(Notification.recipient_id, Notification.email_status)).all()
    )
    assert statuses == {people["a"]: "sent", people["c"]: "none"}


def test_server_down_then_up_delivers_exactly_once_after_the_backoff(app, db, people, monkeypatch):
    server = SmtpServer(free_port())
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    nid = notify(db, people["a"], email_to="jia@example.gov.cn")
    other = notify(db, people["b"], email_to="yi@example.gov.cn")

    down = delivery.deliver(db.session, NOW)

    # The run stops at the first connection failure: one attempt is spent, the rest waits.
    assert (down.sent, down.retried, down.failed) == (0, 1, 0) and down.stopped
    first = state(db, nid)
    assert first.email_status == "queued" and first.email_attempts == 1
    assert "ConnectionRefused" in first.email_error
    assert first.email_next_at == NOW + timedelta(minutes=1)
    assert state(db, other).email_status == "queued" and state(db, other).email_attempts == 0

    server.start()
    try:
        with clock.frozen(NOW + timedelta(seconds=30)):
            early = delivery.deliver(db.session)
        assert early.sent == 1  # the one that was not tried yet
        assert state(db, nid).email_status == "queued"
        with clock.frozen(NOW + timedelta(minutes=1)):
            late = delivery.deliver(db.session)
            again = delivery.deliver(db.session)
    finally:
        server.stop()
    assert late.sent == 1 and again.sent == 0
    assert sorted(r for _f, [r], _raw in server.box.envelopes) == [
        "jia@example.gov.cn",
        "yi@example.gov.cn",
    ]
    stored = state(db, nid)
    assert stored.email_status == "sent" and stored.email_attempts == 1
    assert stored.email_sent_at == NOW + timedelta(minutes=1) and stored.email_error == ""


def test_backoff_grows_and_the_last_failure_is_final(app, db, people, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    nid = notify(db, people["a"], email_to="jia@example.gov.cn")
    at, waits = NOW, []
    for _ in delivery.BACKOFF_MINUTES:
        assert delivery.deliver(db.session, at).retried == 1
        stored = state(db, nid)
        waits.append(int((stored.email_next_at - at).total_seconds() // 60))
        assert (
            delivery.deliver(db.session, stored.email_next_at - timedelta(seconds=1)).retried == 0
        )
        at = stored.email_next_at
    assert waits == list(delivery.BACKOFF_MINUTES)
    final = delivery.deliver(db.session, at)
    assert (final.retried, final.failed) == (0, 1)
    stored = state(db, nid)
    assert stored.email_status == "failed" and stored.email_next_at is None
    assert stored.email_attempts == len(delivery.BACKOFF_MINUTES) + 1
    assert delivery.deliver(db.session, at + timedelta(days=1)).failed == 0


def test_a_claimed_notification_waits_for_its_claim_to_expire(db, smtp, people):
    """Another deliverer holds it (status sending, claim until NOW+5 min)."""
    nid = notify(db, people["a"], email_to="jia@example.gov.cn")
    claim = NOW + timedelta(minutes=5)
    assert delivery._claim(db.session, mail_id(db, nid), NOW, claim)
    assert not delivery._claim(db.session, mail_id(db, nid), NOW, claim)  # compare-and-set

    assert delivery.deliver(db.session, NOW + timedelta(minutes=4)).sent == 0
    assert smtp.box.envelopes == [] and state(db, nid).email_status == "sending"

    # The first deliverer died: once its claim has expired, the next run takes over.
    taken = delivery.deliver(db.session, NOW + timedelta(minutes=6))
    assert taken.sent == 1 and len(smtp.box.envelopes) == 1
    assert state(db, nid).email_status == "sent"


def test_a_resend_after_a_lost_commit_carries_the_same_message_id(db, smtp, people):
    nid = notify(db, people["a"], email_to="jia@example.gov.cn")
    delivery.deliver(db.session, NOW)
    # As if the deliverer crashed after the server accepted but before "sent" was committed.
    mid = mail_id(db, nid)
    db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id == mid)
        .values(status="sending", claimed_until=NOW + timedelta(minutes=5), sent_at=None)
    )
    outbox.set_status(db.session, mid, "sending")
    db.session.commit()
    delivery.deliver(db.session, NOW + timedelta(minutes=10))
    first, second = smtp.box.messages
    assert first["Message-ID"] == second["Message-ID"]


def test_a_permanent_refusal_fails_at_once_and_the_run_goes_on(db, smtp, people):
    smtp.box.refuse["jia@example.gov.cn"] = "550 5.1.1 <jia@example.gov.cn>: User unknown"
    bad = notify(db, people["a"], email_to="jia@example.gov.cn")
    good = notify(db, people["b"], email_to="yi@example.gov.cn")
    result = delivery.deliver(db.session, NOW)
    assert (result.sent, result.retried, result.failed) == (1, 0, 1)
    stored = state(db, bad)
    assert stored.email_status == "failed" and stored.email_attempts == 1
    assert "550" in stored.email_error and "User unknown" in stored.email_error
    assert state(db, good).email_status == "sent"
    assert [r for _f, [r], _raw in smtp.box.envelopes] == ["yi@example.gov.cn"]


def test_a_temporary_refusal_is_retried_later(db, smtp, people):
    smtp.box.refuse["jia@example.gov.cn"] = "450 4.2.1 Mailbox busy, try later"
    nid = notify(db, people["a"], email_to="jia@example.gov.cn")
    other = notify(db, people["b"], email_to="yi@example.gov.cn")
    result = delivery.deliver(db.session, NOW)
    assert (result.sent, result.retried, result.failed) == (1, 1, 0) and not result.stopped
    stored = state(db, nid)
    assert stored.email_status == "queued" and "450" in stored.email_error
    assert stored.email_next_at == NOW + timedelta(minutes=1)
    assert state(db, other).email_status == "sent"
    del smtp.box.refuse["jia@example.gov.cn"]
    assert delivery.deliver(db.session, NOW + timedelta(minutes=1)).sent == 1
    assert state(db, nid).email_status == "sent"


def test_retry_requeues_a_failed_delivery_keeping_its_attempts(db, people):
    nid = notify(
        db,
        people["a"],
        email_to="jia@example.gov.cn",
        status="failed",
        email_attempts=6,
        email_error="550 no",
    )
    outbox.retry(db.session, mail_id(db, nid), NOW)
    db.session.commit()
    stored = state(db, nid)
    assert (stored.email_status, stored.email_attempts, stored.email_next_at) == ("queued", 6, NOW)
    with pytest.raises(outbox.Conflict):
        outbox.retry(db.session, mail_id(db, nid), NOW)
    with pytest.raises(outbox.NotFound):
        outbox.retry(db.session, mail_id(db, nid) + 1000, NOW)


def test_deliver_needs_an_aware_instant(db):
    with pytest.raises(ValueError):
        delivery.deliver(db.session, datetime(2026, 1, 5, 9))


def test_a_silent_server_times_out_and_is_retried(app, db, people, monkeypatch):
    """A server that accepts the connection but never greets: the timeout ends the wait."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", silent.getsockname()[1])
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 0.5)
        nid = notify(db, people["a"], email_to="jia@example.gov.cn")
        result = delivery.deliver(db.session, NOW)
    assert (result.retried, result.sent) == (1, 0) and result.stopped
    stored = state(db, nid)
    assert stored.email_status == "queued" and "timed out" in stored.email_error


def test_two_deliverers_at_once_send_each_notification_once(app, db, smtp, people):
    """Two deliverers (threads with their own sessions) race over the same outbox."""
    ids = [
        notify(db, people["a" if i % 2 else "b"], email_to="jia@example.gov.cn", ref=str(i))
        for i in range(24)
    ]
    smtp.box.delay = 0.02
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                results.append(delivery.deliver(delivery_session(), NOW))
        except Exception as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)

    def delivery_session():
        from supervision.extensions import db as handle

        return handle.session

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(r.sent for r in results) == 24
    assert all(r.sent for r in results), "the deliverers did not overlap"
    sent = [m["X-Supervision-Notifications"] for m in smtp.box.messages]
    assert sorted(sent) == sorted(str(i) for i in ids)
    assert {state(db, i).email_status for i in ids} == {"sent"}
