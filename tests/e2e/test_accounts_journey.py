"""Accounts in a real browser (SPEC §4): a user changes their own password and logs in with
the new one; an administrator grants 纪委委员, the pages show it pending, a second discipline
secretary confirms it, and the user then sees a talk they could not see before."""

from datetime import UTC, datetime

from tests import factories
from tests.e2e.conftest import log_in, new_page

NEW_PASSWORD = "my-own-new-pass-2026"


def test_a_user_changes_their_password(page, live_server, make_user):
    make_user("zhang", ["staff"])
    log_in(page, live_server, "zhang", factories.PASSWORD)
    page.click("#nav-password")
    page.wait_for_url(f"{live_server}/account/password")

    page.fill("#current_password", factories.PASSWORD)
    page.fill("#new_password", "qwertyuiop")
    page.fill("#new_password2", "qwertyuiop")
    page.click("main button[type=submit]")
    assert "常见密码" in page.inner_text("main")

    page.fill("#current_password", factories.PASSWORD)
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#new_password2", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/profile")
    assert "密码已修改" in page.inner_text("main")

    page.click("nav button[type=submit]")  # log out
    page.wait_for_url(f"{live_server}/login")
    page.fill("#username", "zhang")
    page.fill("#password", factories.PASSWORD)
    page.click("main button[type=submit]")
    assert "用户名或密码错误" in page.inner_text("main")
    log_in(page, live_server, "zhang", NEW_PASSWORD)
    assert page.js_errors == []


def test_a_pending_grant_confirmed_by_a_second_secretary(page, browser, live_server, make_user, db):
    s = db.session
    unit = factories.unit(s, "东湖分局", kind="branch")
    wang = factories.person(s, unit, "王书记")
    zhang = factories.person(s, unit, "张委员")
    leader = factories.person(s, unit, "李局长", leadership="team_member")
    factories.final_talk(s, leader, [wang], datetime(2026, 3, 10, 2, tzinfo=UTC), location="谈话室")
    s.commit()
    make_user("root", ["admin"])
    make_user("wang", ["discipline_secretary"], person=wang)
    user = make_user("zhang", ["staff"], person=zhang)
    file_url = f"{live_server}/integrity/{leader.id}"

    # Before: the talk is out of reach.
    log_in(page, live_server, "zhang", factories.PASSWORD)
    assert page.goto(file_url).status == 403

    # The administrator ticks 纪委委员: it stays pending.
    admin_ctx, admin = new_page(browser)
    admin.on("dialog", lambda d: d.accept())
    log_in(admin, live_server, "root", factories.PASSWORD)
    admin.goto(f"{live_server}/admin/users/{user.id}/edit")
    admin.check("main input[name=roles][value=discipline_member]")
    admin.click("main button[type=submit]")
    admin.wait_for_url(f"{live_server}/admin/users/")
    row = admin.locator("main tr", has_text="zhang")
    assert "待确认：纪委委员（由 root 于" in row.inner_text()
    admin.goto(f"{live_server}/admin/users/{user.id}/edit")
    assert "待确认：纪委委员" in admin.inner_text("#pending-grants")
    admin_ctx.close()
    assert page.goto(file_url).status == 403

    # A discipline secretary (not the grantor) confirms it on the pending-grants page.
    sec_ctx, sec = new_page(browser)
    sec.on("dialog", lambda d: d.accept())
    log_in(sec, live_server, "wang", factories.PASSWORD)
    sec.goto(f"{live_server}/admin/role-grants/")
    grant_row = sec.locator("#pending-grants tr", has_text="zhang")
    assert "纪委委员" in grant_row.inner_text() and "root" in grant_row.inner_text()
    grant_row.locator("button", has_text="确认").click()
    sec.wait_for_url(f"{live_server}/admin/role-grants/")
    assert "已确认" in sec.inner_text("main")
    assert sec.locator("#no-pending-grants").count() == 1
    assert sec.js_errors == []
    sec_ctx.close()

    # After: the member reads the leader's file, with the talk in it.
    resp = page.goto(file_url)
    assert resp.status == 200
    talks = page.inner_text("#talks")
    assert "2026-03-10" in talks and "王书记" in talks
    assert page.js_errors == []
