"""HR in a real browser: create a person, assign a post (and see a refusal), import a roster."""

import sqlalchemy as sa
from openpyxl import Workbook

from supervision.org.models import Assignment, Person
from tests import factories
from tests.e2e.conftest import log_in


def _roster_file(path, unit_code):
    wb = Workbook()
    ws = wb.active
    ws.title = "people"
    ws.append(["staff_no", "name", "personnel_type", "org_unit_code", "leadership", "hire_date"])
    ws.append(["R001", "孙导入", "辅警", unit_code, "无", "2021-03-01"])
    ws.append(["R002", "周导入", "police", unit_code, "none", "2019-07-15"])
    wb.save(path)
    return path


def test_hr_creates_person_assigns_post_and_imports_roster(
    page, live_server, make_user, db, tmp_path
):
    s = db.session
    bureau = factories.unit(s, "东湖分局", kind="branch", code="DH")
    station = factories.unit(s, "东湖派出所", kind="station", parent=bureau, code="PCS1")
    factories.post(
        s,
        station,
        "案件审核岗",
        code="CASE-1",
        category="law_enforcement",
        is_sensitive=True,
        sworn_only=True,
    )
    s.commit()
    station_id = station.id
    make_user("hr", ["hr"])
    log_in(page, live_server, "hr", factories.PASSWORD)

    # A new person through the form; a missing name is reported first, input kept.
    page.click("nav >> text=组织人事")
    page.click("nav .dropdown-menu >> text=人员")
    page.click("text=新建人员")
    page.fill("#staff_no", "330999")
    page.select_option("#personnel_type", "auxiliary")
    page.select_option("#org_unit_id", str(station_id))
    page.fill("#birth_date", "1995-04-02")
    page.click("main button[type=submit]")
    assert page.locator(".invalid-feedback").first.is_visible()
    assert page.input_value("#staff_no") == "330999"
    page.fill("#name", "李新警")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=任职经历")
    assert "李新警" in page.inner_text("h1")

    # An auxiliary may not take a sworn-only post: the form says why and nothing is saved.
    page.click("text=安排岗位")
    page.fill("#post_code", "CASE-1")
    page.fill("#start_date", "2024-01-01")
    page.click("main button[type=submit]")
    assert "仅限民警" in page.inner_text("main form")
    assert s.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0

    # Make them sworn police, then the assignment goes through and shows in the history.
    person = s.scalar(sa.select(Person).where(Person.staff_no == "330999"))
    page.goto(f"{live_server}/org/people/{person.id}/edit")
    page.select_option("#personnel_type", "police")
    page.click("main button[type=submit]")
    page.click("text=安排岗位")
    page.fill("#post_code", "CASE-1")
    page.fill("#start_date", "2024-01-01")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=案件审核岗")
    history = page.inner_text("main table")
    assert "案件审核岗" in history and "2024-01-01" in history and "现任" in history

    # Import a roster file through the page.
    page.click("nav >> text=组织人事")
    page.click("nav .dropdown-menu >> text=花名册导入导出")
    page.set_input_files("#file", str(_roster_file(tmp_path / "roster.xlsx", "PCS1")))
    page.click("button:has-text('上传')")
    assert "新增 2 条" in page.inner_text("#roster-summary")
    s.expire_all()
    imported = s.scalars(sa.select(Person.name).where(Person.staff_no.in_(["R001", "R002"]))).all()
    assert sorted(imported) == ["周导入", "孙导入"]
    page.click("nav >> text=组织人事")
    page.click("nav .dropdown-menu >> text=人员")
    page.fill("input[name=q]", "导入")
    page.keyboard.press("Enter")
    assert "孙导入" in page.inner_text("table") and "周导入" in page.inner_text("table")
    assert page.js_errors == []
