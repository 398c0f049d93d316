"""Documents one click away (SPEC §9, issue 13): the talk record form (谈话记录表) as a Word
document that LibreOffice opens with the content of the PDF, Chinese file names on every
report download, the print set-up of the Excel reports, and the 通报 from the reports page
and the completion dashboard, broken down by the units under the top of the scope."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from docx import Document
from docx.shared import Cm
from openpyxl import Workbook, load_workbook

from supervision.audit.models import AuditEntry
from supervision.org.models import OrgUnit
from supervision.reports import xlsx
from tests.functional import test_talk_reports as talk_reports
from tests.report_jobs import through_the_job

#: The small bureau with two talks, and the bearer headers by role, of the talk reports' tests.
org = talk_reports.org
auth = talk_reports.auth
_text = talk_reports._text

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: The labels of the printed form (the PDF's, tests/functional/test_talk_reports.py).
FORM_LABELS = (
    "谈话记录表",
    "谈话类型",
    "谈话时间",
    "谈话地点",
    "所属期间",
    "谈话对象",
    "单位",
    "岗位",
    "谈话人",
    "记录人",
    "谈话事由",
    "谈话内容",
    "本人表态",
    "整改要求",
    "签字",
)


def attachment_names(resp) -> tuple[str, str]:
    """(ASCII fallback, UTF-8 name) of an attachment's Content-Disposition."""
    value = resp.headers["Content-Disposition"]
    m = re.fullmatch(r"attachment; filename=\"([A-Za-z0-9._-]+)\"; filename\*=UTF-8''(\S+)", value)
    assert m, value
    return m[1], unquote(m[2])


def libreoffice_pdfs(tmp_path: Path, *files: Path) -> list[Path]:
    """Convert office files to PDF with LibreOffice, as an office would open them (a fresh
    profile and HOME under tmp_path). LibreOffice is a test dependency: no skip."""
    soffice = shutil.which("libreoffice") or shutil.which("soffice")
    assert soffice, "LibreOffice is not installed: run scripts/system-packages.sh"
    out = tmp_path / "pdf"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        env={**os.environ, "HOME": str(tmp_path / "home")},
        check=True,
        capture_output=True,
        timeout=90,
    )
    return [out / f"{f.stem}.pdf" for f in files]


def pdftotext(path: Path) -> str:
    """The text of a PDF (poppler), whitespace removed."""
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True)
    return re.sub(r"\s+", "", out.stdout.decode())


def page_sizes(path: Path) -> list[tuple[float, float]]:
    """(width, height) in points of every page (poppler's pdfinfo)."""
    out = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(path)], check=True, capture_output=True
    ).stdout.decode()
    return [(float(w), float(h)) for w, h in re.findall(r"size:\s+([\d.]+) x ([\d.]+)", out)]


# ------------------------------------------------------------------ the .docx form


def test_the_word_form_opens_in_libreoffice_with_the_content_of_the_pdf(
    client, db, org, auth, login, tmp_path
):
    url = f"/api/v1/talks/{org['final']}/record"
    resp = client.get(f"{url}.docx", headers=auth["secretary"])
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == DOCX
    assert attachment_names(resp) == (
        f"talk-record-{org['final']}.docx",
        "谈话记录表-甲警官-2025-09-10.docx",
    )
    pdf_text = "".join(_text(client.get(f"{url}.pdf", headers=auth["secretary"]).data))
    login("secretary")
    sheet = through_the_job(
        client,
        client.get(
            "/reports/talk-completion",
            query_string={"period": "2025Q3", "as_of": "2025-10-25", "format": "xlsx"},
        ),
    )
    assert sheet.status_code == 200
    (tmp_path / "record.docx").write_bytes(resp.data)
    (tmp_path / "report.xlsx").write_bytes(sheet.data)

    word, calc = libreoffice_pdfs(tmp_path, tmp_path / "record.docx", tmp_path / "report.xlsx")

    text = pdftotext(word)
    for label in FORM_LABELS:
        assert label in text and label in pdf_text, label
    for value in (
        "记录编号",
        "已定稿",
        "廉政提醒谈话",
        "2025-09-1009:30",
        "三楼谈话室",
        "甲警官",
        "户籍岗",
        "2025Q3",
        "李所长",
        "赵记录",
        "季度廉政提醒",
        "提醒严守户籍管理纪律",
        "坚决遵守各项规定",
        "每月开展一次自查",
        "生成时间",
        "第1页/共1页",
    ):
        assert value in text and value in pdf_text, value
    assert text.count("已电子签名") == 2 and "草稿" not in text
    ((width, height),) = page_sizes(word)  # one portrait A4 page
    assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1
    # The Excel 通报 prints on landscape A4 pages.
    assert "谈话完成情况通报" in pdftotext(calc)
    assert all(w > h for w, h in page_sizes(calc))
    reads = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "read", AuditEntry.object_id == str(org["final"])
        )
    ).all()
    assert len(reads) == 2  # the .docx and the .pdf


def test_the_word_form_is_an_office_document_with_chinese_fonts(client, org, auth):
    resp = client.get(f"/api/v1/talks/{org['final']}/record.docx", headers=auth["secretary"])
    document = Document(io.BytesIO(resp.data))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.cm, 1) for m in margins] == [3.7, 3.5, 2.8, 2.6]
    runs = [r for p in document.paragraphs for r in p.runs] + [
        r
        for t in document.tables
        for row in t.rows
        for cell in row.cells
        for p in cell.paragraphs
        for r in p.runs
    ]
    assert runs
    fonts = {r.element.rPr.rFonts.get(f"{{{_W}}}eastAsia") for r in runs}
    assert fonts == {"仿宋", "宋体"}
    assert document.paragraphs[0].text == "谈话记录表"
    assert document.paragraphs[0].runs[0].element.rPr.rFonts.get(f"{{{_W}}}eastAsia") == "宋体"
    (table,) = document.tables
    assert len(table.rows) == 10
    assert [c.text for c in table.rows[0].cells] == [
        "谈话类型",
        "廉政提醒谈话",
        "谈话时间",
        "2025-09-10 09:30",
    ]
    assert table.rows[6].cells[1].text == "提醒严守户籍管理纪律"
    assert table.rows[6].height >= Cm(7)
    font_table = document.part.part_related_by(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable"
    ).blob.decode()
    assert 'w:name="仿宋"' in font_table and 'w:val="FangSong"' in font_table


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def test_a_draft_word_form_says_so_and_leaves_lines_to_sign(client, org, auth):
    resp = client.get(f"/api/v1/talks/{org['draft']}/record.docx", headers=auth["secretary"])
    assert resp.status_code == 200
    assert attachment_names(resp)[1] == "谈话记录表-乙警官-2025-09-12（草稿）.docx"
    document = Document(io.BytesIO(resp.data))
    status = document.paragraphs[1]
    assert "草稿" in status.text
    assert any(
        r.font.color.rgb is not None and str(r.font.color.rgb) == "B00020" for r in status.runs
    )
    signatures = document.tables[0].rows[-1].cells[1].text
    assert "已电子签名" not in signatures and signatures.count("日期") == 2


@pytest.mark.parametrize("role", ["hr", "admin", "other"])
def test_the_word_form_is_404_without_access_to_the_contents(client, db, org, auth, role):
    resp = client.get(f"/api/v1/talks/{org['final']}/record.docx", headers=auth[role])
    assert resp.status_code == 404
    reads = sa.select(AuditEntry).where(
        AuditEntry.action == "read", AuditEntry.object_id == str(org["final"])
    )
    assert db.session.scalars(reads).all() == []
    assert client.get(f"/api/v1/talks/{org['final']}/record.docx").status_code == 401


# ------------------------------------------------------------------ file names


def _names(db, org) -> dict[str, str]:
    """The names of the bureau's units by key (the factories number them)."""
    return {
        k: db.session.get(OrgUnit, org[k]).name for k in ("bureau", "station", "traffic", "team")
    }


def test_every_report_download_has_a_chinese_file_name(client, db, org, auth, login):
    secretary = auth["secretary"]
    unit = _names(db, org)
    expected = {
        f"/api/v1/talks/{org['final']}/record.pdf": (
            f"talk-record-{org['final']}.pdf",
            "谈话记录表-甲警官-2025-09-10.pdf",
        ),
        "/api/v1/reports/talk-completion.pdf?period=2025Q3&as_of=2025-10-25": (
            "talk-completion-2025Q3-2025-10-25.pdf",
            f"{unit['bureau']}2025Q3谈话完成情况通报-2025-10-25.pdf",
        ),
        f"/api/v1/reports/talk-completion.xlsx?period=2025Q3&as_of=2025-10-25"
        f"&org_unit_id={org['station']}": (
            "talk-completion-2025Q3-2025-10-25.xlsx",
            f"{unit['station']}2025Q3谈话完成情况通报-2025-10-25.xlsx",
        ),
        f"/api/v1/reports/risk-inventory.xlsx?org_unit_id={org['station']}&as_of=2025-12-02": (
            f"risk-inventory-unit-{org['station']}-2025-12-02.xlsx",
            f"{unit['station']}廉政风险点排查清单-2025-12-02.xlsx",
        ),
        "/api/v1/reports/rotation-candidates.pdf?as_of=2025-12-31": (
            "rotation-candidates-2025-12-31.pdf",
            "轮岗交流人选名单-2025-12-31.pdf",
        ),
    }
    for url, names in expected.items():
        resp = client.get(url, headers=secretary)
        assert resp.status_code == 200, url
        assert attachment_names(resp) == names, url
    resp = client.get("/api/v1/reports/rotation-completion.xlsx?period=2025", headers=secretary)
    fallback, name = attachment_names(resp)
    assert fallback.startswith("rotation-completion-2025-") and name.startswith(
        "2025 应轮尽轮情况-"
    )
    login("secretary")
    for url in (
        "/reports/talk-completion?period=2025Q3&as_of=2025-10-25&format=pdf",
        f"/reports/risk-inventory?org_unit_id={org['station']}&as_of=2025-10-25&format=pdf",
        "/reports/rotation-candidates?as_of=2025-10-25&format=xlsx",
        "/reports/rotation-completion?period=2025&format=pdf",
    ):
        resp = through_the_job(client, client.get(url))
        assert resp.status_code == 200, url
        assert re.search(r"[\u4e00-\u9fff]", attachment_names(resp)[1]), url


def test_unsafe_characters_leave_the_file_name(app):
    from supervision.common.downloads import FileName, content_disposition

    value = content_disposition(FileName('a/b:c*"d"<e>|f?.pdf', "x y/ü.pdf"))
    assert value == "attachment; filename=\"x-y-.pdf\"; filename*=UTF-8''a-b-c-d-e-f-.pdf"


# ------------------------------------------------------------------ Excel print set-up


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/reports/talk-completion.xlsx?period=2025Q3&as_of=2025-10-25",
        "/api/v1/reports/risk-inventory.xlsx?org_unit_id={station}",
        "/api/v1/reports/rotation-candidates.xlsx",
        "/api/v1/reports/rotation-completion.xlsx?period=2025",
    ],
)
def test_excel_reports_print_landscape_fitted_with_repeated_headers(client, org, auth, url):
    resp = client.get(url.format(station=org["station"]), headers=auth["secretary"])
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, setup.paperSize) == ("landscape", 9), ws.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert ws.print_title_rows == "$3:$3", ws.title
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
        assert all(c.alignment.wrap_text for c in ws[3])
        for row in ws.iter_rows(min_row=3):
            assert ws.row_dimensions[row[0].row].height >= xlsx.LINE_HEIGHT
            assert all(c.alignment.wrap_text for c in row)


def test_rows_are_tall_enough_for_their_wrapped_text(app):
    wb = Workbook()
    ws = wb.active
    long = "严格执行廉政风险防控措施" * 5  # 60 Chinese characters: 120 units
    xlsx.write_sheet(
        ws,
        "标题",
        "说明",
        ["序号", "防控措施", "金额"],
        (6, 32, 10),
        [[1, long, 12345678901234], [2, "短", 3], [3, "第一行\n第二行\n第三行", 0.3333333333]],
    )
    with app.test_request_context():
        data = xlsx.save(wb)
    ws = load_workbook(io.BytesIO(data)).active
    heights = [ws.row_dimensions[r].height for r in (4, 5, 6)]
    # 120 units in a 32-wide column (30.5 usable) need 4 lines; numbers never wrap.
    assert heights == [4 * xlsx.LINE_HEIGHT, xlsx.LINE_HEIGHT, 3 * xlsx.LINE_HEIGHT]
    assert ws.column_dimensions["B"].width == 32
    assert ws["B4"].alignment.wrap_text and ws["B4"].alignment.vertical == "top"


# ------------------------------------------------------------------ the 通报 on the pages


def _unit_rows(data: bytes) -> list[str]:
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    return [r[0].value for r in ws.iter_rows(min_row=4)]


def test_the_report_lists_the_units_under_the_top_of_the_scope(client, db, org, auth):
    unit = _names(db, org)
    query = {"period": "2025Q3", "as_of": "2025-10-25"}
    url = "/api/v1/reports/talk-completion.xlsx"
    resp = client.get(url, headers=auth["secretary"], query_string=query)
    assert _unit_rows(resp.data) == [unit["station"], unit["traffic"], "合计"]  # not the bureau
    resp = client.get(url, headers=auth["leader"], query_string=query)
    assert _unit_rows(resp.data) == [unit["team"], "合计"]  # the leader heads the station
    resp = client.get(
        url, headers=auth["secretary"], query_string={**query, "org_unit_id": org["traffic"]}
    )
    assert _unit_rows(resp.data) == ["合计"]  # traffic has no sub-units


def test_the_reports_page_offers_the_report_and_points_to_the_api_docs(
    client, db, org, auth, login
):
    login("secretary")
    html = client.get("/reports").get_data(as_text=True)
    assert 'id="report-talk-completion"' in html and "谈话完成情况通报" in html
    assert 'action="/reports/talk-completion"' in html
    assert html.count('<form method="post" action="/reports/') == 4
    assert 'href="/reports/jobs"' in html  # 我的报表
    assert "/api/v1/reports/" not in html and 'href="/api/v1/docs#reports"' in html
    resp = client.get("/reports/talk-completion?period=2025Q9&format=pdf")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'id="report-talk-completion"' in page and 'value="2025Q9"' in page
    assert (
        db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")).all() == []
    )
    resp = client.get("/reports/talk-completion?period=2025Q3&format=pdf&org_unit_id=999999")
    assert resp.status_code == 422 and "is-invalid" in resp.get_data(as_text=True)
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    assert 'id="reports"' in docs and "/api/v1/talks/{id}/record.pdf|.docx" in docs


def test_hr_has_no_talk_report_on_the_reports_page(client, org, auth, login):
    login("hr")
    html = client.get("/reports").get_data(as_text=True)
    assert "report-talk-completion" not in html and "report-rotation-candidates" in html


def test_the_dashboard_downloads_the_report_of_what_it_shows(client, db, org, auth, login):
    login("secretary")
    html = client.get(
        "/obligations/",
        query_string={
            "type": "integrity_reminder",
            "period": "2025Q3",
            "org_unit_id": org["station"],
        },
    ).get_data(as_text=True)
    link = re.search(r'id="download-talk-completion" href="([^"]+)"', html)
    assert link, html[:2000]
    href = link[1].replace("&amp;", "&")
    assert "period=2025Q3" in href and "type=integrity_reminder" in href
    assert f"org_unit_id={org['station']}" in href and "format=pdf" in href
    resp = through_the_job(client, client.get(href))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    station = _names(db, org)["station"]
    assert attachment_names(resp)[1].startswith(f"{station}2025Q3谈话完成情况通报-")


def test_the_talk_page_prints_the_form_for_readers_of_the_contents(app, client, org, auth, login):
    login("secretary")
    html = client.get(f"/talks/{org['final']}").get_data(as_text=True)
    assert f'href="/api/v1/talks/{org["final"]}/record.pdf"' in html
    assert f'href="/api/v1/talks/{org["final"]}/record.docx"' in html
    assert "打印谈话记录表" in html
    hr = login("hr", c=app.test_client())
    html = hr.get(f"/talks/{org['final']}").get_data(as_text=True)
    assert "record.pdf" not in html and "打印谈话记录表" not in html
