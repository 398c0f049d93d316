"""Rectification reminders where people read them (SPEC §14, §8): the inbox groups a unit's
measures ("派出所 1 项整改措施逾期") with a drill-down, in the reader's language; the owner's
calendar feed lists their due measures; the ladder preview and the deliveries page keep
them from admin and HR."""

import re
from datetime import date

import icalendar
import pytest
import sqlalchemy as sa

from supervision.auth.models import User
from supervision.reminders.models import Notification
from tests.conftest import csrf_from
from tests.integration.test_rectification_reminders import MEASURE, _sweep, at, make_ledger

BASE = "https://jw.example.gov.cn"


@pytest.fixture(autouse=True)
def base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "SUPERVISION_BASE_URL", BASE)


@pytest.fixture
def ledger(db, make_user):
    """The ledger of the sweep tests (tests/integration/test_rectification_reminders.py)."""
    return make_ledger(db, make_user)


def test_the_inbox_groups_a_units_measures_with_a_drill_down(client, db, ledger, login):
    _sweep(db, at(2026, 1, 4, 9, 0))  # the measure due 2025-12-31 is overdue
    login("head")
    html = client.get("/notifications/").get_data(as_text=True)
    assert re.search(r"派出所\d*\s*1 项整改措施逾期", html)
    assert 'href="/rectification/"' in html
    assert "整改措施逾期：第1项问题“强化保密工作”的整改措施（一是）应于2025-12-31完成" in html
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = client.get("/notifications/").get_data(as_text=True)
    assert re.search(r"1 rectification measures overdue", html)
    assert (
        "Rectification overdue: measure 1 of problem 1 \u201c强化保密工作\u201d was due on "
        "2025-12-31" in html
    )


def test_the_owners_feed_lists_their_due_measures_and_hr_gets_none(app, db, ledger, login):
    def events(username: str) -> dict:
        client = login(username, c=app.test_client())
        page = client.get("/notifications/feed").get_data(as_text=True)
        resp = client.post(
            "/notifications/feed", data={"csrf_token": csrf_from(page), "action": "create"}
        )
        [url] = re.findall(r'value="(https://[^"]+\.ics)" id="feed-url"', resp.get_data(True))
        feed = app.test_client().get(url.removeprefix(BASE))
        assert feed.status_code == 200
        cal = icalendar.Calendar.from_ical(feed.data)
        return {str(e["uid"]): e for e in cal.walk("VEVENT")}

    mine = events("officer")
    event = mine[f"{MEASURE}-{ledger['main'].id}-2025-12-31@supervision"]
    assert event.decoded("dtstart") == date(2025, 12, 31)
    assert "强化保密工作" in str(event["summary"]) and "一是" in str(event["summary"])
    assert str(event["url"]) == f"{BASE}/rectification/findings/{ledger['first'].id}"
    assert not [uid for uid in events("hr") if uid.startswith(MEASURE)]


def test_the_preview_shows_measure_steps_to_the_discipline_roles_only(
    client, db, ledger, token_for
):
    def preview(username: str) -> list[dict]:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        resp = client.get(
            "/api/v1/reminders/preview",
            headers=token_for(user),
            query_string={"from": "2026-01-01", "to": "2026-01-31"},
        )
        assert resp.status_code == 200
        return resp.get_json()

    member = {(r["step"], r["object_ref"]) for r in preview("mem") if r["object_type"] == MEASURE}
    assert ("escalated", str(ledger["main"].id)) in member
    assert ("overdue", str(ledger["main"].id)) in member
    for username in ("admin", "hr"):
        kinds = {r["object_type"] for r in preview(username)}
        assert not kinds & {MEASURE, "inspection"}, username


def test_the_deliveries_page_keeps_rectification_texts_from_admin(client, db, ledger, login):
    _sweep(db, at(2026, 1, 15, 9, 0))
    subject = db.session.scalar(
        sa.select(Notification.subject).where(
            Notification.object_type == MEASURE, Notification.email_status == "queued"
        )
    )
    assert "强化保密工作" in subject
    login("admin")
    html = client.get("/admin/deliveries/").get_data(as_text=True)
    assert "整改提醒（内容仅限纪检人员查看）" in html
    assert "强化保密工作" not in html and "规范执法办案" not in html
    found = client.get("/admin/deliveries/", query_string={"q": "强化保密工作"})
    assert 'data-message="' not in found.get_data(as_text=True)
