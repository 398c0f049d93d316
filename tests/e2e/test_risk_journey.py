"""A department head and the discipline secretary in real browsers: the head adds a risk point
with two measures for a sensitive post and submits it; the secretary returns it with a
comment from the campaign page; the head sees the comment, fixes and resubmits; the
secretary approves."""

from datetime import date

import sqlalchemy as sa

from supervision.org import services as org_services
from supervision.risks import services as risk_services
from supervision.risks.models import RiskApproval, RiskPoint
from tests import factories
from tests.e2e.conftest import log_in, new_page


def test_head_submits_secretary_returns_then_approves(page, browser, live_server, make_user, db):
    s = db.session
    bureau = factories.unit(s, "东湖分局", kind="branch", code="DH")
    station = factories.unit(s, "城关派出所", kind="station", parent=bureau, code="CG")
    chief = factories.person(s, bureau, "王局长", staff_no="TM01", leadership="team_member")
    head = factories.person(s, station, "李所长", staff_no="HA01", leadership="department_head")
    factories.person(s, station, "张民警", staff_no="PA02")
    org_services.update_unit(
        s, station, {"head_person_id": head.id, "supervising_leader_id": chief.id}
    )
    post = factories.post(s, station, "案件审核岗", code="CG-CASE", is_sensitive=True)
    risk_services.open_campaign(
        s, {"name": "2026年廉政风险排查", "year": 2026, "deadline": date(2026, 12, 31)}
    )
    s.commit()
    station_id, post_id = station.id, post.id
    make_user("head", ["leader"], person=head)
    make_user("secretary", ["discipline_secretary"])

    # The head adds a risk point with two measures (the second row added by JavaScript).
    log_in(page, live_server, "head", factories.PASSWORD)
    page.click("nav >> text=廉政风险排查")
    page.wait_for_load_state()  # app.js, which submits the filter on change, has run
    page.select_option("#f-org_unit_id", str(station_id))
    page.wait_for_url(f"**org_unit_id={station_id}**")
    page.click("main >> text=新建廉政风险点")
    assert page.input_value("#department_owner_staff_no") == "HA01"
    assert page.input_value("#responsible_leader_staff_no") == "TM01"
    page.select_option("#post_id", str(post_id))
    page.fill("#title", "违规处置涉案财物")
    page.fill("#manifestation", "私自截留、挪用涉案财物")
    page.select_option("#category", "duty")
    page.select_option("#likelihood", "4")
    page.select_option("#impact", "4")
    page.fill("#measures-0-description", "涉案财物集中管理，双人保管")
    page.fill("#measures-0-owner_staff_no", "PA02")
    page.click("main >> #add-measure")
    page.fill("#measures-3-description", "每季度盘点并留痕")
    page.fill("#measures-3-due_on", "2030-06-30")
    page.click("main button[type=submit]:has-text('保存')")
    page.wait_for_selector("#measures")
    measures = page.inner_text("#measures")
    assert "双人保管" in measures and "张民警" in measures and "每季度盘点" in measures
    assert "一级" in page.inner_text("main")
    page.click("main >> #submit-point")
    page.wait_for_selector("text=已提交，等待纪委审核")

    # The secretary finds it on the campaign page and returns it with a comment.
    context2, sec = new_page(browser)
    try:
        log_in(sec, live_server, "secretary", factories.PASSWORD)
        sec.click("nav >> text=廉政风险排查")
        sec.click('main .nav-tabs >> text="排查"')
        sec.click("main >> text=2026年廉政风险排查")
        assert "已提交" in sec.inner_text("#campaign-units")
        sec.click("#awaiting-review >> text=违规处置涉案财物")
        sec.click("main >> #return")
        assert "此项为必填项" in sec.inner_text("#point-actions")
        sec.fill("#comment", "防控措施不够具体，请补充责任人和时限")
        sec.click("main >> #return")
        sec.wait_for_selector("text=廉政风险点已退回单位")

        # The head sees the comment, fixes the measure and resubmits.
        page.reload()
        assert "防控措施不够具体" in page.inner_text("#return-comment")
        page.click("main >> text=编辑")
        assert "防控措施不够具体" in page.inner_text("#return-comment")
        page.fill("#measures-1-owner_staff_no", "HA01")
        page.fill("#measures-1-due_on", "2030-03-31")
        page.click("main button[type=submit]:has-text('保存')")
        page.wait_for_selector("#submit-point")
        page.click("main >> #submit-point")
        page.wait_for_selector("text=已提交，等待纪委审核")

        # The secretary approves from the campaign page.
        sec.click("nav >> text=廉政风险排查")
        sec.click('main .nav-tabs >> text="排查"')
        sec.click("main >> text=2026年廉政风险排查")
        sec.click("#awaiting-review >> text=违规处置涉案财物")
        sec.click("main >> #approve")
        sec.wait_for_selector("text=廉政风险点已通过")
        assert "已通过" in sec.inner_text("main")
        sec.click("main >> text=2026年廉政风险排查")
        assert "已通过" in sec.inner_text("#campaign-units")
        assert sec.js_errors == []
    finally:
        context2.close()

    s.expire_all()
    point = s.scalar(sa.select(RiskPoint))
    assert point.status == "approved" and point.return_comment == ""
    assert [
        (m.description, m.owner.staff_no if m.owner else None, m.due_on) for m in point.measures
    ] == [
        ("涉案财物集中管理，双人保管", "PA02", None),
        ("每季度盘点并留痕", "HA01", date(2030, 3, 31)),
    ]
    assert s.scalar(sa.select(sa.func.count()).select_from(RiskApproval)) == 1
    assert page.js_errors == []
