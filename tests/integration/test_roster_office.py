"""The roster's office layout (SPEC §3, issue 13): the template and export as an office uses
them, filled the way an office fills them, and imports that accept what offices hand over."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook

from supervision.common.errors import Invalid
from supervision.org import roster, roster_export
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.scope import Scope
from tests import factories
from tests.integration.test_roster import state

SHEETS = ["组织机构", "人员", "岗位", "任职记录", "说明", "代码表"]


@pytest.fixture
def bureau(db):
    """A bureau with a station, a post in it and one person holding it."""
    top = factories.unit(db.session, name="东湖公安分局", kind="branch", code="DH")
    station = factories.unit(
        db.session, name="城关派出所", kind="station", code="DH-CG", parent=top
    )
    post = factories.post(db.session, station, name="户籍窗口", code="P-HJ", is_sensitive=True)
    who = factories.person(db.session, station, name="王强", staff_no="0101", email="w@x.cn")
    factories.assign(db.session, who, post, start=date(2021, 3, 1))
    db.session.commit()
    return top


def _zh_template(db) -> Workbook:
    with force_locale("zh_CN"):
        data = roster_export.template_workbook(db.session, Scope(everything=True))
    return load_workbook(io.BytesIO(data))


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _import(db, data: bytes, locale: str = "zh_CN", **kw) -> dict:
    with force_locale(locale):
        result = roster.import_roster(db.session, "花名册.xlsx", data, **kw)
    db.session.commit()
    return result


def _errors(db, data: bytes, locale: str = "zh_CN") -> list[dict]:
    with force_locale(locale), pytest.raises(Invalid) as info:
        roster.import_roster(db.session, "花名册.xlsx", data)
    db.session.rollback()
    return info.value.errors


def test_the_template_is_laid_out_for_the_office(db, bureau):
    wb = _zh_template(db)
    assert wb.sheetnames == SHEETS
    people = wb["人员"]
    assert people["A1"].value == f"{bureau.name}花名册——人员"
    assert "A1:K1" in {str(r) for r in people.merged_cells.ranges}
    assert [c.value for c in people[2]] == [
        "工号",
        "姓名",
        "人员类别",
        "单位代码",
        "领导职务",
        "出生日期",
        "入职日期",
        "退休日期",
        "试用期至",
        "电子邮箱",
        "是否在职",
    ]
    assert people.max_row == 2 and people.freeze_panes == "A3"
    assert people.print_title_rows == "$1:$2"
    assert people.page_setup.orientation == "landscape" and people.page_setup.fitToWidth == 1
    assert people.column_dimensions["F"].width >= 12  # a date shows in full
    lists = wb["代码表"]
    columns = {c.value: c.column_letter for c in lists[1]}
    by_cell = {
        str(dv.sqref).split(":")[0]: dv.formula1 for dv in people.data_validations.dataValidation
    }
    type_list = by_cell["C3"]
    assert type_list.startswith("'代码表'!$" + columns["人员类别"])
    assert [lists[f"{columns['人员类别']}{r}"].value for r in (2, 3)] == ["民警", "辅警"]
    assert [lists[f"{columns['是否在职']}{r}"].value for r in (2, 3)] == ["在职", "离职"]
    unit_codes = [c.value for c in lists[columns["单位代码"]][1:] if c.value]
    assert unit_codes == ["DH", "DH-CG"] and by_cell["D3"].startswith("'代码表'!$A$2")
    post_codes = [c.value for c in lists[columns["岗位代码"]][1:] if c.value]
    assert post_codes == ["P-HJ"] and "K3" in by_cell  # is_active has its dropdown
    notes = [c.value for c in wb["说明"]["D"] if c.value]
    assert any("可选值：民警、辅警" in n for n in notes)
    rules = [c.value for c in wb["说明"]["A"] if c.value]
    assert any("导入要么全部成功" in r for r in rules)


def test_a_template_filled_by_an_office_imports(db, bureau):
    wb = _zh_template(db)
    people = wb["人员"]
    people["A1"] = "城关派出所人员信息表（2026年12月）"  # the office rewrites the title
    people["L2"] = "备注"  # and adds a remarks column
    people.append(["０２０１", " 李娜 ", "民警", "DH-CG", "无", date(1990, 5, 1), "2012/7/1"])
    people.append(["0202", "赵辅", "协警", "DH-CG", None, "1995年3月4日", 45000, None, None])
    people["K3"], people["L3"] = "在职", "新调入"
    people["K4"] = "离职"
    posts = wb["岗位"]
    posts.append(["P-JQ", "接警岗", "DH-CG", "执法办案", "是", "Y", "否", "N", 5])
    jobs = wb["任职记录"]
    jobs.append(["0201", "P-JQ", "2020-01-01", None])
    result = _import(db, _save(wb))
    assert result["sheets"]["people"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert result["ignored_columns"] == [{"sheet": "人员", "column": "备注"}]
    li = db.session.scalar(sa.select(Person).where(Person.staff_no == "0201"))
    zhao = db.session.scalar(sa.select(Person).where(Person.staff_no == "0202"))
    assert (li.name, li.personnel_type, li.hire_date, li.is_active) == (
        "李娜",
        "police",
        date(2012, 7, 1),
        True,
    )
    assert (zhao.personnel_type, zhao.birth_date, zhao.hire_date, zhao.is_active) == (
        "auxiliary",
        date(1995, 3, 4),
        date(2023, 3, 15),  # an Excel day number in a date column
        False,
    )
    post = db.session.scalar(sa.select(Post).where(Post.code == "P-JQ"))
    assert (post.category, post.is_sensitive, post.sworn_only, post.rotation_years) == (
        "law_enforcement",
        True,
        True,
        5,
    )
    assert db.session.scalar(sa.select(Assignment).where(Assignment.post_id == post.id))


def test_errors_are_chinese_sorted_by_row_and_name_sheet_and_column(db, bureau):
    wb = _zh_template(db)
    people = wb["人员"]
    people.append(["0301", "甲", "文职", "DH-CG"])
    people.append(["0302", None, "民警", "NOPE", None, "1990-13-01"])
    people.append(["0303", "丙", "民警", "DH-CG", None, None, None, None, None, None, "也许"])
    wb["组织机构"].append(["DH-X", "新单位", "大队"])
    before = state(db)
    errors = _errors(db, _save(wb))
    assert [(e["sheet"], e["row"], e["column"]) for e in errors] == [
        ("组织机构", 3, "单位类型"),
        ("人员", 3, "人员类别"),
        ("人员", 4, "出生日期"),
        ("人员", 4, "姓名"),
        ("人员", 4, "单位代码"),
        ("人员", 5, "是否在职"),
    ]
    messages = {(e["row"], e["column"]): e["message"] for e in errors}
    assert messages[(3, "人员类别")] == "必须是以下之一：民警、辅警。"
    assert messages[(4, "出生日期")] == "日期无效。" or "日期" in messages[(4, "出生日期")]
    assert messages[(4, "姓名")] == "此项为必填项。"
    assert "NOPE" in messages[(4, "单位代码")]
    assert messages[(5, "是否在职")].startswith("不是本列可填的值")
    assert state(db) == before  # all or nothing


def test_errors_follow_the_readers_language(db, bureau):
    wb = _zh_template(db)
    wb["人员"].append(["0301", "甲", "文职", "DH-CG"])
    (error,) = _errors(db, _save(wb), locale="en")
    assert error["message"] == "Must be one of: Police、Auxiliary police."


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_office_export_reimports_unchanged(db, bureau, locale):
    factories.person(
        db.session,
        db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == "DH-CG")),
        name="=cmd",
        staff_no="0102",
        personnel_type="auxiliary",
        is_active=False,
        leadership="department_head",
        birth_date=date(1980, 1, 2),
        retirement_date=date(2040, 1, 31),
    )
    db.session.commit()
    with force_locale(locale):
        data = roster_export.export_roster(db.session, Scope(everything=True), layout="zh")
    db.session.commit()
    wb = load_workbook(io.BytesIO(data))
    if locale == "en":
        assert wb.sheetnames[:2] == ["Units", "People"]
        assert wb["People"]["A2"].value == "Staff number"
    else:
        assert wb["人员"]["C4"].value == "辅警" and wb["人员"]["K4"].value == "离职"
    before = state(db)
    result = _import(db, data, locale=locale)
    assert (result["created"], result["updated"]) == (0, 0)
    assert result["unchanged"] == 2 + 2 + 1 + 1 and result["ignored_columns"] == []
    assert state(db) == before


def test_what_offices_do_to_a_file_never_fails_badly(db, bureau):
    """Formula cells, merged cells, a merged title, dates as numbers and text, and empty
    trailing rows give row errors or a clean import, never an exception."""
    wb = Workbook()
    ws = wb.active
    ws.title = "人员"
    ws.append(["东湖公安分局人员花名册"])
    ws.merge_cells("A1:F1")
    ws.append(["序号", "工号", "姓名", "人员类别", "单位代码", "出生日期"])
    ws.append([1, "0401", "甲", "民警", "DH-CG", 32874])
    ws.append([2, "0402", "乙", "民警", "DH-CG", "=DATE(1990,1,1)"])
    ws.append([3, "0403", "丙", "辅警", None, "19900101"])
    ws.merge_cells("E5:E6")
    ws.append([4, "0404", "丁", "辅警", None, "1990.1.1"])
    for _ in range(30):
        ws.append([None, None, "  ", None])
    errors = _errors(db, _save(wb))
    assert [(e["row"], e["column"]) for e in errors] == [
        (4, "出生日期"),
        (5, "单位代码"),
        (6, "单位代码"),
    ]
    assert errors[0]["message"] == "不接受公式，请粘贴数值。" or "公式" in errors[0]["message"]
