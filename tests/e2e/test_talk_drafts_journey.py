"""A department head in a real browser (issue 13 item 6, item 8): chooses the interviewee by
searching for a name, sees the character counter, saves the draft, adds and removes an
attachment, deletes the draft (each after a confirmation page); a talk page fits a phone
390 px wide without horizontal scrolling."""

from datetime import date, datetime
from pathlib import Path

import pytest

from supervision.talks import services as talks
from tests import factories
from tests.e2e.conftest import ARTIFACTS, log_in

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def frozen_now(app, tmp_path, monkeypatch):
    """The live server (same process) sees 2025-09-20 10:00 local; attachments in tmp."""
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(tmp_path / "files"))
    monkeypatch.setitem(app.config, "SUPERVISION_FAKE_NOW", "2025-09-20T10:00:00+08:00")


@pytest.fixture
def station(db, make_user):
    s = db.session
    bureau = factories.unit(s, "东湖分局", kind="branch", code="DH")
    station = factories.unit(s, "城关派出所", kind="station", parent=bureau, code="CG")
    head = factories.person(s, station, "李所长", staff_no="HA01", leadership="department_head")
    officer = factories.person(s, station, "张民警", staff_no="PA02", hire_date=date(2019, 3, 1))
    recorder = factories.person(s, station, "赵记录", staff_no="PA03")
    s.flush()
    station.head_person_id = head.id
    s.commit()
    make_user("head", ["leader"], person=head)
    return {"head": head, "officer": officer, "recorder": recorder}


def test_draft_by_search_attachment_removed_and_deleted(
    page, live_server, station, frozen_now, tmp_path
):
    log_in(page, live_server, "head", factories.PASSWORD)
    page.goto(f"{live_server}/talks/new")
    page.fill("#held_at", "2025-09-18T09:30")
    # Search by part of the name: the suggestions come from the JSON search.
    page.locator("#interviewee").press_sequentially("张民", delay=50)
    option = page.locator("#talk-people option")
    option.first.wait_for(state="attached")
    assert option.first.get_attribute("value") == "张民警（PA02）"
    assert "城关派出所" in option.first.inner_text()
    page.fill("#interviewee", option.first.get_attribute("value"))
    page.fill("#location", "所长办公室")
    page.fill("#content", "提醒严格执行涉案财物管理规定")
    assert page.inner_text("#content-counter") == "已输入 14 / 50000 字"
    page.click("main #save")
    page.wait_for_selector("main #talk-fields")
    assert "张民警" in page.inner_text("main #participants")
    talk_url = page.url

    upload = tmp_path / "错传的文件.pdf"
    upload.write_bytes(PDF)
    page.select_option("#kind", "other")
    page.set_input_files("#file", str(upload))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("main #attachments")
    assert "错传的文件.pdf" in page.inner_text("main #attachments")

    page.click("main #attachments .remove-attachment")
    assert "错传的文件.pdf" in page.inner_text("main #remove-summary")
    page.click("main #confirm-remove")
    page.wait_for_url(talk_url)
    assert "已删除附件 错传的文件.pdf" in page.inner_text("main")
    assert page.locator("main #attachments").count() == 0

    page.click("main #delete")
    assert "删除后无法恢复" in page.inner_text("main #delete-warning")
    page.click("main #confirm-delete")
    page.wait_for_url(f"{live_server}/talks/")
    assert "已删除" in page.inner_text("main .alert-success")
    assert page.goto(talk_url).status == 404
    assert page.js_errors == []


def test_a_talk_page_fits_a_phone(browser, live_server, station, db, frozen_now):
    s = db.session
    talk = factories.draft_talk(
        s,
        station["officer"],
        [station["head"], station["recorder"]],
        held_at=datetime.fromisoformat("2025-09-18T09:30:00+08:00"),
        location="城关派出所二楼所长办公室（谈话室）",
        reason="第三季度廉政提醒谈话，重点提示涉案财物管理、执法办案和窗口服务中的廉政风险",
        content="提醒严格执行涉案财物管理规定。" * 12 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 4,
        response="坚决遵守，主动接受监督。" * 6,
    )
    talks.add_attachment(
        s, talk, "signed_form", "纸质签字表-城关派出所-张民警-2025年第三季度.pdf", PDF
    )
    s.commit()
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    phone = context.new_page()
    try:
        log_in(phone, live_server, "head", factories.PASSWORD)
        shots = {}
        for name, path in (("detail", f"/talks/{talk.id}"), ("form", f"/talks/{talk.id}/edit")):
            phone.goto(f"{live_server}{path}")
            width = phone.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 390, f"{name}: {width}px wide"
            ARTIFACTS.mkdir(exist_ok=True)
            shots[name] = Path(ARTIFACTS / f"talk-{name}-390.png")
            phone.screenshot(path=str(shots[name]), full_page=True)
        phone.goto(f"{live_server}/talks/{talk.id}")
        assert "已上传纸质签字表" in phone.inner_text("main #participants")
    finally:
        context.close()
