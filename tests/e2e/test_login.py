"""A real browser logs in, sees the home page in Chinese, switches to English."""

from tests import factories
from tests.e2e.conftest import log_in


def test_login_home_and_language_switch(page, live_server, make_user, db):
    unit = factories.unit(db.session, "分局", kind="branch")
    factories.person(db.session, unit, "张三")
    db.session.commit()
    make_user("admin", ["admin"])

    page.goto(f"{live_server}/")
    assert "/login" in page.url
    assert page.locator("h1").inner_text() == "登录"

    page.fill("#username", "admin")
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.content()

    log_in(page, live_server, "admin", factories.PASSWORD)
    assert "欢迎" in page.inner_text("h1")
    assert page.locator('[data-count="people"]').inner_text() == "1"

    page.click("text=English")
    assert "Welcome" in page.inner_text("h1")
    assert page.js_errors == []
