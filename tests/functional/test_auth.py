"""Login, logout, CSRF, personal API tokens (expiry, the list, revoking) and security headers.

Login throttling: test_login_throttle.py; session ends and timeouts: test_sessions.py."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.auth import services
from supervision.auth.models import ApiToken
from supervision.common import clock
from tests.conftest import csrf_from


def test_login_page_is_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html and "用户名" in html


def test_english_switch_changes_the_language(client):
    client.get("/lang/en?next=/login")
    html = client.get("/login").get_data(as_text=True)
    assert "Log in" in html and "用户名" not in html


def test_login_and_logout(client, make_user, login, db):
    make_user("alice", ["hr"])
    login("alice")
    assert client.get("/").status_code == 200
    page = client.get("/").get_data(as_text=True)
    resp = client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert resp.status_code == 302
    assert client.get("/").status_code == 302
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["login", "logout"]


def test_wrong_password_shows_error_and_is_audited(client, make_user, db):
    make_user("alice", ["hr"])
    page = client.get("/login").get_data(as_text=True)
    resp = client.post(
        "/login",
        data={"username": "alice", "password": "wrong-password", "csrf_token": csrf_from(page)},
    )
    assert resp.status_code == 200
    assert "用户名或密码错误" in resp.get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "login_failed" in actions


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("alice", ["hr"])
    client.get("/login")
    resp = client.post("/login", data={"username": "alice", "password": "correct horse battery"})
    assert resp.status_code == 400
    assert "刷新页面" in resp.get_data(as_text=True)  # a clear message, not a stack trace
    assert client.get("/").status_code == 302


def test_logout_without_csrf_is_refused(client, make_user, login):
    make_user("alice", ["hr"])
    login("alice")
    resp = client.post("/logout")
    assert resp.status_code == 400
    assert client.get("/").status_code == 200


def test_open_redirect_after_login_is_ignored(client, make_user):
    make_user("alice", ["hr"])
    page = client.get("/login").get_data(as_text=True)
    resp = client.post(
        "/login?next=https://evil.example/",
        data={
            "username": "alice",
            "password": "correct horse battery",
            "csrf_token": csrf_from(page),
        },
    )
    assert resp.headers["Location"] == "/"


def test_disabled_user_cannot_log_in(client, make_user, db):
    user = make_user("alice", ["hr"])
    db.session.merge(user).is_enabled = False
    db.session.commit()
    page = client.get("/login").get_data(as_text=True)
    resp = client.post(
        "/login",
        data={
            "username": "alice",
            "password": "correct horse battery",
            "csrf_token": csrf_from(page),
        },
    )
    assert resp.status_code == 200
    assert client.get("/").status_code == 302


def test_token_create_use_and_revoke(client, make_user, login, db):
    make_user("alice", ["hr"])
    login("alice")
    page = client.get("/profile").get_data(as_text=True)
    resp = client.post("/profile", data={"name": "script", "csrf_token": csrf_from(page)})
    html = resp.get_data(as_text=True)
    token = html.split('id="new-token">')[1].split("<")[0].strip()
    assert token.startswith("sv_")
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert token not in (stored.token_hash, stored.prefix)  # only a hash is kept

    anon = client.application.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/v1/people", headers=headers).status_code == 200

    resp = client.post(f"/profile/tokens/{stored.id}/revoke", data={"csrf_token": csrf_from(html)})
    assert resp.status_code == 302
    assert anon.get("/api/v1/people", headers=headers).status_code == 401


def test_cannot_revoke_someone_elses_token(client, make_user, login, token_for, db):
    bob = make_user("bob", ["hr"])
    token_for(bob)
    make_user("alice", ["hr"])
    login("alice")
    page = client.get("/profile").get_data(as_text=True)
    bob_token = db.session.scalars(sa.select(ApiToken)).one()
    resp = client.post(
        f"/profile/tokens/{bob_token.id}/revoke", data={"csrf_token": csrf_from(page)}
    )
    assert resp.status_code == 404
    assert db.session.get(ApiToken, bob_token.id).revoked_at is None


def test_security_headers_and_cookie_flags(client, make_user):
    make_user("alice", ["hr"])
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert resp.headers["X-Frame-Options"] == "DENY"
    page = resp.get_data(as_text=True)
    resp = client.post(
        "/login",
        data={
            "username": "alice",
            "password": "correct horse battery",
            "csrf_token": csrf_from(page),
        },
    )
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_users_cli_create_and_token(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "carol", "--role", "hr", "--role", "leader", "--password-stdin"],
        input="a-long-password\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "token", "carol"])
    assert result.exit_code == 0
    token = result.output.strip()
    resp = app.test_client().get("/api/v1/org-units", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200


def test_users_cli_rejects_short_password_and_unknown_person(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "dave", "--role", "hr", "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0 and "password: 密码至少需要 10 个字符" in result.output
    result = runner.invoke(
        args=["users", "create", "dave", "--role", "hr", "--staff-no", "X999", "--password-stdin"],
        input="a-long-password\n",
    )
    assert result.exit_code != 0 and "X999" in result.output


T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 on 2 March in Shanghai


def _create_token(client, name, expires_on=""):
    page = client.get("/profile").get_data(as_text=True)
    return client.post(
        "/profile",
        data={"name": name, "expires_on": expires_on, "csrf_token": csrf_from(page)},
    )


def _new_token(resp) -> str:
    return resp.get_data(as_text=True).split('id="new-token">')[1].split("<")[0].strip()


def test_token_with_an_expiry_date_works_until_the_end_of_that_day(client, make_user, login, db):
    make_user("alice", ["hr"])
    login("alice")
    with clock.frozen(T0):
        resp = _create_token(client, "nightly", "2026-03-31")
        assert resp.status_code == 200
        token = _new_token(resp)
        row = db.session.scalars(sa.select(ApiToken)).one()
        # 23:59:59.999999 on 31 March in Shanghai.
        assert row.expires_at == datetime(2026, 3, 31, 15, 59, 59, 999999, tzinfo=UTC)
        html = client.get("/profile").get_data(as_text=True)
        assert "2026-03-31" in html and "有效" in html
    anon = client.application.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    with clock.frozen(datetime(2026, 3, 31, 15, 59, tzinfo=UTC)):  # 23:59 local, last day
        assert anon.get("/api/v1/people", headers=headers).status_code == 200
    with clock.frozen(datetime(2026, 3, 31, 16, 0, tzinfo=UTC)):  # 00:00 local, the day after
        resp = anon.get("/api/v1/people", headers=headers)
        assert resp.status_code == 401 and resp.is_json
        html = client.get("/profile").get_data(as_text=True)
        assert 'data-token-state="expired"' in html and "已到期" in html


@pytest.mark.parametrize("expires_on", ["2026-03-02", "2026-03-01", "2027-03-04"])
def test_token_expiry_must_be_after_today_and_within_a_year(
    client, make_user, login, db, expires_on
):
    make_user("alice", ["hr"])
    login("alice")
    with clock.frozen(T0):
        resp = _create_token(client, "bad", expires_on)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "请选择今天以后、366 天以内的到期日（最晚 2027-03-03）" in html
    assert 'value="bad"' in html  # the input is kept
    assert db.session.scalars(sa.select(ApiToken)).all() == []


def test_token_expiry_that_is_not_a_date_is_a_form_error(client, make_user, login, db):
    make_user("alice", ["hr"])
    login("alice")
    resp = _create_token(client, "bad", "31/03/2026")
    assert resp.status_code == 422 and "不是有效的日期值" in resp.get_data(as_text=True)
    assert db.session.scalars(sa.select(ApiToken)).all() == []


def test_token_of_a_disabled_user_is_refused(client, make_user, token_for, db):
    alice = make_user("alice", ["hr"])
    headers = token_for(alice)
    assert client.get("/api/v1/people", headers=headers).status_code == 200
    db.session.merge(alice).is_enabled = False
    db.session.commit()
    assert client.get("/api/v1/people", headers=headers).status_code == 401


def test_profile_lists_only_ones_own_tokens_with_their_use(client, make_user, login, token_for, db):
    bob = make_user("bob", ["hr"])
    bob_token = services.issue_token(db.session, db.session.merge(bob), "bob-secret-script")
    alice = make_user("alice", ["hr"])
    headers = token_for(alice)  # named "test"
    db.session.commit()
    with clock.frozen(T0):
        assert client.get("/api/v1/people", headers=headers).status_code == 200
    login("alice")
    html = client.get("/profile").get_data(as_text=True)
    rows = html.split('id="token-list"')[1].split("</table>")[0]
    assert rows.count("<tr data-token-state") == 1
    assert "bob-secret-script" not in html and bob_token[:10] not in html
    assert "2026-03-02 09:00" in rows  # last used, in local time
    assert "长期有效" in rows  # no expiry
    assert "data-confirm=" in rows  # revoking asks first


def test_token_last_use_is_written_at_most_every_few_minutes(client, make_user, token_for, db):
    alice = make_user("alice", ["hr"])
    headers = token_for(alice)
    seen = []
    for minutes in (0, 1, 6):
        with clock.frozen(T0 + timedelta(minutes=minutes)):
            assert client.get("/api/v1/people", headers=headers).status_code == 200
        seen.append(db.session.scalars(sa.select(ApiToken.last_used_at)).one())
    assert seen == [T0, T0, T0 + timedelta(minutes=6)]


def test_users_cli_token_with_expiry(app, make_user, db):
    make_user("carol", ["hr"])
    runner = app.test_cli_runner()
    with clock.frozen(T0):
        result = runner.invoke(args=["users", "token", "carol", "--expires", "2026-04-01"])
        assert result.exit_code == 0, result.output
        row = db.session.scalars(sa.select(ApiToken)).one()
        assert clock.local(row.expires_at).date() == date(2026, 4, 1)
        result = runner.invoke(args=["users", "token", "carol", "--expires", "2026-03-01"])
        assert result.exit_code != 0 and "请选择今天以后" in result.output
