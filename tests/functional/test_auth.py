"""Login, logout, CSRF, the login rate limit, personal API tokens and security headers."""

import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.auth.models import ApiToken
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


def test_login_is_rate_limited(client, app, make_user):
    make_user("alice", ["hr"])
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    page = client.get("/login").get_data(as_text=True)
    token = csrf_from(page)
    codes = [
        client.post(
            "/login", data={"username": "alice", "password": "nope-nope", "csrf_token": token}
        ).status_code
        for _ in range(limit + 1)
    ]
    assert codes[:limit] == [200] * limit
    assert codes[limit] == 429
    # Even the right password is refused while limited.
    resp = client.post(
        "/login",
        data={"username": "alice", "password": "correct horse battery", "csrf_token": token},
    )
    assert resp.status_code == 429


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
    assert result.exit_code != 0 and "password: 密码至少需要 8 个字符" in result.output
    result = runner.invoke(
        args=["users", "create", "dave", "--role", "hr", "--staff-no", "X999", "--password-stdin"],
        input="a-long-password\n",
    )
    assert result.exit_code != 0 and "X999" in result.output
