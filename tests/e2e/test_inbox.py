"""The inbox in a real browser (SPEC §8, issue 13).

A department head: the reminder sweep has notified them of the talk they owe; they see the
unread badge, open the inbox, expand the group, open the reminder (which takes them to the
talk form) and the badge count drops; then they mark the rest read.

The discipline secretary: after the escalation step the inbox shows one group per unit
("城关派出所 1 人逾期未谈，已督办"), which expands to the item naming the late conductor, and
whose drill-down link opens the completion dashboard's list of that unit.
"""

from datetime import UTC, date, datetime

import sqlalchemy as sa

from supervision.calendar import services as calendar
from supervision.reminders.models import Notification
from supervision.reminders.sweep import sweep
from tests import factories
from tests.e2e.conftest import ARTIFACTS, log_in


def _station(s):
    calendar.sync(s, [2025])
    bureau = factories.unit(s, "东湖分局", kind="branch", code="DH")
    station = factories.unit(s, "城关派出所", kind="station", parent=bureau, code="CG")
    head = factories.person(s, station, "李所长", staff_no="HA01", leadership="department_head")
    officer = factories.person(s, station, "张民警", staff_no="PA02")
    post = factories.post(s, station, "案件审核岗", code="CG-CASE", is_sensitive=True)
    factories.assign(s, officer, post, start=date(2025, 7, 1))
    s.flush()
    station.head_person_id = head.id
    station.name = "城关派出所"
    s.commit()
    return bureau, station, head, officer


def test_a_leader_reads_a_reminder_from_the_inbox(page, live_server, make_user, db):
    s = db.session
    _bureau, _station_, head, _officer = _station(s)
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
    groups = page.locator("main .inbox-group")
    assert groups.count() == 2
    first = groups.nth(0)
    assert "城关派出所 1 人2025Q3廉政提醒谈话即将到期" in first.inner_text()
    item = first.locator("li[data-notification]")
    assert not item.is_visible()  # collapsed
    first.locator("summary").click()
    assert item.get_attribute("data-state") == "unread"
    assert "张民警" in item.inner_text() and "2025Q3" in item.inner_text()

    item.locator("a.notification-link").click()
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


def test_the_secretary_expands_an_escalation_group_and_drills_down(
    page, live_server, make_user, db
):
    s = db.session
    bureau, station, head, _officer = _station(s)
    secretary = factories.person(s, bureau, "周书记", staff_no="SJ01")
    s.commit()
    make_user("head", ["leader"], person=head)
    make_user("sec", ["discipline_secretary"], person=secretary)
    s.execute(sa.delete(Notification))  # the notice of the secretary's role grant
    s.commit()
    # Fri 2025-10-24: past the 10th working day after 09-30 (the National Day week is off).
    sweep(s, datetime(2025, 10, 24, 1, 30, tzinfo=UTC))
    s.commit()

    log_in(page, live_server, "sec", factories.PASSWORD)
    page.goto(f"{live_server}/notifications/")
    assert page.locator("main .inbox-group[data-step='escalated']").count() >= 1
    group = page.locator(
        "main .inbox-group[data-step='escalated'][data-kind='integrity_reminder']"
        f"[data-period='2025Q3'][data-unit='{station.id}']"
    )
    assert group.count() == 1
    assert "城关派出所 1 人逾期未谈，已督办（2025Q3廉政提醒谈话）" in group.inner_text()
    assert "已督办" in group.locator(".badge").first.inner_text()
    group.locator("summary").click()
    item = group.locator("li[data-notification]")
    assert "督办：李所长未按期与张民警开展2025Q3廉政提醒谈话" in item.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox-grouped.png"), full_page=True)

    group.locator("a.drill-down").click()
    page.wait_for_url(f"{live_server}/obligations/?**")
    assert f"org_unit_id={station.id}" in page.url and "status=overdue" in page.url
    assert "张民警" in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "inbox-drill-down.png"), full_page=True)
    assert page.js_errors == []
