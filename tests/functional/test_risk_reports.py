"""The risk-inventory report (排查清单) over HTTP: PDF text, embedded font, frozen campaign
text, the .xlsx workbook, permissions, validation, auditing, and the /reports page."""

import io
import json
import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from supervision.audit.models import AuditEntry
from supervision.common import clock
from supervision.risks import services
from tests import factories
from tests.report_jobs import through_the_job

PDF_URL = "/api/v1/reports/risk-inventory.pdf"
XLSX_URL = "/api/v1/reports/risk-inventory.xlsx"
HEADERS = (
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
)


@pytest.fixture
def org(db):
    """A branch with a station (one approved-then-edited point) and a traffic unit."""
    s = db.session
    root = factories.unit(s, "城南分局", kind="branch")
    station = factories.unit(s, "城关派出所", kind="station", parent=root)
    other = factories.unit(s, "交警大队", parent=root)
    head = factories.person(s, station, "刘所长", leadership="department_head")
    leader = factories.person(s, root, "陈局长", leadership="team_member")
    traffic_head = factories.person(s, other, "赵大队长", leadership="department_head")
    post = factories.post(s, station, "案件审核岗", is_sensitive=True)
    campaign = services.open_campaign(
        s, {"name": "2026年度廉政风险点排查", "year": 2026, "deadline": date(2026, 12, 31)}
    )
    point = factories.risk_point(
        s,
        station,
        head,
        "违规处置涉案财物",
        post=post,
        measure="涉案财物集中管理双人保管",
        due_on=date(2026, 6, 30),
        manifestation="私自截留、挪用涉案财物",
        likelihood=4,
        impact=4,
        responsible_leader_id=leader.id,
    )
    services.submit(s, point)
    services.approve(s, point, approver_id=None)
    services.update_point(
        s,
        point,
        {
            "title": "违规处置涉案财物（修订）",
            "measures": [{"description": "涉案财物入库扫码登记"}],
        },
    )
    traffic = factories.risk_point(
        s,
        other,
        traffic_head,
        "事故认定徇私",
        measure=None,
        category="process",
        likelihood=2,
        impact=2,
        manifestation='=HYPERLINK("http://evil")',
    )
    s.commit()
    return {
        "root": root,
        "station": station,
        "other": other,
        "head": head,
        "campaign": campaign,
        "point": point,
        "traffic": traffic,
    }


@pytest.fixture
def secretary(make_user, token_for):
    return token_for(make_user("secretary", roles=("discipline_secretary",)))


def _text(pdf_bytes: bytes) -> list[str]:
    """The text of each page, whitespace removed (CJK extraction spaces glyphs unevenly)."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def test_unit_pdf_shows_current_inventory_with_headers_and_page_numbers(client, org, secretary):
    resp = client.get(PDF_URL, query_string={"org_unit_id": org["root"].id}, headers=secretary)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/pdf"
    assert "attachment" in resp.headers["Content-Disposition"]
    pages = _text(resp.data)
    text = "".join(pages)
    assert f"{org['root'].name}廉政风险点排查清单" in text
    for header in HEADERS:
        assert header in text
    assert "违规处置涉案财物（修订）" in text and "涉案财物入库扫码登记" in text
    assert "事故认定徇私" in text and "交警大队" in org["other"].name and org["other"].name in text
    assert "涉案财物集中管理双人保管" not in text  # the approved text is not the current one
    assert "一级" in text and "三级" in text and "岗位职责" in text and "业务流程" in text
    assert "生成时间" in text
    assert f"第1页/共{len(pages)}页" in pages[0]


def test_unit_pdf_embeds_a_subset_cjk_font(client, org, secretary):
    resp = client.get(PDF_URL, query_string={"org_unit_id": org["station"].id}, headers=secretary)
    reader = PdfReader(io.BytesIO(resp.data))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        descendant = (
            font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        )
        descriptor = descendant["/FontDescriptor"].get_object()
        if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            embedded.append(str(font["/BaseFont"]))
    assert embedded, "no embedded font"
    assert all(re.match(r"/[A-Z]{6}\+", name) for name in embedded), embedded  # subset tag
    assert len(resp.data) < 400_000


def test_campaign_pdf_keeps_the_approved_text_after_an_edit(client, org, secretary):
    resp = client.get(PDF_URL, query_string={"campaign_id": org["campaign"].id}, headers=secretary)
    assert resp.status_code == 200
    text = "".join(_text(resp.data))
    assert "廉政风险点排查清单（2026年度廉政风险点排查）" in text
    assert "审定版本" in text
    assert "违规处置涉案财物" in text and "（修订）" not in text
    assert "涉案财物集中管理双人保管" in text and "入库扫码" not in text
    assert "刘所长" in text and "2026-06-30" in text  # measure owner and due date
    assert "事故认定徇私" not in text  # never approved in the campaign


def test_campaign_narrowed_to_a_unit_outside_its_points_is_empty(client, org, secretary):
    resp = client.get(
        PDF_URL,
        query_string={"campaign_id": org["campaign"].id, "org_unit_id": org["other"].id},
        headers=secretary,
    )
    assert resp.status_code == 200
    text = "".join(_text(resp.data))
    assert org["other"].name in text and "暂无风险点" in text and "违规处置" not in text


def test_xlsx_has_the_same_columns_styled_frozen_and_neutralised(client, org, secretary):
    resp = client.get(
        XLSX_URL,
        query_string={"org_unit_id": org["root"].id, "as_of": "2026-07-01"},
        headers=secretary,
    )
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert ws["A1"].value == f"{org['root'].name}廉政风险点排查清单"
    assert "2026-07-01" in ws["A2"].value
    assert tuple(c.value for c in ws[3]) == HEADERS
    assert ws[3][0].font.bold and ws.freeze_panes == "A4"
    assert ws.column_dimensions["H"].width > ws.column_dimensions["A"].width
    rows = [tuple(c.value for c in r) for r in ws.iter_rows(min_row=4)]
    assert len(rows) == 2
    by_title = {r[4]: r for r in rows}
    station_row = by_title["违规处置涉案财物（修订）"]
    assert station_row[0] == 1 and station_row[1] == org["station"].name
    assert station_row[6] == "一级" and station_row[7] == "1. 涉案财物入库扫码登记"
    assert station_row[8] == "刘所长" and station_row[9] == "陈局长"
    assert ws.cell(row=4, column=8).alignment.wrap_text
    traffic_row = by_title["事故认定徇私"]
    assert traffic_row[5] == '\'=HYPERLINK("http://evil")'
    assert traffic_row[2] is None and traffic_row[9] is None


def test_campaign_xlsx_lists_measures_numbered_with_owner_and_due_date(client, org, secretary):
    resp = client.get(
        XLSX_URL,
        query_string={"campaign_id": org["campaign"].id, "as_of": "2026-07-01"},
        headers=secretary,
    )
    ws = load_workbook(io.BytesIO(resp.data)).active
    (row,) = [tuple(c.value for c in r) for r in ws.iter_rows(min_row=4)]
    assert row[4] == "违规处置涉案财物"
    assert row[7] == "1. 涉案财物集中管理双人保管（责任人：刘所长；完成时限：2026-06-30；已逾期）"


def test_export_is_audited_with_its_parameters(client, db, org, secretary):
    client.get(PDF_URL, query_string={"campaign_id": org["campaign"].id}, headers=secretary)
    client.get(XLSX_URL, query_string={"org_unit_id": org["station"].id}, headers=secretary)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "report").order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.object_id) for e in entries] == [("export", "risk-inventory")] * 2
    assert json.loads(entries[0].changes) == {
        "campaign_id": org["campaign"].id,
        "org_unit_id": None,
        "as_of": clock.today().isoformat(),
        "format": "pdf",
        "rows": 1,
    }
    assert json.loads(entries[1].changes) == {
        "campaign_id": None,
        "org_unit_id": org["station"].id,
        "as_of": clock.today().isoformat(),
        "format": "xlsx",
        "rows": 1,
    }


def test_authentication_roles_scope_and_validation(
    client, db, org, make_user, token_for, secretary
):
    assert client.get(PDF_URL, query_string={"org_unit_id": org["root"].id}).status_code == 401
    hr = token_for(make_user("hr", roles=("hr",)))
    assert (
        client.get(PDF_URL, query_string={"org_unit_id": org["root"].id}, headers=hr).status_code
        == 403
    )
    admin = token_for(make_user("admin", roles=("admin",)))
    assert (
        client.get(
            XLSX_URL, query_string={"org_unit_id": org["root"].id}, headers=admin
        ).status_code
        == 403
    )

    resp = client.get(PDF_URL, headers=secretary)
    assert resp.status_code == 422
    assert "org_unit_id" in resp.json["message"] and "campaign_id" in resp.json["errors"]
    for bad in (
        {"org_unit_id": "x"},
        {"org_unit_id": 0},
        {"campaign_id": 1, "as_of": "2026-13-01"},
        {"org_unit_id": 2**40},
    ):
        assert client.get(PDF_URL, query_string=bad, headers=secretary).status_code == 422, bad
    assert (
        client.get(PDF_URL, query_string={"org_unit_id": 999999}, headers=secretary).status_code
        == 404
    )
    assert (
        client.get(XLSX_URL, query_string={"campaign_id": 999999}, headers=secretary).status_code
        == 404
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.object_type == "report")
        )
        == 0
    )


def test_a_leader_sees_only_their_units(client, db, org, make_user, token_for):
    leader = token_for(make_user("leader", roles=("leader",), person=org["head"]))
    resp = client.get(XLSX_URL, query_string={"org_unit_id": org["other"].id}, headers=leader)
    assert resp.status_code == 404
    resp = client.get(XLSX_URL, query_string={"org_unit_id": org["station"].id}, headers=leader)
    assert resp.status_code == 200
    titles = [r[4].value for r in load_workbook(io.BytesIO(resp.data)).active.iter_rows(min_row=4)]
    assert titles == ["违规处置涉案财物（修订）"]
    # Without a unit, a campaign's inventory is cut to the leader's scope.
    resp = client.get(XLSX_URL, query_string={"campaign_id": org["campaign"].id}, headers=leader)
    assert [
        r[4].value for r in load_workbook(io.BytesIO(resp.data)).active.iter_rows(min_row=4)
    ] == ["违规处置涉案财物"]
    assert (
        client.get(
            PDF_URL,
            query_string={"campaign_id": org["campaign"].id, "org_unit_id": org["root"].id},
            headers=leader,
        ).status_code
        == 404
    )


def test_long_inventory_repeats_the_header_on_every_page(client, db, org, secretary):
    s = db.session
    for i in range(24):
        services.create_point(
            s,
            {
                "org_unit_id": org["station"].id,
                "title": f"风险点{i:02d}",
                "category": "ideology",
                "likelihood": 3,
                "impact": 3,
                "manifestation": "利用职务便利为他人谋取利益。" * 6,
                "measures": [
                    {"description": f"防控措施{i:02d}甲"},
                    {"description": f"防控措施{i:02d}乙"},
                ],
            },
        )
    s.commit()
    resp = client.get(PDF_URL, query_string={"org_unit_id": org["station"].id}, headers=secretary)
    pages = _text(resp.data)
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        assert "序号" in page and "防控措施" in page and f"第{n}页/共{len(pages)}页" in page
    text = "".join(pages)
    assert all(f"风险点{i:02d}" in text and f"防控措施{i:02d}乙" in text for i in range(24))
    assert (
        PdfReader(io.BytesIO(resp.data)).pages[0].mediabox.width
        > PdfReader(io.BytesIO(resp.data)).pages[0].mediabox.height
    )  # landscape


def test_reports_page_form_errors_and_download(client, org, make_user, login):
    make_user("secretary", roles=("discipline_secretary",))
    login("secretary")
    page = client.get("/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "廉政风险点排查清单" in html
        and org["campaign"].name in html
        and org["station"].name in html
    )
    resp = client.get(
        "/reports/risk-inventory",
        query_string={"org_unit_id": "", "campaign_id": "", "format": "pdf", "as_of": "2026-01-05"},
    )
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "请选择单位或排查" in body and 'value="2026-01-05"' in body
    resp = through_the_job(
        client,
        client.get(
            "/reports/risk-inventory",
            query_string={"org_unit_id": org["station"].id, "campaign_id": "", "format": "xlsx"},
        ),
    )
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    resp = through_the_job(
        client,
        client.get(
            "/reports/risk-inventory",
            query_string={"campaign_id": org["campaign"].id, "org_unit_id": "", "format": "pdf"},
        ),
    )
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"


def test_reports_page_shows_hr_only_the_rotation_reports(client, make_user, login):
    make_user("hr", roles=("hr",))
    login("hr")
    page = client.get("/reports")
    html = page.get_data(as_text=True)
    assert (
        page.status_code == 200 and "廉政风险点排查清单" not in html and "轮岗交流人选名单" in html
    )
    assert client.get("/reports/risk-inventory", query_string={"org_unit_id": 1}).status_code == 403


def test_reports_page_is_closed_to_staff(client, make_user, login):
    make_user("clerk", roles=("staff",))
    login("clerk")
    assert client.get("/reports").status_code == 403


def test_a_point_longer_than_a_page_splits_and_starts_on_the_first_page(client, db, org, secretary):
    services.create_point(
        db.session,
        {
            "org_unit_id": org["other"].id,
            "title": "超长风险点",
            "category": "external",
            "likelihood": 5,
            "impact": 5,
            "manifestation": "表现形式内容较长。" * 450 + "结尾标记",
            "measures": [{"description": f"第{i}项措施" + "落实" * 40} for i in range(12)],
        },
    )
    db.session.commit()
    resp = client.get(PDF_URL, query_string={"org_unit_id": org["other"].id}, headers=secretary)
    pages = _text(resp.data)
    assert len(pages) >= 3
    assert "超长风险点" in pages[0]  # not pushed off the first page, leaving it empty
    assert all("序号" in page for page in pages)
    text = "".join(pages)
    assert "结尾标记" in text and "第11项措施" in text


def test_gathering_rows_takes_the_same_queries_whatever_the_size(app, db, org, count_statements):
    from supervision.org.scope import Scope
    from supervision.reports import risk_inventory

    def count_queries(n_points: int) -> int:
        for i in range(n_points):
            factories.risk_point(
                db.session,
                org["station"],
                org["head"],
                f"点{n_points}-{i}",
                measure="措施",
                likelihood=2,
                impact=3,
            )
        db.session.commit()
        db.session.expire_all()
        with count_statements() as statements, app.test_request_context():
            inventory = risk_inventory.build(
                db.session, Scope(everything=True), org_unit_id=org["root"].id
            )
        assert inventory.rows
        return len(statements)

    assert count_queries(2) == count_queries(10)


def test_a_leader_without_units_gets_an_empty_state(client, make_user, login):
    make_user("lonely", roles=("leader",))
    login("lonely")
    html = client.get("/reports").get_data(as_text=True)
    assert "您的范围内没有单位" in html
