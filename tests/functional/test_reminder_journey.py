"""A leader's reminder end to end (issue 6): the sweep and the delivery as the scheduler runs
them (CLI), the mail in a real SMTP server's mailbox, the inbox, and the calendar feed."""

import re
from datetime import date

import icalendar
import pytest

from supervision.calendar import services as calendar
from tests import factories
from tests.conftest import csrf_from
from tests.integration.test_reminder_delivery import SmtpServer, free_port

NOW = "2025-09-24T10:00:00+08:00"  # the `upcoming` step of 2025Q3 fell at 09:00 today
#: SUPERVISION_BASE_URL: the mail (built by the CLI, outside any request) and the feed link to it.
BASE = "https://jw.example.gov.cn"
FEED_URL = re.compile(
    r'value="https://jw\.example\.gov\.cn(/calendar/feed/[^"]+\.ics)" id="feed-url"'
)


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on loopback that the app sends to."""
    server = SmtpServer(free_port())
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def station(app, db, monkeypatch):
    """A station head (a leader with an account and an address) who conducts the quarterly
    talk of an officer in a sensitive post."""
    monkeypatch.setitem(app.config, "SUPERVISION_FAKE_NOW", NOW)
    monkeypatch.setitem(app.config, "SUPERVISION_BASE_URL", BASE)
    s = db.session
    calendar.sync(s, [2025])
    unit = factories.unit(s, "东湖派出所", kind="station")
    head = factories.person(s, unit, "刘所长", email="liu@example.gov.cn")
    officer = factories.person(s, unit, "王民警")
    s.flush()
    unit.head_person_id = head.id
    factories.assign(
        s, officer, factories.post(s, unit, "户籍岗", is_sensitive=True), date(2025, 7, 1)
    )  # owes the 2025Q3 talk only
    factories.user(s, "liu", ["leader"], person=head)
    s.commit()
    return {"head": head, "officer": officer}


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_leader_gets_one_mail_an_inbox_item_and_a_feed_event(app, client, login, smtp, station):
    for _round in range(2):  # the scheduler's jobs run again and again: still one of each
        _run(app, "reminders", "sweep", "--now", NOW)
        _run(app, "reminders", "deliver")
    mine = smtp.box.messages
    assert len(mine) == 1 and mine[0]["To"] == "liu@example.gov.cn"
    assert mine[0]["Subject"] == "提醒：与王民警的2025Q3廉政提醒谈话将于2025-09-30到期"
    text = mine[0].get_body(preferencelist=("plain",)).get_content()
    assert f"{BASE}/talks/new?type=integrity_reminder" in text

    login("liu")
    inbox = client.get("/notifications/").get_data(as_text=True)
    assert "与王民警的2025Q3廉政提醒谈话将于2025-09-30到期" in inbox
    assert 'id="unread-badge" data-count="1"' in inbox

    token = csrf_from(client.get("/notifications/feed").get_data(as_text=True))
    page = client.post("/notifications/feed", data={"csrf_token": token, "action": "create"})
    [url] = FEED_URL.findall(page.get_data(as_text=True))
    client.post("/logout", data={"csrf_token": csrf_from(inbox)})
    feed = client.get(url)  # no login: the secret URL is the credential
    assert feed.status_code == 200
    events = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    dates = {e["dtstart"].dt for e in events if "王民警" in str(e["summary"])}
    assert dates == {date(2025, 9, 30)}
    assert all(str(e["url"]).startswith(BASE + "/") for e in events)
