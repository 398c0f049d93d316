"""Issue 15's journey in real browsers: the discipline secretary records an inspection and two
problems with their measures; the station head (the responsible leader and owner) marks his
measure done with its result, links the talk he held as evidence and requests the sign-off;
the secretary signs the problem off from the sign-off queue, and the ledger shows it."""

from datetime import UTC, datetime

import sqlalchemy as sa

from supervision.org import services as org_services
from supervision.rectification.models import Finding, Inspection
from tests import factories
from tests.e2e.conftest import log_in, new_page
from tests.functional.test_documents import libreoffice_pdfs, pdftotext


def _accept_confirmations(page):
    """The forms with data-confirm ask first (static/js/app.js): say yes."""
    page.on("dialog", lambda dialog: dialog.accept())


def test_secretary_records_leader_rectifies_secretary_signs_off(
    page, browser, live_server, make_user, db, tmp_path
):
    s = db.session
    bureau = factories.unit(s, "东湖分局", kind="branch", code="DH")
    station = factories.unit(s, "城关派出所", kind="station", parent=bureau, code="CG")
    traffic = factories.unit(s, "交警大队", parent=bureau, code="JJ")
    chief = factories.person(s, bureau, "王局长", staff_no="TM01", leadership="team_member")
    head = factories.person(s, station, "李所长", staff_no="HA01", leadership="department_head")
    officer = factories.person(s, station, "张民警", staff_no="PA02")
    org_services.update_unit(s, station, {"head_person_id": head.id})
    org_services.update_unit(s, bureau, {"head_person_id": chief.id})
    talk = factories.final_talk(s, officer, [head], datetime(2026, 10, 20, 2, tzinfo=UTC))
    s.commit()
    station_id, traffic_id, talk_id = station.id, traffic.id, talk.id
    make_user("secretary", ["discipline_secretary"])
    make_user("head", ["leader"], person=head)
    _accept_confirmations(page)

    # The secretary records the inspection: the area is empty, the button creates one.
    log_in(page, live_server, "secretary", factories.PASSWORD)
    page.click("nav >> text=巡察整改")
    page.click("nav >> text=巡察整改台账")
    page.wait_for_selector("#no-inspections")
    page.click("#new-inspection")
    page.fill("#name", "十五届市委第五轮巡察")
    page.fill("#inspector", "市委第八巡察组")
    page.select_option("#org_unit_id", str(bureau.id))
    page.fill("#feedback_on", "2026-10-01")
    page.fill("#leader", "王局长")
    page.fill("#duty-0-heading", "一是提高政治站位")
    page.fill("#duty-0-body", "党委召开专题会议研究部署整改工作。")
    page.fill("#next_steps-0-body", "持续巩固整改成果。")
    page.click("#save-inspection")
    page.wait_for_selector("#counts")
    assert "2026-12-30" in page.inner_text("#inspection-fields")  # feedback + 90 days
    inspection_url = page.url

    # Two problems, each with a measure.
    def add_finding(category, title, leader, unit_id, measures, owner):
        page.goto(inspection_url)
        page.click("#new-finding")
        page.fill("#category", category)
        page.fill("#title", title)
        page.fill("#responsible_leader", leader)
        page.select_option("#lead_unit_id", str(unit_id))
        page.click("#save-finding")
        page.wait_for_selector("#finding-fields")
        for measure in measures:
            page.click("#add-measure summary")
            page.fill("#measure-form #description", measure)
            page.fill("#measure-form #owner", owner)
            page.click("#measure-form button[type=submit]")
            page.wait_for_selector(f".measure >> text={measure}")

    add_finding(
        "聚焦全面从严管党治警情况", "强化保密工作", "李所长（HA01）", station_id,
        ["开展保密专项检查", "组织保密教育培训"], "李所长",
    )  # fmt: skip
    add_finding(
        "聚焦党中央决策部署在基层贯彻落实情况", "规范执法办案", "王局长", traffic_id,
        ["开展案件评查"], "王局长",
    )  # fmt: skip
    first_id = db.session.scalar(sa.select(Finding.id).where(Finding.title == "强化保密工作"))

    # The station head marks his measure done, links the talk and requests the sign-off.
    context, leader = new_page(browser)
    _accept_confirmations(leader)
    log_in(leader, live_server, "head", factories.PASSWORD)
    leader.click("nav >> text=巡察整改")
    leader.click("nav >> text=我的整改任务")
    assert "规范执法办案" not in leader.inner_text("main")
    leader.click("#my-findings >> text=强化保密工作")
    for n, result in enumerate(("检查涉密计算机52台，整改问题3处", "培训民警120人次"), 1):
        leader.click(".measure .done-details summary >> nth=0")  # the first still open
        leader.fill(".done-form textarea >> nth=0", result)
        leader.click(".done-form button[type=submit] >> nth=0")
        leader.wait_for_function(
            "n => document.querySelectorAll('.measure.border-success').length === n", arg=n
        )
    leader.click(".measure .evidence-details summary")
    leader.select_option(".evidence-link-form select >> nth=0", f"talk:{talk_id}")
    leader.click(".evidence-link-form button[type=submit]")
    leader.wait_for_selector(f"a.evidence-link[href='/talks/{talk_id}']")
    leader.fill("#request-form textarea", "保密问题已全部整改到位。")
    leader.click("#request-form button[type=submit]")
    leader.wait_for_selector("[data-status=completion_requested]")
    assert leader.js_errors == []
    context.close()

    # The secretary signs it off from the queue; the ledger shows it completed.
    page.click("nav >> text=巡察整改")
    page.click("nav >> text=待销号审核")
    card = page.locator(f"#sign-off-{first_id}")
    assert "保密问题已全部整改到位" in card.inner_text()
    assert "检查涉密计算机52台" in card.inner_text()
    card.locator("textarea").fill("整改到位，同意销号。")
    card.locator("button:has-text('销号')").click()
    page.wait_for_selector("#queue-empty")
    page.goto(inspection_url)
    assert page.inner_text("#count-completed") == "1"
    row = page.locator(f"tr[data-finding='{first_id}']")
    assert "已销号" in row.inner_text()
    assert db.session.scalar(sa.select(Inspection.name)) == "十五届市委第五轮巡察"

    # The progress notice, as PDF and as Word opened by LibreOffice: the finding under its
    # category, its measures written 一是…二是… with their results, the narrative.
    texts = []
    for selector in ("#notice-pdf", "#notice-docx"):
        with page.expect_download() as info:
            page.click(selector)
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        assert target.name.startswith("中共东湖分局")  # the factory numbers unit names
        assert "委员会关于十五届市委第五轮巡察整改进展情况的通报" in target.name
        if target.suffix == ".docx":
            (target,) = libreoffice_pdfs(tmp_path, target)
        texts.append(pdftotext(target))
    for text in texts:
        assert "二、巡察反馈重点问题整改落实情况" in text
        category = text.index("聚焦全面从严管党治警情况")
        finding = text.index("强化保密工作", category)
        first = text.index("一是开展保密专项检查", finding)
        assert text.index("检查涉密计算机52台", first) < text.index("二是组织保密教育培训", first)
        assert "培训民警120人次" in text[first:]
        assert "党委召开专题会议研究部署整改工作" in text

    assert page.js_errors == []
