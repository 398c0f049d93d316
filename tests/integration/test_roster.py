"""Roster import/export service on the real database (SPEC §3)."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook

from supervision.audit.models import AuditEntry
from supervision.common.errors import Invalid
from supervision.org import roster, roster_export, services
from supervision.org.models import Assignment, OrgUnit, Person, Post
from supervision.org.scope import Scope
from tests import factories

UNITS = ["code", "name", "kind", "parent_code", "head_staff_no", "supervising_leader_staff_no"]
PEOPLE = [
    "staff_no",
    "name",
    "personnel_type",
    "org_unit_code",
    "leadership",
    "birth_date",
    "hire_date",
    "retirement_date",
    "probation_until",
    "email",
    "is_active",
]
POSTS = [
    "code",
    "name",
    "org_unit_code",
    "category",
    "is_sensitive",
    "sworn_only",
    "is_technical",
    "is_leadership",
    "rotation_years",
]
ASSIGNMENTS = ["staff_no", "post_code", "start_date", "end_date"]


def workbook(**sheets) -> bytes:
    """An .xlsx with one sheet per keyword (its rows, header first)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bureau_file() -> bytes:
    """A small bureau: Chinese sheet names and headers, labels and mixed date formats."""
    return workbook(
        **{
            "单位": [
                ["代码", "名称", "类型", "上级单位代码", "负责人工号", "分管领导工号"],
                ["B01", "城东分局", "分局", None, "1001", None],
                ["D01", "法制大队", "部门", "B01", "1002", "1001"],
                ["S01", "城关派出所", "派出所", "B01", None, "1001"],
            ],
            "人员": [
                [
                    "工号",
                    "姓名",
                    "人员类别",
                    "单位代码",
                    "领导职务",
                    "出生日期",
                    "入职日期",
                    "邮箱",
                    "在职",
                ],
                [
                    1001,
                    "王局长",
                    "民警",
                    "B01",
                    "班子成员",
                    date(1970, 5, 1),
                    "1992/07/01",
                    None,
                    "是",
                ],
                [
                    "1002",
                    "李队长",
                    "police",
                    "D01",
                    "部门负责人",
                    "1980-02-03",
                    None,
                    "li@example.cn",
                    True,
                ],
                ["2001", "赵辅警", "辅警", "S01", "无", None, None, None, "否"],
            ],
            "岗位": [
                [
                    "岗位代码",
                    "岗位名称",
                    "单位代码",
                    "岗位类别",
                    "重要敏感",
                    "仅限民警",
                    "专业技术",
                    "领导岗位",
                    "轮岗年限",
                ],
                ["P-LAW", "案件审核岗", "D01", "法制审核", "是", "是", "否", "否", 5],
                ["P-DESK", "户籍窗口", "S01", "行政许可", 1, 0, "no", "no", None],
            ],
            "任职": [
                ["工号", "岗位代码", "开始日期", "结束日期"],
                ["1002", "P-LAW", "2019-03-01", None],
                ["2001", "P-DESK", date(2021, 1, 1), None],
            ],
        }
    )


def state(db) -> dict:
    """Every row of every table, to prove that nothing changed."""
    out = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table)).all()
        out[table.name] = sorted(map(repr, rows))
    return out


def audit_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def do_import(db, data, name="roster.xlsx", **kw) -> dict:
    result = roster.import_roster(db.session, name, data, **kw)
    db.session.commit()
    return result


def rejected(db, data, name="roster.xlsx", **kw) -> list[dict]:
    with force_locale("en"), pytest.raises(Invalid) as info:
        roster.import_roster(db.session, name, data, **kw)
    db.session.rollback()
    assert isinstance(info.value.errors, list) and info.value.errors
    return info.value.errors


def test_import_creates_the_roster_with_chinese_labels(db):
    result = do_import(db, bureau_file())
    assert result["sheets"] == {
        "units": {"created": 3, "updated": 0, "unchanged": 0},
        "people": {"created": 3, "updated": 0, "unchanged": 0},
        "posts": {"created": 2, "updated": 0, "unchanged": 0},
        "assignments": {"created": 2, "updated": 0, "unchanged": 0},
    }
    units = {u.code: u for u in db.session.scalars(sa.select(OrgUnit))}
    people = {p.staff_no: p for p in db.session.scalars(sa.select(Person))}
    assert units["B01"].kind == "branch" and units["B01"].parent_id is None
    assert units["D01"].path == f"{units['B01'].id}/{units['D01'].id}/" and units["D01"].depth == 1
    assert units["D01"].head_person_id == people["1002"].id
    assert units["S01"].supervising_leader_id == people["1001"].id
    assert (
        people["1001"].hire_date == date(1992, 7, 1) and people["1001"].leadership == "team_member"
    )
    assert people["1002"].birth_date == date(1980, 2, 3) and people["1002"].email == "li@example.cn"
    assert people["2001"].personnel_type == "auxiliary" and people["2001"].is_active is False
    law = db.session.scalar(sa.select(Post).where(Post.code == "P-LAW"))
    assert (law.category, law.is_sensitive, law.sworn_only, law.rotation_years) == (
        "legal_review",
        True,
        True,
        5,
    )
    desk = db.session.scalar(sa.select(Post).where(Post.code == "P-DESK"))
    assert (desk.category, desk.is_sensitive, desk.sworn_only, desk.rotation_years) == (
        "licensing",
        True,
        False,
        None,
    )
    a = db.session.scalar(sa.select(Assignment).where(Assignment.person_id == people["1002"].id))
    assert (a.post_id, a.start_date, a.end_date) == (law.id, date(2019, 3, 1), None)
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert len(entries) == 10 and {e.action for e in entries} == {"create"}
    unit_entry = next(
        e for e in entries if e.object_type == "org_unit" and e.object_id == str(units["D01"].id)
    )
    assert f'"head_person_id": [null, {people["1002"].id}]' in unit_entry.changes


def test_reimport_changes_nothing(db):
    data = bureau_file()
    do_import(db, data)
    before, entries = state(db), audit_count(db)
    result = do_import(db, data)
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 10)
    assert audit_count(db) == entries
    assert state(db) == before


def test_changed_rows_only_are_updated_and_audited(db):
    do_import(db, bureau_file())
    entries = audit_count(db)
    result = do_import(
        db,
        workbook(
            people=[
                ["staff_no", "name", "email"],
                ["1002", "李大队长", "li@example.cn"],
                ["1001", "王局长", None],
            ],
            assignments=[ASSIGNMENTS, ["2001", "P-DESK", "2021-01-01", "2024-06-30"]],
        ),
    )
    assert result["sheets"]["people"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert result["sheets"]["assignments"] == {"created": 0, "updated": 1, "unchanged": 0}
    new = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id).offset(entries)).all()
    assert [(e.action, e.object_type) for e in new] == [
        ("update", "person"),
        ("update", "assignment"),
    ]
    assert new[0].changes == '{"name": ["李队长", "李大队长"]}'
    assert new[1].changes == '{"end_date": [null, "2024-06-30"]}'
    # Columns left out of the sheet keep their values.
    kept = db.session.scalar(sa.select(Person).where(Person.staff_no == "1002"))
    assert kept.birth_date == date(1980, 2, 3) and kept.leadership == "department_head"


def test_one_bad_row_rejects_the_whole_file(db):
    unit = factories.unit(db.session, code="OLD")
    factories.person(db.session, unit, staff_no="9000")
    db.session.commit()
    before = state(db)
    rows = [[f"N{i:03d}", f"新人{i}", "police", "OLD"] for i in range(40)]
    rows.insert(25, ["N999", "错人", "police", "NOPE"])
    errors = rejected(
        db,
        workbook(
            units=[["code", "name", "kind"], ["NEW", "新单位", "team"]],
            people=[["staff_no", "name", "personnel_type", "org_unit_code"], *rows],
        ),
    )
    assert errors == [
        {
            "sheet": "people",
            "row": 27,
            "column": "org_unit_code",
            "message": "No org unit with code NOPE.",
        }
    ]
    db.session.commit()  # even a caller that commits afterwards writes nothing
    assert state(db) == before


def test_errors_name_sheet_row_and_column(db):
    errors = rejected(
        db,
        workbook(
            人员=[
                ["工号", "姓名", "人员类别", "单位代码", "出生日期", "bogus"],
                ["1", "甲", "民警", "U1", "1990-01-01", None],
                ["2", "乙", "文职", "U1", "1990-13-01", None],
                [None, None, None, None, None, None],
                ["1", "丙", "police", "U1", None, None],
                ["3", None, "police", "U1", "1990/1/1", None],
            ],
            units=[
                ["code", "name", "kind", "parent_code"],
                ["U1", "一", "station", "U2"],
                ["U2", "二", "team", "U1"],
                ["U3", "三", "nonsense", None],
            ],
        ),
    )
    found = {(e["sheet"], e["row"], e["column"]): e["message"] for e in errors}
    assert ("人员", 1, "bogus") not in found  # an extra column is ignored, not an error
    assert found[("人员", 3, "人员类别")] == "Must be one of: Police、Auxiliary police."
    assert found[("人员", 3, "出生日期")] == "Not a valid date."
    assert found[("人员", 5, "工号")] == "Duplicate of row 2."
    assert found[("人员", 6, "姓名")] == "This field is required."
    assert found[("units", 2, "parent_code")].startswith("This parent makes a cycle")
    assert found[("units", 3, "parent_code")].startswith("This parent makes a cycle")
    assert found[("units", 4, "kind")].startswith("Must be one of: Bureau、Branch bureau")
    assert len(errors) == 7
    # sorted by sheet (in the file's order) and row
    assert [(e["sheet"], e["row"]) for e in errors] == [
        ("人员", 3),
        ("人员", 3),
        ("人员", 5),
        ("人员", 6),
        ("units", 2),
        ("units", 3),
        ("units", 4),
    ]


def test_moving_a_unit_under_its_own_subunit_is_a_cycle(db):
    top = factories.unit(db.session, code="TOP")
    child = factories.unit(db.session, code="CHILD", parent=top)
    factories.unit(db.session, code="LEAF", parent=child)
    db.session.commit()
    errors = rejected(db, workbook(units=[["code", "parent_code"], ["TOP", "LEAF"]]))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "parent_code")]


def test_moving_a_unit_repaths_its_subtree(db):
    a = factories.unit(db.session, code="A")
    b = factories.unit(db.session, code="B")
    child = factories.unit(db.session, code="C", parent=a)
    leaf = factories.unit(db.session, code="L", parent=child)
    db.session.commit()
    result = do_import(db, workbook(units=[["code", "parent_code"], ["C", "B"], ["A", None]]))
    assert result["sheets"]["units"] == {"created": 0, "updated": 1, "unchanged": 1}
    leaf = db.session.get(OrgUnit, leaf.id)
    assert leaf.path == f"{b.id}/{child.id}/{leaf.id}/" and leaf.depth == 2
    assert db.session.get(OrgUnit, a.id).path == f"{a.id}/"
    # New units may name each other as parents in any order.
    do_import(
        db,
        workbook(
            units=[
                ["code", "name", "kind", "parent_code"],
                ["N2", "二", "team", "N1"],
                ["N1", "一", "team", "L"],
            ]
        ),
    )
    n1, n2 = (db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == c)) for c in ("N1", "N2"))
    assert n2.path == f"{leaf.path}{n1.id}/{n2.id}/" and n2.depth == 4 and n2.parent_id == n1.id


def test_references_must_exist(db):
    unit = factories.unit(db.session, code="U")
    factories.person(db.session, unit, staff_no="1", leadership="department_head")
    db.session.commit()
    errors = rejected(
        db,
        workbook(
            units=[["code", "head_staff_no", "supervising_leader_staff_no"], ["U", "404", "1"]],
            posts=[["code", "name", "org_unit_code", "rotation_years"], ["P", "岗", "NOPE", 0]],
            assignments=[
                ASSIGNMENTS,
                ["1", "NOPOST", "2020-01-01", None],
                ["2", "P", "2020-01-01", "2019-01-01"],
            ],
        ),
    )
    found = {(e["sheet"], e["row"], e["column"]): e["message"] for e in errors}
    assert found == {
        ("units", 2, "head_staff_no"): "No person with staff number 404.",
        (
            "units",
            2,
            "supervising_leader_staff_no",
        ): "The supervising leader must be a leadership-team member.",
        ("posts", 2, "org_unit_code"): "No org unit with code NOPE.",
        ("posts", 2, "rotation_years"): "Must be between 1 and 50 years, or empty.",
        ("assignments", 2, "post_code"): "No post with code NOPOST.",
        ("assignments", 3, "staff_no"): "No person with staff number 2.",
    }


def test_new_unit_needs_name_and_kind(db):
    a = factories.unit(db.session, code="A")
    db.session.commit()
    errors = rejected(db, workbook(units=[["code", "parent_code"], ["A", None], ["NEW", "A"]]))
    assert {(e["row"], e["column"]) for e in errors} == {(3, "name"), (3, "kind")}
    assert db.session.get(OrgUnit, a.id).parent_id is None


def test_overlapping_assignments_are_refused(db):
    unit = factories.unit(db.session, code="U")
    who = factories.person(db.session, unit, staff_no="7")
    post = factories.post(db.session, unit, code="P")
    factories.assign(db.session, who, post, start=date(2020, 1, 1), end=date(2020, 12, 31))
    db.session.commit()
    before = state(db)
    errors = rejected(
        db,
        workbook(
            assignments=[
                ASSIGNMENTS,
                ["7", "P", "2020-06-01", "2021-03-31"],  # overlaps the database
                ["7", "P", "2022-01-01", None],
                ["7", "P", "2023-01-01", "2023-02-01"],  # overlaps row 3 (open-ended)
                ["7", "P", "2021-04-01", "2021-12-31"],  # fine
            ]
        ),
    )
    assert [(e["row"], e["column"]) for e in errors] == [(2, "start_date"), (4, "start_date")]
    assert "2020-01-01 to 2020-12-31 (the database)" in errors[0]["message"]
    assert "(row 3)" in errors[1]["message"]
    assert state(db) == before


def test_auxiliary_may_not_hold_a_sworn_only_post(db):
    unit = factories.unit(db.session, code="U")
    police = factories.person(db.session, unit, staff_no="P1")
    factories.person(db.session, unit, staff_no="A1", personnel_type="auxiliary")
    sworn = factories.post(db.session, unit, code="SW", sworn_only=True)
    factories.assign(db.session, police, sworn, start=date(2020, 1, 1))
    db.session.commit()
    errors = rejected(
        db,
        workbook(
            assignments=[ASSIGNMENTS, ["A1", "SW", "2024-01-01", None]],
            people=[["staff_no", "personnel_type"], ["P1", "辅警"]],
        ),
    )
    found = {(e["sheet"], e["row"], e["column"]) for e in errors}
    assert found == {("assignments", 2, "post_code"), ("people", 2, "personnel_type")}


def test_export_neutralises_formulas_and_reimports_unchanged(db):
    top = factories.unit(db.session, code="=TOP", name="=SUM(A", kind="bureau")
    leader = factories.person(
        db.session,
        top,
        staff_no="+100",
        name="@领导",
        leadership="team_member",
        birth_date=date(1971, 2, 28),
        retirement_date=date(2031, 2, 28),
        email="boss@example.cn",
    )
    dept = factories.unit(
        db.session, code="D", name="-减号部门", parent=top, supervising_leader_id=leader.id
    )
    head = factories.person(
        db.session,
        dept,
        staff_no="200",
        name="普通",
        personnel_type="auxiliary",
        probation_until=date(2025, 6, 30),
        is_active=False,
    )
    services.update_unit(db.session, dept, {"head_person_id": head.id})
    post = factories.post(
        db.session,
        dept,
        code="-P",
        name="岗",
        category="finance",
        is_sensitive=True,
        rotation_years=3,
    )
    factories.assign(db.session, head, post, start=date(2019, 3, 1), end=date(2022, 2, 28))
    factories.assign(db.session, head, post, start=date(2023, 1, 1))
    db.session.commit()
    before = state(db)

    data = roster_export.export_roster(db.session, Scope(everything=True))
    db.session.commit()
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["units", "people", "posts", "assignments"]
    assert [c.value for c in wb["people"][1]] == PEOPLE
    units = list(wb["units"].iter_rows(min_row=2, values_only=True))
    assert units[0][0] == "'=TOP" and units[0][1].startswith("'=SUM(A") and units[0][2] == "bureau"
    assert units[1][0] == "D" and units[1][1].startswith("'-减号部门")
    assert units[1][2:] == ("department", "'=TOP", "200", "'+100")
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)
    people = list(wb["people"].iter_rows(min_row=2, values_only=True))
    assert people[0][0] == "'+100" and people[0][1] == "'@领导" and people[0][2] == "police"
    assert people[0][7].date() == date(2031, 2, 28)
    export_entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert export_entry.action == "export" and '"people": 2' in export_entry.changes

    entries = audit_count(db)
    result = do_import(db, data, name="export.xlsx")
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 7)
    assert audit_count(db) == entries
    after = state(db)
    after["audit_entries"], before["audit_entries"] = [], []
    after["audit_head"], before["audit_head"] = [], []
    assert after == before


def test_template_has_headers_only_and_imports_as_no_change(db):
    data = roster_export.template_workbook()
    wb = load_workbook(io.BytesIO(data))
    assert [[c.value for c in wb[n][1]] for n in wb.sheetnames] == [
        UNITS,
        PEOPLE,
        POSTS,
        ASSIGNMENTS,
    ]
    assert do_import(db, data)["created"] == 0


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-8"])
def test_csv_with_chinese_headers(db, encoding):
    factories.unit(db.session, code="U1")
    db.session.commit()
    text = (
        "工号,姓名,人员类别,单位代码,领导职务,入职日期,在职\r\n"
        "0101,张三,民警,U1,部门负责人,2001/9/1,是\r\n0102,李四,辅警,U1,,2010-01-02,否\r\n"
    )
    result = do_import(db, text.encode(encoding), name="people.csv", kind="people")
    assert result["sheets"]["people"]["created"] == 2
    zhang = db.session.scalar(sa.select(Person).where(Person.staff_no == "0101"))
    assert (zhang.name, zhang.leadership, zhang.hire_date) == (
        "张三",
        "department_head",
        date(2001, 9, 1),
    )
    li = db.session.scalar(sa.select(Person).where(Person.staff_no == "0102"))
    assert (li.personnel_type, li.leadership, li.is_active) == ("auxiliary", "none", False)
    assert do_import(db, text.encode(encoding), name="people.csv", kind="people")["updated"] == 0


def test_csv_errors_and_missing_kind(db):
    errors = rejected(db, b"staff_no,name\r\n1,\r\n", name="p.csv", kind="people")
    assert [(e["sheet"], e["row"], e["column"]) for e in errors] == [
        ("people", 2, "name"),
        ("people", 2, "personnel_type"),
        ("people", 2, "org_unit_code"),
    ]
    errors = rejected(db, b"staff_no,name\r\n1,x\r\n", name="p.csv")
    assert errors[0]["row"] is None and "CSV" in errors[0]["message"]


def test_dry_run_validates_without_writing(db):
    before = state(db)
    result = roster.import_roster(db.session, "r.xlsx", bureau_file(), dry_run=True)
    db.session.commit()
    assert result["dry_run"] is True and result["created"] == 10
    assert state(db) == before


@pytest.mark.parametrize(
    "payload, name",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "photo.png"),
        (b"PK\x03\x04 not really a zip", "roster.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls"),
        (b"", "empty.xlsx"),
        (b"\x00\x01\x02binary", "data.csv"),
    ],
)
def test_non_spreadsheets_are_refused_cleanly(db, payload, name):
    errors = rejected(db, payload, name=name, kind="people")
    assert len(errors) == 1 and errors[0]["sheet"] is None


def test_formula_cells_are_refused(db):
    errors = rejected(db, workbook(units=[["code", "name", "kind"], ["U", "=1+1", "team"]]))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "name")]


def test_row_limit(app, db):
    app.config["ROSTER_MAX_ROWS"] = 3
    try:
        errors = rejected(
            db,
            workbook(units=[["code", "name", "kind"]] + [[f"U{i}", "u", "team"] for i in range(4)]),
        )
    finally:
        app.config["ROSTER_MAX_ROWS"] = 200_000
    assert "more than 3 rows" in errors[0]["message"]


def test_queries_do_not_grow_with_rows(db, count_statements):
    factories.unit(db.session, code="U")
    post = factories.post(db.session, db.session.scalar(sa.select(OrgUnit)), code="P")
    db.session.commit()

    def statements(n: int, offset: int, name: str) -> int:
        people = [[f"S{offset + i}", name, "police", "U"] for i in range(n)]
        jobs = [
            [f"S{offset + i}", post.code, "2020-01-01", None if name == "甲" else "2024-01-01"]
            for i in range(n)
        ]
        data = workbook(
            people=[["staff_no", "name", "personnel_type", "org_unit_code"], *people],
            assignments=[ASSIGNMENTS, *jobs],
        )
        with count_statements() as executed:
            result = roster.import_roster(db.session, "r.xlsx", data)
        db.session.commit()
        assert result["created"] + result["updated"] == 2 * n
        return len(executed)

    assert statements(5, 0, "甲") == statements(60, 100, "甲")  # creates
    assert statements(5, 0, "乙") == statements(60, 100, "乙")  # updates


def test_workbook_without_roster_sheets_is_refused(db):
    errors = rejected(db, workbook(Sheet1=[["a", "b"], [1, 2]]))
    assert len(errors) == 1 and "no sheet named units" in errors[0]["message"]


def test_error_list_is_capped(db):
    rows = [[f"U{i}", "单位", "galaxy"] for i in range(600)]
    errors = rejected(db, workbook(units=[["code", "name", "kind"], *rows]))
    assert len(errors) == 501
    assert errors[-1] == {
        "sheet": None,
        "row": None,
        "column": None,
        "message": "100 more errors are not listed.",
    }
    assert errors[0]["row"] == 2 and errors[499]["row"] == 501
