"""A department head in a real browser: the reminder sweep has notified them of the talk they
owe; they see the unread badge, open the inbox, open the reminder (which takes them to the
talk form) and the badge count drops; then they mark the rest read."""

from datetime import UTC, date, datetime

import sqlalchemy as sa

from supervision.calendar import services as calendar
from supervision.reminders.models import Notification
from supervision.reminders.sweep import sweep
from tests import factories
from tests.e2e.conftest import log_in


def test_a_leader_reads_a_reminder_from_the_inbox(page, live_server, make_user, db):
    s = db.session
    calendar.sync(s, [2025])
    bureau = factories.unit(s, "东湖分局", kind="branch", code="DH")
    station = factories.unit(s, "城关派出所", kind="station", parent=bureau, code="CG")
    head = factories.person(s, station, "李所长", staff_no="HA01", leadership="department_head")
    officer = factories.person(s, station, "张民警", staff_no="PA02")
    post = factories.post(s, station, "案件审核岗", code="CG-CASE", is_sensitive=True)
    factories.assign(s, officer, post, start=date(2025, 7, 1))
    s.flush()
    station.head_person_id = head.id
    s.commit()
    make_user("head", ["leader"], person=head)
    # Wed 2025-09-24 09:30 local: the `upcoming` step of the Q3 integrity reminder is due.
    result = sweep(s, datetime(2025, 9, 24, 1, 30, tzinfo=UTC))
    s.add(
        Notification(
            recipient_id=head.id,
            step="review_upcoming",
            object_type="risk_point",
            object_ref="999",
            period="2025-10-09",
            subject="风险点复核提醒",
            body="请按时复核。",
            link="/notifications/feed",
            on=datetime(2025, 9, 24, 1, tzinfo=UTC),
            created_at=datetime(2025, 9, 23, 1, tzinfo=UTC),
        )
    )
    s.commit()
    assert result.created == 1
    reminder = s.scalars(sa.select(Notification).where(Notification.step == "upcoming")).one()
    page.on("dialog", lambda d: d.accept())

    log_in(page, live_server, "head", factories.PASSWORD)
    badge = page.locator("#unread-badge")
    assert badge.get_attribute("data-count") == "2"
    page.click("#nav-inbox")
    page.wait_for_url(f"{live_server}/notifications/")
    items = page.locator("main #notifications li")
    assert items.count() == 2
    first = items.nth(0)
    assert first.get_attribute("data-state") == "unread"
    assert "张民警" in first.inner_text() and "2025Q3" in first.inner_text()

    first.locator("a.notification-link").click()
    page.wait_for_url(f"{live_server}/talks/new?**")
    assert "interviewee_id=" in page.url
    assert page.locator("#unread-badge").get_attribute("data-count") == "1"
    s.expire_all()
    assert s.get(Notification, reminder.id).read_at is not None

    page.goto(f"{live_server}/notifications/")
    opened = page.locator(f"main li[data-notification='{reminder.id}']")
    assert opened.get_attribute("data-state") == "read"
    page.locator("main #mark-all-form button").click()
    page.wait_for_url(f"{live_server}/notifications/")
    assert page.locator("#unread-badge").count() == 0
    assert page.locator("main li[data-state='unread']").count() == 0
    assert page.js_errors == []
