"""The inbox pages (SPEC §8): the unread badge in the navbar, the list, marking read,
opening an item, and the reminder settings page."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from supervision.extensions import db as _db
from supervision.reminders.models import Notification
from supervision.settings.models import Setting
from tests import factories
from tests.conftest import csrf_from


@pytest.fixture
def people(db):
    """A leader and an officer (people with accounts), and a user without a person."""
    s = db.session
    unit = factories.unit(s, "派出所", kind="station")
    leader = factories.person(s, unit, "所长")
    officer = factories.person(s, unit, "民警")
    s.flush()
    factories.user(s, "leader", ["leader"], person=leader)
    factories.user(s, "officer", ["staff"], person=officer)
    factories.user(s, "admin", ["admin"])
    factories.user(s, "secretary", ["discipline_secretary"])
    factories.user(s, "member", ["discipline_member"])
    s.commit()
    return {"leader": leader.id, "officer": officer.id}


def _note(recipient, subject, *, minute=0, link="/talks/mine", read=False, ref=None):
    n = Notification(
        recipient_id=recipient,
        step="upcoming",
        object_type="obligation",
        object_ref=ref or subject,
        period="2025Q3",
        subject=subject,
        body="正文",
        link=link,
        on=datetime(2025, 9, 24, 1, tzinfo=UTC),
        created_at=datetime(2025, 9, 24, 1, minute, tzinfo=UTC),
        read_at=datetime(2025, 9, 25, tzinfo=UTC) if read else None,
    )
    _db.session.add(n)
    _db.session.commit()
    return n.id


def _badge(html: str) -> str | None:
    m = re.search(r'id="unread-badge" data-count="(\d+)">([^<]+)<', html)
    return m.group(2) if m else None


def _subjects(html: str) -> list[str]:
    return re.findall(r'class="[^"]*notification-link" href="[^"]+">([^<]+)</a>', html)


def test_the_inbox_needs_a_login(client, people):
    resp = client.get("/notifications/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_badge_counts_the_users_unread_notifications(app, client, login, people):
    _note(people["leader"], "一")
    _note(people["leader"], "二", minute=1)
    _note(people["leader"], "已读", minute=2, read=True)
    _note(people["officer"], "别人的", minute=3)
    login("leader")
    assert _badge(client.get("/").get_data(as_text=True)) == "2"
    admin = login("admin", c=app.test_client())  # no person: no badge, an explanation
    assert _badge(admin.get("/").get_data(as_text=True)) is None
    inbox = admin.get("/notifications/").get_data(as_text=True)
    assert 'id="no-person"' in inbox and 'href="/admin/reminders/"' in inbox
    assert 'href="/admin/reminders/"' not in client.get("/notifications/").get_data(as_text=True)


def test_the_badge_costs_one_query_and_caps_at_99(client, login, people, db, count_statements):
    db.session.execute(
        sa.insert(Notification),
        [
            {
                "recipient_id": people["leader"],
                "step": "upcoming",
                "object_type": "obligation",
                "object_ref": f"r{i}",
                "period": "2025Q3",
                "subject": "s",
                "body": "b",
                "link": "",
                "on": datetime(2025, 9, 24, tzinfo=UTC),
                "created_at": datetime(2025, 9, 24, tzinfo=UTC),
                "email_status": "none",
            }
            for i in range(120)
        ],
    )
    db.session.commit()
    login("leader")
    with count_statements() as statements:
        html = client.get("/").get_data(as_text=True)
    seen = [statement for statement in statements if "notifications" in statement]
    assert _badge(html) == "99+" and 'data-count="120"' in html
    assert len(seen) == 1


def test_a_group_lists_its_items_newest_first_and_the_read_state_filters(client, login, people):
    _note(people["leader"], "旧未读")
    _note(people["leader"], "新已读", minute=5, read=True)
    _note(people["leader"], "新未读", minute=3)
    _note(people["officer"], "别人的", minute=9)
    login("leader")
    html = client.get("/notifications/").get_data(as_text=True)
    assert _subjects(html) == ["新已读", "新未读", "旧未读"]
    assert _subjects(client.get("/notifications/?show=unread").get_data(as_text=True)) == [
        "新未读",
        "旧未读",
    ]
    assert _subjects(client.get("/notifications/?show=read").get_data(as_text=True)) == ["新已读"]
    assert _subjects(client.get("/notifications/?show=bogus").get_data(as_text=True)) == [
        "新已读",
        "新未读",
        "旧未读",
    ]


def test_empty_states(app, client, login, people):
    _note(people["leader"], "已读", read=True)
    login("leader")
    assert 'id="no-notifications"' in client.get("/notifications/?show=unread").get_data(
        as_text=True
    )
    html = login("officer", c=app.test_client()).get("/notifications/").get_data(as_text=True)
    assert 'id="no-notifications"' in html and 'id="mark-all-form"' not in html


def test_mark_one_read_with_csrf(client, login, people, db):
    nid = _note(people["leader"], "一")
    other = _note(people["leader"], "二", minute=1)
    login("leader")
    page = client.get("/notifications/?show=unread").get_data(as_text=True)
    assert client.post(f"/notifications/{nid}/read").status_code == 400  # no CSRF token
    resp = client.post(
        f"/notifications/{nid}/read",
        data={"csrf_token": csrf_from(page), "next": "/notifications/?show=unread"},
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/notifications/?show=unread"
    assert db.session.get(Notification, nid).read_at is not None
    assert db.session.get(Notification, other).read_at is None
    assert _badge(client.get("/").get_data(as_text=True)) == "1"
    # An outside `next` is not followed.
    resp = client.post(
        f"/notifications/{other}/read",
        data={"csrf_token": csrf_from(page), "next": "https://evil.example/"},
    )
    assert resp.headers["Location"] == "/notifications/"


def test_someone_elses_notification_is_404_and_stays_unread(client, login, people, db):
    theirs = _note(people["officer"], "别人的")
    login("leader")
    token = csrf_from(client.get("/notifications/").get_data(as_text=True))
    assert (
        client.post(f"/notifications/{theirs}/read", data={"csrf_token": token}).status_code == 404
    )
    assert client.get(f"/notifications/{theirs}/open").status_code == 404
    assert db.session.get(Notification, theirs).read_at is None


def test_mark_all_read(client, login, people, db):
    mine = [_note(people["leader"], "一"), _note(people["leader"], "二", minute=1)]
    theirs = _note(people["officer"], "别人的")
    login("leader")
    token = csrf_from(client.get("/notifications/").get_data(as_text=True))
    resp = client.post("/notifications/read-all", data={"csrf_token": token}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "2 条通知已标为已读" in html and _badge(html) is None
    assert all(db.session.get(Notification, n).read_at for n in mine)
    assert db.session.get(Notification, theirs).read_at is None


def test_opening_marks_read_and_goes_to_the_items_page(client, login, people, db):
    nid = _note(people["leader"], "一", link="/talks/new?type=integrity_reminder&period=2025Q3")
    login("leader")
    resp = client.get(f"/notifications/{nid}/open")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/talks/new?type=integrity_reminder&period=2025Q3"
    assert db.session.get(Notification, nid).read_at is not None


@pytest.mark.parametrize(
    "link",
    ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_opening_never_leaves_the_site(client, login, people, link):
    nid = _note(people["leader"], "外链", link=link)
    login("leader")
    resp = client.get(f"/notifications/{nid}/open")
    assert resp.status_code == 302 and resp.headers["Location"] == "/notifications/"


# ------------------------------------------------------------------ settings page


def test_the_settings_page_is_for_admin_and_the_secretary(app, login, people):
    for name in ("member", "leader", "officer"):
        assert login(name, c=app.test_client()).get("/admin/reminders/").status_code == 403
    html = login("secretary", c=app.test_client()).get("/admin/reminders/").get_data(as_text=True)
    assert 'name="upcoming_working_days"' in html and 'value="5"' in html
    assert 'id="example"' in html


def test_the_settings_page_saves_and_reports_errors_inline(client, login, people, db):
    login("admin")
    token = csrf_from(client.get("/admin/reminders/").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "upcoming_working_days": "0",
        "overdue_working_days": "1",
        "escalated_working_days": "10",
        "review_upcoming_working_days": "10",
        "review_overdue_working_days": "1",
        "send_at": "8点",
        "mail_backlog_days": "0",
        "email_enabled": "y",
    }
    resp = client.post("/admin/reminders/", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "必须为 1 至 60 之间的整数。" in html and 'value="8点"' in html
    assert "必须为 1 至 365 之间的整数。" in html
    form.update(mail_backlog_days="14")
    assert db.session.get(Setting, "reminders") is None
    form.update(upcoming_working_days="3", send_at="08:30")
    resp = client.post("/admin/reminders/", data=form)
    assert resp.status_code == 302
    from supervision.reminders.settings import get_reminder_settings

    saved = get_reminder_settings(db.session)
    assert saved["upcoming_working_days"] == 3 and saved["send_at"] == "08:30"
    assert saved["mail_backlog_days"] == 14
    assert saved["email_enabled"] is True and saved["digest_enabled"] is False
