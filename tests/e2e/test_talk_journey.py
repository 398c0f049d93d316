"""A department head in a real browser: sees the integrity reminder they owe to an officer on a
sensitive post, starts the record from 我的谈话, fills, saves and signs it; the officer signs in
another browser; the head finalises; the obligation shows done."""

from datetime import date

import pytest
import sqlalchemy as sa

from supervision.talks.models import Talk
from tests import factories
from tests.e2e.conftest import log_in, new_page


@pytest.fixture
def frozen_now(app):
    """The live server (same process) sees 2025-09-20 10:00 local; reset afterwards."""
    app.config["SUPERVISION_FAKE_NOW"] = "2025-09-20T10:00:00+08:00"
    yield
    app.config.pop("SUPERVISION_FAKE_NOW", None)


def test_head_holds_the_owed_talk(page, browser, live_server, make_user, db, frozen_now):
    s = db.session
    bureau = factories.unit(s, "东湖分局", kind="branch", code="DH")
    station = factories.unit(s, "城关派出所", kind="station", parent=bureau, code="CG")
    head = factories.person(s, station, "李所长", staff_no="HA01", leadership="department_head")
    officer = factories.person(s, station, "张民警", staff_no="PA02")
    factories.person(s, station, "赵记录", staff_no="PA03")
    post = factories.post(s, station, "案件审核岗", code="CG-CASE", is_sensitive=True)
    factories.assign(s, officer, post, start=date(2019, 3, 1))
    s.flush()
    station.head_person_id = head.id
    s.commit()
    make_user("head", ["leader"], person=head)
    make_user("officer", ["staff"], person=officer)
    make_user("secretary", ["discipline_secretary"])
    make_user("hr", ["hr"])
    page.on("dialog", lambda d: d.accept())
    dashboard = f"{live_server}/obligations/?type=integrity_reminder&period=2025Q3"

    def completion_total() -> str:
        """The total row of the committee's dashboard, read in a session of its own."""
        context, sec = new_page(browser)
        try:
            log_in(sec, live_server, "secretary", factories.PASSWORD)
            sec.goto(dashboard)
            return sec.locator("main tr", has_text="合计").inner_text()
        finally:
            context.close()

    assert "0.0%" in completion_total()

    log_in(page, live_server, "head", factories.PASSWORD)
    page.goto(f"{live_server}/talks/mine")
    row = page.locator("main #owed tr", has_text="张民警")
    assert "廉政提醒谈话" in row.inner_text() and "待谈" in row.inner_text()
    row.locator("text=开始记录").click()
    assert page.input_value("#interviewee") == "张民警（PA02）"
    assert page.input_value("#interviewers") == "李所长（HA01）"
    assert page.input_value("#period") == "2025Q3"
    page.fill("#held_at", "2025-09-18T09:30")
    page.fill("#location", "所长办公室")
    page.fill("#recorder", "PA03")
    page.fill("#reason", "第三季度廉政提醒")
    page.fill("#content", "提醒严格执行涉案财物管理规定")
    page.fill("#response", "坚决遵守，主动接受监督")
    page.click("main #save")
    page.wait_for_selector("main #talk-content")
    assert "提醒严格执行涉案财物管理规定" in page.inner_text("main #talk-content")
    talk_url = page.url
    page.click("main #sign")
    page.wait_for_selector("main #participants")
    assert "已签字" in page.locator("main #participants tr", has_text="李所长").inner_text()

    # Finalising before the officer signed lists what is missing.
    page.click("main #finalize")
    assert "张民警" in page.inner_text("main #talk-missing")

    context, other = new_page(browser)
    try:
        log_in(other, live_server, "officer", factories.PASSWORD)
        other.goto(f"{live_server}/talks/mine")
        other.locator("main #to-sign a").first.click()
        other.click("main #sign")
        other.wait_for_selector("main #participants")
        assert "已签字" in other.locator("main #participants tr", has_text="张民警").inner_text()
        assert other.js_errors == []
    finally:
        context.close()

    page.goto(talk_url)
    page.click("main #finalize")
    page.wait_for_selector("main #revise")
    assert "已定稿" in page.inner_text("main")
    page.goto(f"{live_server}/talks/mine")
    row = page.locator("main #owed tr", has_text="张民警")
    assert "已谈" in row.inner_text()
    assert page.js_errors == []
    assert db.session.scalar(sa.select(Talk.status)) == "final"

    # The committee's figure moved, and HR sees that the talk exists but not what was said.
    assert "100.0%" in completion_total()
    context, hr = new_page(browser)
    try:
        log_in(hr, live_server, "hr", factories.PASSWORD)
        hr.goto(talk_url)
        assert "张民警" in hr.inner_text("main") and "廉政提醒谈话" in hr.inner_text("main")
        assert "提醒严格执行涉案财物管理规定" not in hr.content()
        assert "坚决遵守" not in hr.content()
    finally:
        context.close()
