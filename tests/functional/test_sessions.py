"""Server-side sessions (SPEC §4): logging out, disabling the account (and changing the
password, tested with it) end every session of the user at once, the cookie included;
sessions end after SESSION_IDLE_MINUTES idle and SESSION_MAX_HOURS at most."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supervision.auth import services, sessions
from supervision.auth.models import User
from supervision.common import clock
from tests import factories
from tests.conftest import csrf_from

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TIMED_OUT = "会话已超时，请重新登录"
ENDED = "会话已结束，请重新登录"


def logout(client):
    page = client.get("/profile").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302


def copy_cookie(source, target):
    target.set_cookie("session", source.get_cookie("session").value)


def login_page_notice(client, path="/profile") -> str:
    """Open `path`; it must lead to the login page, whose text is returned."""
    resp = client.get(path)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    return client.get(resp.headers["Location"]).get_data(as_text=True)


@pytest.fixture
def talk(db, make_user):
    """A draft talk with confidential content, and its interviewer's account "secretary"."""
    s = db.session
    unit = factories.unit(s, "纪委")
    secretary = factories.person(s, unit, "王书记")
    leader = factories.person(s, unit, "李局长", leadership="team_member")
    row = factories.draft_talk(
        s,
        leader,
        [secretary],
        held_at=datetime(2026, 2, 10, 2, tzinfo=UTC),
        location="谈话室",
        content="机密谈话内容",
    )
    s.commit()
    make_user("secretary", ["discipline_secretary"], person=secretary)
    return row.id


def test_a_cookie_copied_before_logout_opens_nothing_afterwards(app, client, login, talk):
    login("secretary")
    thief = app.test_client()
    copy_cookie(client, thief)
    assert "机密谈话内容" in thief.get(f"/talks/{talk}").get_data(as_text=True)

    logout(client)
    resp = thief.get(f"/talks/{talk}")
    assert resp.status_code == 302 and "机密谈话内容" not in resp.get_data(as_text=True)
    assert ENDED in login_page_notice(thief)
    assert thief.get("/api/v1/talks").status_code == 401


def test_logout_in_one_browser_ends_the_other_browsers(app, client, login, make_user):
    make_user("alice", ["hr"])
    phone = app.test_client()
    login("alice")
    login("alice", c=phone)
    assert phone.get("/profile").status_code == 200
    logout(client)
    assert ENDED in login_page_notice(phone)
    # Logging in again works, and only the new session is alive.
    login("alice", c=phone)
    assert phone.get("/profile").status_code == 200


def test_idle_timeout_and_activity_keeps_the_session(client, login, make_user, app):
    make_user("alice", ["hr"])
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    with clock.frozen(T0):
        login("alice")
    for minutes in (20, 45, 70):  # 25 minutes apart at most: each request marks it seen
        with clock.frozen(T0 + timedelta(minutes=minutes)):
            assert client.get("/profile").status_code == 200
    with clock.frozen(T0 + timedelta(minutes=70 + 31)):
        assert TIMED_OUT in login_page_notice(client)
        # The ended session is gone from the cookie: going back in time does not revive it.
    with clock.frozen(T0 + timedelta(minutes=71)):
        assert client.get("/profile").status_code == 302


def test_the_api_answers_401_for_a_timed_out_session(client, login, make_user):
    make_user("alice", ["hr"])
    with clock.frozen(T0):
        login("alice")
        assert client.get("/api/v1/people").status_code == 200
    with clock.frozen(T0 + timedelta(minutes=31)):
        resp = client.get("/api/v1/people")
        assert resp.status_code == 401 and resp.is_json


def test_absolute_timeout_however_busy(client, login, make_user, app):
    make_user("alice", ["hr"])
    assert app.config["SESSION_MAX_HOURS"] == 12
    with clock.frozen(T0):
        login("alice")
    t = T0
    while t < T0 + timedelta(hours=12) - timedelta(minutes=20):
        t += timedelta(minutes=20)
        with clock.frozen(t):
            assert client.get("/profile").status_code == 200, t
    with clock.frozen(T0 + timedelta(hours=12, minutes=1)):
        assert TIMED_OUT in login_page_notice(client)


def test_a_session_without_the_server_marks_is_refused(client, login, make_user):
    """A session naming only the user (as Flask-Login alone writes it: those opened before
    this version, or one forged with a leaked key) opens nothing: the epoch and times are
    required."""
    make_user("alice", ["hr"])
    login("alice")
    with client.session_transaction() as sess:
        assert sess.get("_user_id")
        for key in (sessions.EPOCH, sessions.LOGIN_AT, sessions.SEEN_AT):
            del sess[key]
    assert ENDED in login_page_notice(client)


def test_disabling_the_account_ends_its_sessions_for_good(app, client, login, make_user, db):
    admin = make_user("admin", ["admin"])
    make_user("alice", ["hr"])
    login("alice")
    assert client.get("/profile").status_code == 200
    laptop = app.test_client()  # a second browser, unused while the account is disabled
    copy_cookie(client, laptop)
    alice = db.session.query(User).filter_by(username="alice").one()
    services.update_user(db.session, alice, is_enabled=False, acting_user=db.session.merge(admin))
    db.session.commit()
    assert client.get("/profile").status_code == 302
    # Enabled again, the old sessions stay ended: only a new login opens one.
    services.update_user(db.session, alice, is_enabled=True, acting_user=db.session.merge(admin))
    db.session.commit()
    assert ENDED in login_page_notice(laptop)
    assert client.get("/profile").status_code == 302
    login("alice")
    assert client.get("/profile").status_code == 200


def test_restamping_after_ending_all_keeps_only_this_browser(app, client, login, make_user, db):
    """What a password change does (another page calls these two): every other session
    ends, this browser stays signed in, and its absolute limit is not extended."""
    make_user("alice", ["hr"])
    other = app.test_client()
    with clock.frozen(T0):
        login("alice")
        login("alice", c=other)
    with clock.frozen(T0 + timedelta(hours=6)), app.test_request_context():
        from flask import session

        with client.session_transaction() as saved:
            session.update(saved)
        alice = db.session.query(User).filter_by(username="alice").one()
        sessions.end_all_sessions(alice)
        sessions.stamp(alice)
        db.session.commit()
        with client.session_transaction() as saved:
            saved.update(session)
        assert session[sessions.LOGIN_AT] == T0.timestamp()  # the limit still counts from T0
        assert session[sessions.SEEN_AT] == (T0 + timedelta(hours=6)).timestamp()
        assert client.get("/profile").status_code == 200
        assert other.get("/profile").status_code == 302
