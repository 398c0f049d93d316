"""HR in a real browser: download the office-layout template from the roster page, fill it
as an office does (title kept, dropdown values, a synonym, an extra column), upload it, see
the result; then an error list in Chinese, sorted by row."""

import sqlalchemy as sa
from openpyxl import load_workbook

from supervision.org.models import Person
from tests import factories
from tests.e2e.conftest import log_in


def _download_template(page, tmp_path):
    with page.expect_download() as info:
        page.click("#roster-template")
    download = info.value
    assert download.suggested_filename == "花名册模板.xlsx"
    path = tmp_path / "template.xlsx"
    download.save_as(path)
    return path


def test_hr_fills_the_office_template_and_imports_it(page, live_server, make_user, db, tmp_path):
    s = db.session
    bureau = factories.unit(s, "东湖分局", kind="branch", code="DH")
    factories.unit(s, "东湖派出所", kind="station", parent=bureau, code="PCS1")
    s.commit()
    make_user("hr", ["hr"])
    log_in(page, live_server, "hr", factories.PASSWORD)
    page.goto(f"{live_server}/org/roster")

    wb = load_workbook(_download_template(page, tmp_path))
    people = wb["人员"]
    assert people["A2"].value == "工号" and people["A1"].value.startswith("东湖分局")
    people["L2"] = "备注"
    people.append(["E001", "孙办公", "民警", "PCS1", "无", None, "2019-07-15"])
    people.append(["E002", "周协警", "协警", "PCS1", None, None, "2021-03-01"])
    people["K3"], people["K4"], people["L4"] = "在职", "离职", "借调"
    filled = tmp_path / "人员花名册.xlsx"
    wb.save(filled)

    page.set_input_files("#file", str(filled))
    page.check("#dry_run")
    page.click("main button[type=submit]")
    assert "新增 2 条" in page.inner_text("#roster-summary")
    assert "人员 · 备注" in page.inner_text("#roster-ignored")
    s.expire_all()
    assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 0  # validated only
    page.screenshot(path=str(tmp_path / "roster-preview.png"), full_page=True)

    page.set_input_files("#file", str(filled))
    page.uncheck("#dry_run")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "已导入" in page.inner_text("#roster-summary")
    s.expire_all()
    zhou = s.scalar(sa.select(Person).where(Person.staff_no == "E002"))
    assert (zhou.personnel_type, zhou.is_active) == ("auxiliary", False)

    bad = load_workbook(filled)
    bad["人员"].append(["E003", "吴", "文职", "NOPE"])
    bad["人员"]["B3"] = None
    bad.save(tmp_path / "bad.xlsx")
    page.set_input_files("#file", str(tmp_path / "bad.xlsx"))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    rows = page.locator("#roster-errors tbody tr").all_inner_texts()
    assert [r.split("\t")[1] for r in rows] == ["3", "5", "5"]
    assert "姓名" in rows[0] and "必须是以下之一：民警、辅警" in rows[1]
    page.screenshot(path=str(tmp_path / "roster-errors.png"), full_page=True)
    assert page.js_errors == []
