"""Personal calendar feeds (SPEC §8): the secret URL's life cycle on /notifications/feed, and
the public .ics with what the user is responsible for."""

import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.auth.models import User
from supervision.calendar import services as calendar
from supervision.reminders.models import CalendarFeed
from supervision.talks.models import Talk
from tests import factories
from tests.conftest import csrf_from

#: SUPERVISION_BASE_URL of these tests: links never follow the test client's Host (localhost).
BASE = "https://jw.example.gov.cn"
FEED_URL = re.compile(
    r'value="(https://jw\.example\.gov\.cn/calendar/feed/[^"]+\.ics)" id="feed-url"'
)


@pytest.fixture(autouse=True)
def today(app, monkeypatch):
    """The app believes it is Sat 2025-09-20, 10:00 local."""
    monkeypatch.setitem(app.config, "SUPERVISION_FAKE_NOW", "2025-09-20T10:00:00+08:00")
    monkeypatch.setitem(app.config, "SUPERVISION_BASE_URL", BASE)


@pytest.fixture
def org(db):
    """A station whose head conducts the Q3 talks of A (open) and B (held); a risk point
    whose review the head owns, with an overdue measure the head owns; R in a unit without
    a head is due for rotation; another leader owns nothing."""
    s = db.session
    calendar.sync(s, [2025])
    bureau = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "派出所", kind="station", parent=bureau)
    traffic = factories.unit(s, "交警大队", parent=bureau)
    head = factories.person(s, station, "所长")
    other = factories.person(s, traffic, "教导员")
    a, b = factories.person(s, station, "甲"), factories.person(s, station, "乙")
    r = factories.person(s, traffic, "丙")
    post = factories.post(s, station, "户籍岗", is_sensitive=True)
    road = factories.post(s, traffic, "事故处理岗", is_sensitive=True)
    factories.assign(s, a, post, date(2025, 7, 1))
    factories.assign(s, b, post, date(2025, 7, 1))
    factories.assign(s, r, road, date(2020, 9, 1))
    s.flush()
    station.head_person_id = head.id
    s.add(
        Talk(
            type="integrity_reminder",
            status="final",
            interviewee_id=b.id,
            period="2025Q3",
            held_at=datetime(2025, 9, 10, 2, tzinfo=UTC),
        )
    )
    point = factories.risk_point(
        s,
        station,
        head,
        "户籍办理收受好处",
        post=post,
        measure="窗口双人复核",
        due_on=date(2025, 9, 1),
        likelihood=2,
        impact=3,
        last_reviewed_on=date(2024, 12, 1),
    )
    s.flush()
    factories.user(s, "head", ["leader"], person=head)
    factories.user(s, "other", ["leader"], person=other)
    factories.user(s, "hr", ["hr"])
    s.commit()
    return {
        "head": head.id,
        "a": a.id,
        "b": b.id,
        "r": r.id,
        "road": road.id,
        "point": point.id,
        "measure": point.measures[0].id,
    }


def _create(client) -> str:
    """Create (or regenerate) the feed on the page; the URL shown once."""
    token = csrf_from(client.get("/notifications/feed").get_data(as_text=True))
    resp = client.post("/notifications/feed", data={"csrf_token": token, "action": "create"})
    assert resp.status_code == 200
    urls = FEED_URL.findall(resp.get_data(as_text=True))
    assert len(urls) == 1
    return urls[0].removeprefix(BASE)


def _events(resp) -> dict[str, icalendar.Event]:
    assert resp.status_code == 200, resp.status_code
    assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(resp.data)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_the_feed_page_needs_a_login(client, org):
    assert client.get("/notifications/feed").status_code == 302


def test_a_user_creates_a_feed_shown_once_and_stored_hashed(client, login, db, org):
    login("head")
    assert 'id="no-feed"' in client.get("/notifications/feed").get_data(as_text=True)
    path = _create(client)
    token = path.split("/")[-1].removesuffix(".ics")
    assert len(token) >= 40
    row = db.session.scalars(sa.select(CalendarFeed)).one()
    assert row.token_hash != token and len(row.token_hash) == 64
    again = client.get("/notifications/feed").get_data(as_text=True)
    assert token not in again and 'id="feed-status"' in again
    assert db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "calendar_feed")
    ).all() == ["create"]


def test_the_feed_lists_what_the_user_is_responsible_for(client, login, db, org):
    login("head")
    path = _create(client)
    events = _events(client.get(path))
    obligation = f"obligation-{org['a']}-integrity_reminder-2025Q3@supervision"
    point = f"risk_point-{org['point']}-2025-12-01@supervision"
    measure = f"measure-{org['measure']}-2025-09-01@supervision"
    assert set(events) == {obligation, point, measure}  # not B's: the talk is held
    talk = events[obligation]
    assert talk.decoded("dtstart") == date(2025, 9, 30)
    assert talk.decoded("dtend") == date(2025, 10, 1)
    assert str(talk["summary"]) == "与甲的廉政提醒谈话（2025Q3）"
    assert str(talk["url"]).startswith(f"{BASE}/talks/new?type=integrity_reminder")
    alarm = talk.walk("VALARM")[0]
    assert alarm.decoded("trigger") == timedelta(hours=9)
    assert str(events[measure]["summary"]) == "【已逾期】防控措施到期：“窗口双人复核”"
    assert events[point].decoded("dtstart") == date(2025, 12, 1)
    assert "户籍办理收受好处" in str(events[point]["summary"])
    # Stable: the same UIDs and the same document on the next fetch.
    assert set(_events(client.get(path))) == set(events)
    feed = db.session.scalars(sa.select(CalendarFeed)).one()
    assert feed.last_used_at == datetime(2025, 9, 20, 2, tzinfo=UTC)


def test_hr_gets_the_rotation_due_and_others_get_nothing_of_anyone_elses(app, login, db, org):
    hr = login("hr", c=app.test_client())
    events = _events(hr.get(_create(hr)))
    assert list(events) == [f"rotation-{org['r']}-{org['road']}-2025-09-01@supervision"]
    assert "丙" in str(events[next(iter(events))]["summary"])
    other = login("other", c=app.test_client())
    assert _events(other.get(_create(other))) == {}


def test_conditional_requests_get_304(client, login, org):
    login("head")
    path = _create(client)
    first = client.get(path)
    etag = first.headers["ETag"]
    # The feed names people and what they owe: no cache keeps it (SPEC §13); a calendar
    # client still asks again with the ETag.
    assert first.headers["Cache-Control"] == "no-store"
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_regenerate_and_revoke_end_the_old_url(app, client, login, db, org):
    login("head")
    old = _create(client)
    page = client.get("/notifications/feed?confirm=regenerate").get_data(as_text=True)
    assert 'id="confirm-regenerate"' in page
    resp = client.post(
        "/notifications/feed", data={"csrf_token": csrf_from(page), "action": "regenerate"}
    )
    new = FEED_URL.findall(resp.get_data(as_text=True))[0].removeprefix(BASE)
    anonymous = app.test_client()
    assert new != old
    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200
    page = client.get("/notifications/feed?confirm=revoke").get_data(as_text=True)
    assert 'id="confirm-revoke"' in page
    resp = client.post(
        "/notifications/feed", data={"csrf_token": csrf_from(page), "action": "revoke"}
    )
    assert resp.status_code == 302
    assert anonymous.get(new).status_code == 404
    assert 'id="no-feed"' in client.get("/notifications/feed").get_data(as_text=True)
    actions = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.object_type == "calendar_feed")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "revoke", "create", "revoke"]


def test_unknown_tokens_and_disabled_users_get_404(app, client, login, db, org):
    anonymous = app.test_client()
    assert anonymous.get("/calendar/feed/nope.ics").status_code == 404
    assert anonymous.get("/calendar/feed/" + "x" * 500 + ".ics").status_code == 404
    login("head")
    path = _create(client)
    db.session.scalars(sa.select(User).where(User.username == "head")).one().is_enabled = False
    db.session.commit()
    assert anonymous.get(path).status_code == 404


def test_a_bad_action_is_refused(client, login, org):
    login("head")
    token = csrf_from(client.get("/notifications/feed").get_data(as_text=True))
    assert (
        client.post("/notifications/feed", data={"csrf_token": token, "action": "x"}).status_code
        == 400
    )
    assert client.post("/notifications/feed", data={"action": "create"}).status_code == 400


def test_runaway_polling_of_one_feed_is_rate_limited(app):
    client = app.test_client()
    answers = [client.get("/calendar/feed/nope.ics").status_code for _ in range(61)]
    assert answers[:60] == [404] * 60 and answers[60] == 429
    assert client.get("/calendar/feed/another.ics").status_code == 404  # per feed URL


def test_the_profile_page_links_to_the_feed(client, login, org):
    login("head")
    html = client.get("/profile").get_data(as_text=True)
    assert 'href="/notifications/feed" id="profile-feed-link"' in html


def test_a_forged_host_header_gives_links_to_the_configured_address_only(app, org):
    """SPEC §12: the feed's address on the page and every link inside the .ics come from
    SUPERVISION_BASE_URL; a request naming another host changes none of them."""
    evil = {"base_url": "http://evil.example", "headers": {"X-Forwarded-Host": "evil.example"}}
    client = app.test_client()
    page = client.get("/login", **evil).get_data(as_text=True)
    form = {"username": "head", "password": factories.PASSWORD, "csrf_token": csrf_from(page)}
    assert client.post("/login", data=form, **evil).status_code == 302
    token = csrf_from(client.get("/notifications/feed", **evil).get_data(as_text=True))
    resp = client.post(
        "/notifications/feed", data={"csrf_token": token, "action": "create"}, **evil
    )
    page = resp.get_data(as_text=True)
    assert "evil.example" not in page
    [url] = FEED_URL.findall(page)
    ics = app.test_client().get(url.removeprefix(BASE), **evil)
    events = _events(ics)
    assert len(events) == 3
    assert b"evil.example" not in ics.data and b"localhost" not in ics.data
    for event in events.values():
        assert str(event["url"]).startswith(BASE + "/")
        assert str(event["description"]).rsplit("\n", 1)[1] == str(event["url"])
