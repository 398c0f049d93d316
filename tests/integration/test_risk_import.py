"""Import of an existing risk inventory (排查清单) on the real database (issue 3 item 6)."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook

from supervision.audit.models import AuditEntry
from supervision.common.errors import Invalid
from supervision.org.scope import Scope
from supervision.risks import import_io, importer, rules, services
from supervision.risks.models import Measure, RiskApproval, RiskPoint
from supervision.risks.settings import update_risk_settings
from tests import factories

EVERYTHING = Scope(everything=True)
HEADER = [
    "序号",
    "单位",
    "岗位",
    "风险类别",
    "风险点",
    "表现形式",
    "风险等级",
    "防控措施",
    "部门负责人",
    "责任领导",
]


def workbook(rows, title="排查清单", merges=(), extra_sheets=None) -> bytes:
    """An .xlsx with one sheet of `rows` (None for empty cells) and optional merged ranges."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for rng in merges:
        ws.merge_cells(rng)
    for name, more in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        for row in more:
            other.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def org(db):
    return build_org(db.session)


def build_org(s) -> dict:
    """A branch with a station (head, supervising leader, two posts) and a traffic unit."""
    root = factories.unit(s, "分局", kind="branch", code="B")
    station = factories.unit(s, "城关派出所", kind="station", parent=root, code="S1")
    other = factories.unit(s, "交警大队", parent=root, code="T1")
    leader = factories.person(s, root, "王副局长", staff_no="1001", leadership="team_member")
    head = factories.person(s, station, "李所长", staff_no="1002", leadership="department_head")
    twin1 = factories.person(s, station, "张伟", staff_no="1003")
    twin2 = factories.person(s, other, "张伟", staff_no="1004")
    from supervision.org import services as org_services

    org_services.update_unit(
        s, station, {"head_person_id": head.id, "supervising_leader_id": leader.id}
    )
    station.name, other.name = "城关派出所", "交警大队"  # the factory numbers names
    post = factories.post(s, station, "x", code="S1-AJ", is_sensitive=True)
    post.name = "案件审核岗"
    window = factories.post(s, station, "x", code="S1-HJ", is_sensitive=True)
    window.name = "户籍窗口岗"
    other_post = factories.post(s, other, "x", code="T1-SG", is_sensitive=True)
    other_post.name = "事故处理岗"
    s.commit()
    return {
        "root": root,
        "station": station,
        "other": other,
        "leader": leader,
        "head": head,
        "twins": (twin1, twin2),
        "post": post,
        "window": window,
        "other_post": other_post,
    }


def inventory() -> bytes:
    """A typical bureau file: a title row, then the §9 header in row 2."""
    return workbook(
        [
            ["城关派出所廉政风险点排查清单"],
            HEADER,
            [
                1,
                "城关派出所",
                "案件审核岗",
                "岗位职责",
                "违规审核案件",
                "对不符合条件的案件予以通过",
                "一级",
                "1.严格执行审核制度；2.落实双人审核\n（3）定期抽查",
                "李所长",
                "1001",
            ],
            [
                2,
                "S1",
                "S1-HJ",
                "业务流程",
                "违规办理户口",
                "收受好处费违规办理落户",
                "二级",
                "窗口全程录像",
                "1002",
                "王副局长（1001）",
            ],
            [3, "城关派出所", None, "思想道德", "廉洁意识淡化", None, "低", None, None, None],
        ],
        merges=["A1:J1"],
    )


def points(db) -> list[RiskPoint]:
    return db.session.scalars(sa.select(RiskPoint).order_by(RiskPoint.id)).all()


def audit_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def run(db, data, scope=EVERYTHING, name="清单.xlsx", dry_run=False) -> dict:
    result = importer.import_inventory(db.session, name, data, scope, dry_run=dry_run)
    db.session.commit()
    return result


def errors_of(db, data, scope=EVERYTHING, name="清单.xlsx") -> list[dict]:
    with force_locale("en"), pytest.raises(Invalid) as exc:
        importer.import_inventory(db.session, name, data, scope)
    db.session.rollback()
    return exc.value.errors


def test_import_creates_draft_points_with_measures_and_defaults(db, org):
    before = audit_count(db)
    result = run(db, inventory())
    assert (result["created"], result["updated"], result["unchanged"]) == (3, 0, 0)
    assert [i["row"] for i in result["items"]] == [3, 4, 5]
    assert result["derived_pairs"] == {"high": [3, 5], "medium": [2, 4], "low": [1, 1]}
    p1, p2, p3 = points(db)
    assert (p1.org_unit_id, p1.post_id, p1.category, p1.status, p1.version) == (
        org["station"].id,
        org["post"].id,
        "duty",
        "draft",
        1,
    )
    assert (p1.likelihood, p1.impact) == (3, 5)
    assert rules.level(p1.likelihood, p1.impact) == "high"
    assert [m.description for m in p1.measures] == ["严格执行审核制度", "落实双人审核", "定期抽查"]
    assert all(m.status == "open" and m.owner_id == org["head"].id for m in p1.measures)
    assert (p1.department_owner_id, p1.responsible_leader_id) == (org["head"].id, org["leader"].id)
    assert p2.post_id == org["window"].id and (p2.likelihood, p2.impact) == (2, 4)
    assert p2.responsible_leader_id == org["leader"].id and p2.department_owner_id == org["head"].id
    # Unit-wide, empty people: the unit's head and supervising leader.
    assert p3.post_id is None and p3.manifestation == "" and p3.measures == []
    assert (p3.department_owner_id, p3.responsible_leader_id) == (org["head"].id, org["leader"].id)
    assert audit_count(db) == before + 3
    assert {
        e.action
        for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.object_type == "risk_point")
        )
    } == {"create"}


def test_reimporting_the_same_file_changes_nothing(db, org):
    run(db, inventory())
    snapshot = [
        (p.id, p.updated_at, p.version, [(m.id, m.description) for m in p.measures])
        for p in points(db)
    ]
    before = audit_count(db)
    result = run(db, inventory())
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 3)
    db.session.expire_all()
    assert [
        (p.id, p.updated_at, p.version, [(m.id, m.description) for m in p.measures])
        for p in points(db)
    ] == snapshot
    assert audit_count(db) == before


def test_update_of_an_approved_point_makes_the_next_version_and_keeps_measures(db, org):
    s = db.session
    run(db, inventory())
    p1 = points(db)[0]
    kept = p1.measures[0]
    services.update_point(
        s,
        p1,
        {
            "measures": [
                {
                    "id": m.id,
                    "description": m.description,
                    "due_on": date(2026, 1, 31) if m is kept else None,
                }
                for m in p1.measures
            ]
        },
    )
    services.open_campaign(
        s, {"name": "2026年度排查", "year": 2026, "deadline": date(2026, 12, 31)}
    )
    services.submit(s, p1)
    services.approve(s, p1, None)
    s.commit()
    assert (p1.status, p1.version) == ("approved", 1)
    changed = workbook(
        [
            HEADER,
            [
                1,
                "S1",
                "案件审核岗",
                "岗位职责",
                "违规审核案件",
                "新的表现形式",
                "一级",
                "1、严格执行审核制度\n2、新增措施",
                "李所长",
                "1001",
            ],
        ]
    )
    result = run(db, changed)
    assert (result["created"], result["updated"]) == (0, 1)
    assert result["items"][0]["changed"] == ["manifestation", "measures"]
    s.expire_all()
    p1 = s.get(RiskPoint, p1.id)
    assert (p1.status, p1.version, p1.manifestation) == ("draft", 2, "新的表现形式")
    assert [m.description for m in p1.measures] == ["严格执行审核制度", "新增措施"]
    assert p1.measures[0].id == kept.id and p1.measures[0].due_on == date(2026, 1, 31)
    assert s.scalar(sa.select(sa.func.count()).select_from(Measure)) == 2 + 1  # p2 keeps its one
    approval = s.scalars(sa.select(RiskApproval)).one()
    assert approval.version == 1 and "对不符合条件的案件予以通过" in approval.data
    # Level only: the point is still 一级, so its scores stay.
    assert (p1.likelihood, p1.impact) == (3, 5)


def test_level_only_keeps_scores_of_a_point_already_at_that_level(db, org):
    run(db, inventory())
    p1 = points(db)[0]
    services.update_point(db.session, p1, {"likelihood": 4, "impact": 4})
    db.session.commit()
    before = audit_count(db)
    assert run(db, inventory())["unchanged"] == 3
    assert audit_count(db) == before
    assert (points(db)[0].likelihood, points(db)[0].impact) == (4, 4)


def test_submitted_point_refuses_changes_but_not_an_identical_row(db, org):
    run(db, inventory())
    services.submit(db.session, points(db)[0])
    db.session.commit()
    assert run(db, inventory())["unchanged"] == 3
    changed = workbook(
        [
            HEADER,
            [1, "S1", "案件审核岗", "岗位职责", "违规审核案件", "改了", "一级", None, None, None],
            [2, "S1", None, "制度机制", "新风险", None, "二级", None, None, None],
        ]
    )
    errors = errors_of(db, changed)
    assert [(e["row"], e["column"]) for e in errors] == [(2, "风险点")]
    assert "under review" in errors[0]["message"]
    assert len(points(db)) == 3


def test_errors_are_listed_per_cell_and_nothing_is_written(db, org):
    before = audit_count(db)
    data = workbook(
        [
            ["XX分局廉政风险点排查清单"],
            [],
            HEADER + ["可能性", "影响程度", "备注"],
            [1, "不存在的单位", None, "岗位职责", "a", None, "一级", None, None, None],
            [2, "S1", "没有的岗位", "岗位职责", "b", None, "一级", None, None, None],
            [3, "S1", None, "天气", "c", None, "一级", None, "张伟", "nobody"],
            [4, "S1", None, "岗位职责", "d", None, "一级", None, None, None, 2, 2],
            [5, "S1", None, "岗位职责", "e", None, None, None, None, None, 3],
            [6, "S1", None, None, "f", None, "二级", None, None, None],
            [7, "S1", None, "岗位职责", "f", None, "二级", None, None, None],
            [8, "S1", None, "岗位职责", None, None, "超级", None, None, None, 9],
            ["=ROW()", "S1", None, "岗位职责", "=1+1", None, None, None, None, None, 1, 1],
            [
                10,
                "S1",
                None,
                "岗位职责",
                "g",
                None,
                "中",
                None,
                None,
                None,
                None,
                None,
                "备注不影响",
            ],
        ]
    )
    errors = errors_of(db, data)
    cells = [(e["sheet"], e["row"], e["column"]) for e in errors]
    assert sorted(cells) == sorted(
        [
            ("排查清单", 4, "单位"),
            ("排查清单", 5, "岗位"),
            ("排查清单", 6, "风险类别"),
            ("排查清单", 6, "部门负责人"),
            ("排查清单", 6, "责任领导"),
            ("排查清单", 7, "风险等级"),
            ("排查清单", 8, "影响程度"),
            ("排查清单", 9, "风险类别"),
            ("排查清单", 10, "风险点"),
            ("排查清单", 11, "风险点"),
            ("排查清单", 11, "风险等级"),
            ("排查清单", 11, "可能性"),
            ("排查清单", 12, "风险点"),
        ]
    )
    messages = {(e["row"], e["column"]): e["message"] for e in errors}
    assert "Several people are named 张伟" in messages[(6, "部门负责人")]
    assert "does not match" in messages[(7, "风险等级")]
    assert "Duplicate of row 9" in messages[(10, "风险点")]
    assert "Formulas" in messages[(12, "风险点")]
    assert points(db) == [] and audit_count(db) == before


def test_dry_run_checks_but_writes_nothing(db, org):
    result = run(db, inventory(), dry_run=True)
    assert result["dry_run"] is True and result["created"] == 3
    assert all(i["risk_point_id"] is None for i in result["items"])
    assert points(db) == []


def test_leader_imports_only_into_units_of_their_scope(db, org):
    from supervision.org.scope import leader_scope

    scope = leader_scope(org["head"].id)
    data = workbook(
        [
            HEADER,
            [1, "S1", None, "岗位职责", "a", None, "二级", None, None, None],
            [2, "T1", None, "岗位职责", "b", None, "二级", None, None, None],
            [3, "交警大队", None, "岗位职责", "c", None, "二级", None, None, None],
        ]
    )
    errors = errors_of(db, data, scope=scope)
    assert [(e["row"], e["column"]) for e in errors] == [(3, "单位"), (4, "单位")]
    assert "in your scope" in errors[0]["message"]
    ok = workbook([HEADER, [1, "S1", None, "岗位职责", "a", None, "二级", None, None, None]])
    assert run(db, ok, scope=scope)["created"] == 1


def test_current_settings_decide_the_pair_for_a_level(db, org):
    update_risk_settings(db.session, {"high_min_score": 20, "medium_min_score": 10})
    db.session.commit()
    data = workbook(
        [
            HEADER,
            [1, "S1", None, "岗位职责", "a", None, "一级", None, None, None],
            [2, "S1", None, "岗位职责", "b", None, "二级", None, None, None],
        ]
    )
    result = run(db, data)
    assert result["derived_pairs"] == {"high": [4, 5], "medium": [2, 5]}
    assert [(p.likelihood, p.impact) for p in points(db)] == [(4, 5), (2, 5)]
    update_risk_settings(db.session, {"high_min_score": 25, "medium_min_score": 24})
    db.session.commit()
    errors = errors_of(
        db, workbook([HEADER, [1, "S1", None, "岗位职责", "c", None, "二级", None, None, None]])
    )
    assert [(e["row"], e["column"]) for e in errors] == [(2, "风险等级")]


def test_merged_cells_and_api_headers_and_several_sheets(db, org):
    data = workbook(
        [
            ["org_unit_code", "post", "category", "title", "likelihood", "impact", "measures"],
            ["S1", "S1-AJ", "duty", "风险一", 2, 2, "措施一"],
            [None, None, "process", "风险二", 5, 5, None],
            ["T1", "事故处理", "external", "风险三", 1, 3, None],
        ],
        title="Sheet1",
        merges=["A2:A3", "B2:B3"],
        extra_sheets={
            "说明": [["本表说明"], ["单位", "填写单位名称"]],
            "交警": [
                ["序号", "单位", "风险类别", "风险点", "风险等级"],
                [1, "T1", "外部环境风险", "风险四", "三级"],
            ],
        },
    )
    result = run(db, data)
    assert result["sheets"] == ["Sheet1", "交警"] and result["created"] == 4
    p1, p2, p3, p4 = points(db)
    assert (p2.org_unit_id, p2.post_id, p2.likelihood) == (org["station"].id, org["post"].id, 5)
    assert p3.post_id == org["other_post"].id  # "事故处理" matches the post 事故处理岗
    assert (p4.category, p4.post_id, p4.likelihood, p4.impact) == ("external", None, 1, 1)


def test_csv_in_gb18030_with_multiline_cells(db, org):
    text = (
        "廉政风险点排查清单,,,,,,,,,\r\n" + ",".join(HEADER) + "\r\n"
        '1,S1,案件审核岗,岗位职责,风险一,表现,高,"①教育\r\n②制度",,\r\n'
        "2,S1,,岗位职责,风险二,,很高,,,\r\n"
    )
    errors = errors_of(db, text.encode("gb18030"), name="清单.csv")
    assert [(e["sheet"], e["row"], e["column"]) for e in errors] == [("清单.csv", 4, "风险等级")]
    fixed = text.replace("很高", "中").encode("gb18030")
    assert run(db, fixed, name="清单.csv")["created"] == 2
    assert [m.description for m in points(db)[0].measures] == ["教育", "制度"]


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("a.xlsx", b"", "empty"),
        ("a.xls", b"\xd0\xcf\x11\xe0rest", ".xls"),
        ("a.xlsx", b"not a zip", "readable"),
        ("a.pdf", b"%PDF-1.4", "Upload an .xlsx"),
        ("a.csv", "序号,名称\n1,2\n".encode(), "No header row"),
    ],
)
def test_unreadable_files_are_one_clear_error(db, org, name, data, message):
    errors = errors_of(db, data, name=name)
    assert len(errors) == 1 and message in errors[0]["message"] and errors[0]["row"] is None


def test_split_measures_and_pairs_are_pure_rules():
    assert import_io.split_measures("1.加强教育；2.落实制度\n（3）双人保管") == [
        "加强教育",
        "落实制度",
        "双人保管",
    ]
    assert import_io.split_measures("涉案金额1.5万元以上须审批。2、定期检查") == [
        "涉案金额1.5万元以上须审批。",
        "定期检查",
    ]
    assert import_io.split_measures("一、教育\n\n二、监督；") == ["教育", "监督"]
    assert import_io.split_measures("  ") == []
    assert import_io.pair_for_level("high", rules.DEFAULTS) == (3, 5)
    assert import_io.pair_for_level("medium", rules.DEFAULTS) == (2, 4)
    assert import_io.pair_for_level("low", rules.DEFAULTS) == (1, 1)
    assert import_io.pair_for_level("high", rules.RiskSettings(high_min_score=16)) == (4, 4)


def test_name_with_staff_number_duplicate_columns_and_row_limit(app, db, org):
    twin = org["twins"][0]
    ok = workbook(
        [
            HEADER,
            [1, "S1", None, "岗位职责", "a", None, "二级", "措施", "张伟（1003）", "张伟(1004)"],
        ]
    )
    run(db, ok)
    point = points(db)[0]
    assert (
        point.department_owner_id == twin.id and point.responsible_leader_id == org["twins"][1].id
    )
    assert point.measures[0].owner_id == twin.id  # new measures belong to the 部门负责人
    wrong = workbook(
        [HEADER, [1, "S1", None, "岗位职责", "b", None, "二级", None, "李所长（1003）", None]]
    )
    errors = errors_of(db, wrong)
    assert [(e["row"], e["column"]) for e in errors] == [(2, "部门负责人")]
    assert "is 张伟, not 李所长" in errors[0]["message"]
    twice = workbook(
        [
            HEADER + ["单位代码"],
            [1, "S1", None, "岗位职责", "c", None, "二级", None, None, None, "S1"],
        ]
    )
    assert [(e["row"], e["column"]) for e in errors_of(db, twice)] == [(1, "单位代码")]
    app.config["RISK_IMPORT_MAX_ROWS"] = 1
    try:
        errors = errors_of(
            db,
            workbook(
                [HEADER] + [[i, "S1", None, "岗位职责", f"r{i}", None, "二级"] for i in range(2)]
            ),
        )
    finally:
        del app.config["RISK_IMPORT_MAX_ROWS"]
    assert len(errors) == 1 and "more than 1 rows" in errors[0]["message"]
    assert len(points(db)) == 1
