"""Accounts (SPEC §4): everyone changes their own password (the current one required), the
policy (10 characters, not common, not the username, not the current one), and the forced
change after an administrator set a password on the page or with `users password`."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.auth.models import User
from supervision.auth.passwords import MIN_PASSWORD_LENGTH, is_common, policy_errors
from supervision.demo.loader import DEMO_PASSWORD
from tests import factories
from tests.conftest import csrf_from

NEW = "a-new-pass-for-zhang"


def _change(client, current, new, again=None):
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    return client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": current,
            "new_password": new,
            "new_password2": new if again is None else again,
        },
    )


def _state(db, username):
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.username == username))
    return user.password_hash, user.session_epoch, user.must_change_password


def _password_entries(db, user_id):
    return db.session.scalars(
        sa.select(AuditEntry.changes).where(
            AuditEntry.object_type == "user",
            AuditEntry.object_id == str(user_id),
            AuditEntry.changes.like('%"password"%'),
        )
    ).all()


def test_the_policy(app):
    with app.test_request_context():
        assert MIN_PASSWORD_LENGTH == 10
        assert policy_errors(DEMO_PASSWORD, "admin") == []
        assert policy_errors(factories.PASSWORD, "alice") == []
        assert policy_errors("nine-char", "x")  # 9 characters
        assert policy_errors("QWERTYUIOP", "x") and is_common("qwertyuiop")
        assert is_common("woaini1314")  # the supplement's Chinese ones
        assert policy_errors("zhang-police", "Zhang-Police")
        assert policy_errors("x" * 257, "x")


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("wrong current password", NEW, None, "当前密码不正确"),
        (factories.PASSWORD, "short-pw", None, "密码至少需要 10 个字符"),
        (factories.PASSWORD, "password123", None, "常见密码"),
        (factories.PASSWORD, "zhang-account", None, "不能与用户名相同"),
        (factories.PASSWORD, NEW, NEW + "!", "两次输入的新密码不一致"),
        (factories.PASSWORD, factories.PASSWORD, None, "不能与当前密码相同"),
    ],
)
def test_a_refused_change_says_why_and_writes_nothing(
    client, db, make_user, login, current, new, again, message
):
    user = make_user("zhang-account", ["staff"])
    login("zhang-account")
    before = _state(db, "zhang-account")
    resp = _change(client, current, new, again)
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert _state(db, "zhang-account") == before
    assert _password_entries(db, user.id) == []


def test_wrong_current_passwords_count_as_failed_logins(client, app, db, make_user, login):
    """A stolen session cannot guess the password on the change page faster than on the
    login page: the fifth wrong current password locks the account (audited), the right
    one is then refused too, and so is the login; another account is not affected."""
    user = make_user("zhang", ["staff"])
    make_user("li", ["staff"])
    login("zhang")
    answers = [_change(client, f"wrong-guess-{i}", NEW).status_code for i in range(5)]
    assert answers == [422, 422, 422, 422, 429]
    before = _state(db, "zhang")
    resp = _change(client, factories.PASSWORD, NEW)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in resp.get_data(as_text=True)
    assert _state(db, "zhang") == before
    locked = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "login_locked")
    ).all()
    assert [(e.object_id, '"account"' in e.changes) for e in locked] == [(str(user.id), True)]
    other = app.test_client()
    token = csrf_from(other.get("/login").get_data(as_text=True))
    refused = other.post(
        "/login",
        data={"username": "zhang", "password": factories.PASSWORD, "csrf_token": token},
    )
    assert refused.status_code == 429
    login("li", c=app.test_client())  # asserts the redirect of a successful login


def test_changing_the_password_ends_every_other_session(client, app, db, make_user, login):
    user = make_user("zhang", ["staff"])
    other = login("zhang", c=app.test_client())
    login("zhang")
    assert client.get("/account/password").status_code == 200
    assert "修改密码" in client.get("/profile").get_data(as_text=True)

    resp = _change(client, factories.PASSWORD, NEW)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/profile")
    assert "密码已修改" in client.get("/profile").get_data(as_text=True)
    # This browser stays signed in; the other one is signed out.
    assert client.get("/profile").status_code == 200
    assert other.get("/profile").status_code == 302
    assert "/login" in other.get("/profile").headers["Location"]

    fresh = app.test_client()
    page = fresh.get("/login").get_data(as_text=True)
    old = fresh.post(
        "/login",
        data={"username": "zhang", "password": factories.PASSWORD, "csrf_token": csrf_from(page)},
    )
    assert old.status_code != 302
    login("zhang", NEW, c=app.test_client())
    entries = _password_entries(db, user.id)
    assert len(entries) == 1 and NEW not in entries[0] and "(changed)" in entries[0]


def _admin_sets(client, user, password):
    url = f"/admin/users/{user.id}/edit"
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(
        url,
        data={
            "csrf_token": token,
            "username": user.username,
            "roles": sorted(user.roles),
            "is_enabled": "y",
            "password": password,
        },
    )


def _assert_forced(app, db, username, password):
    """`username` logs in with `password`, is held on the change page (pages redirect there,
    the API answers 403) until they change it, and is free afterwards."""
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    resp = c.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_from(page)}
    )
    assert resp.status_code == 302
    for path in ("/", "/profile", "/notifications/"):
        resp = c.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/password")
    page = c.get("/account/password").get_data(as_text=True)
    assert "您的密码由管理员设置" in page
    api = c.get("/api/v1/notifications")
    body = api.get_json()
    assert api.status_code == 403 and body["code"] == "password_change_required"
    assert "修改密码" in body["message"]
    assert c.get("/lang/zh_CN?next=/account/password").status_code == 302
    assert c.get("/static/js/app.js").status_code == 200

    resp = _change(c, password, "my-own-new-pass-2026")
    assert resp.status_code == 302
    assert c.get("/").status_code == 200
    assert c.get("/api/v1/notifications").status_code == 200
    assert _state(db, username)[2] is False


def test_a_password_set_by_the_admin_must_be_changed(client, app, db, make_user, login):
    make_user("root", ["admin"])
    user = make_user("zhang", ["staff"])
    zhang = login("zhang", c=app.test_client())
    login("root")

    resp = _admin_sets(client, user, "qwertyuiop")
    assert resp.status_code == 422 and "常见密码" in resp.get_data(as_text=True)
    assert _state(db, "zhang")[2] is False

    resp = _admin_sets(client, user, "set-by-the-admin-1")
    assert resp.status_code == 302
    hashed, epoch, forced = _state(db, "zhang")
    assert forced is True
    assert zhang.get("/profile").status_code == 302  # their open session ended
    entries = _password_entries(db, user.id)
    assert len(entries) == 1 and "set-by-the-admin-1" not in entries[0]
    _assert_forced(app, db, "zhang", "set-by-the-admin-1")


def test_an_admin_changes_their_own_password_on_the_change_page(client, db, make_user, login):
    root = make_user("root", ["admin"])
    login("root")
    resp = _admin_sets(client, root, "another-admin-pass")
    assert resp.status_code == 403 and "修改密码" in resp.get_data(as_text=True)
    assert _state(db, "root")[2] is False


def test_new_accounts_from_the_page_change_their_password_at_first_login(
    client, app, db, make_user, login
):
    make_user("root", ["admin"])
    login("root")
    url = "/admin/users/new"
    token = csrf_from(client.get(url).get_data(as_text=True))
    data = {"csrf_token": token, "username": "li", "roles": ["hr"], "is_enabled": "y"}
    resp = client.post(url, data={**data, "password": "short-pw"})
    assert resp.status_code == 422 and "10" in resp.get_data(as_text=True)
    resp = client.post(url, data={**data, "password": "first-password-li"})
    assert resp.status_code == 302
    _assert_forced(app, db, "li", "first-password-li")


def test_users_password_cli(app, db, make_user, token_for):
    user = make_user("zhang", ["staff"])
    bearer = token_for(user)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "password", "zhang"], input="1234567890\n")
    assert result.exit_code != 0 and "常见密码" in result.output
    result = runner.invoke(args=["users", "password", "nobody"], input="cli-set-password\n")
    assert result.exit_code != 0
    assert _state(db, "zhang")[2] is False

    result = runner.invoke(args=["users", "password", "zhang"], input="cli-set-password\n")
    assert result.exit_code == 0, result.output
    assert _state(db, "zhang")[2] is True
    # Tokens keep their owner, who must change the password first.
    api = app.test_client().get("/api/v1/notifications", headers=bearer)
    assert api.status_code == 403 and api.get_json()["code"] == "password_change_required"
    entry = _password_entries(db, user.id)[-1]
    assert "cli-set-password" not in entry
    _assert_forced(app, db, "zhang", "cli-set-password")
