"""The rectification documents over HTTP (SPEC §14, issue 15 item 4): the progress notice
as PDF and Word in the published form, the ledger as .xlsx, and its import — all or nothing,
errors by sheet, row and column."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from supervision.audit.models import AuditEntry
from supervision.org.models import OrgUnit
from supervision.rectification.models import (
    DEFAULT_CATEGORIES,
    Finding,
    Inspection,
    MeasureEvidence,
    RectificationMeasure,
)
from tests import factories
from tests.functional.test_documents import attachment_names, libreoffice_pdfs, pdftotext

NOTICE = "/api/v1/reports/rectification-notice"
LEDGER = "/api/v1/reports/rectification-ledger.xlsx"
IMPORT = "/api/v1/imports/rectification-ledger"
AS_OF = "2025-10-30"


def _measure(finding, number, text, **values):
    return RectificationMeasure(
        finding_id=finding.id,
        number=number,
        description=text,
        due_on=values.pop("due_on", finding.deadline),
        **values,
    )


@pytest.fixture
def ledger(db):
    """An inspection of the bureau with four findings: two under one theme of the first
    category (the first with a done measure and its result and an open one past its due
    date, the second with a single measure), one signed off under the second category, and
    a long-term one."""
    s = db.session
    tree = factories.small_bureau(s, chief="孙局长", head="李所长")
    bureau, station, chief, head = tree["bureau"], tree["station"], tree["chief"], tree["head"]
    inspection = Inspection(
        name="十五届市委第五轮巡察",
        inspector="市委第八巡察组",
        org_unit_id=bureau.id,
        onsite_from=date(2025, 4, 1),
        onsite_to=date(2025, 6, 27),
        feedback_on=date(2025, 7, 25),
        deadline=date(2025, 10, 23),
        leader_person_id=chief.id,
        narrative={
            "duty": [
                {"heading": "提高政治站位，狠抓组织部署", "body": "分局党委立即召开专题会议。"}
            ],
            "next_steps": [
                {"heading": "", "body": "分局将从以下几点持续做好相关工作："},
                {"heading": "坚持以学铸魂", "body": "持续深入学习。"},
            ],
        },
        publish_from=date(2025, 11, 1),
        publish_to=date(2025, 11, 15),
        contact="联系电话：0571-1234567；电子邮箱：jw@example.org。",
    )
    s.add(inspection)
    s.flush()
    theme = "深入学习贯彻党的二十大精神"
    specs = [
        (DEFAULT_CATEGORIES[0], theme, "强化政治理论学习", "time_limited", date(2025, 10, 23)),
        (DEFAULT_CATEGORIES[0], theme, "强化保密工作", "immediate", date(2025, 8, 24)),
        (
            DEFAULT_CATEGORIES[1],
            "落实纪委监督责任",
            "加强廉政风险排查",
            "time_limited",
            date(2025, 10, 23),
        ),
        (DEFAULT_CATEGORIES[0], theme, "严格落实涉案车辆处置", "long_term", None),
    ]
    findings = []
    for number, (category, theme_, title, term, deadline) in enumerate(specs, start=1):
        f = Finding(
            inspection_id=inspection.id,
            category=category,
            theme=theme_,
            number=number,
            title=title,
            description=f"{title}方面存在不足。",
            responsible_leader_id=chief.id,
            lead_unit_id=bureau.id,
            term=term,
            deadline=deadline,
            status="in_progress",
        )
        s.add(f)
        findings.append(f)
    s.flush()
    one, two, three, four = findings
    three.status, three.completed_on = "completed", date(2025, 9, 10)
    done = dict(status="done")
    measures = [
        _measure(
            one,
            1,
            "深化理论研究学习。建立学习资料库",
            done_on=date(2025, 9, 1),
            result="共开展专题学习12次。",
            owner_unit_id=bureau.id,
            owner_person_id=chief.id,
            **done,
        ),
        _measure(one, 2, "强化基层理论学习。每月下发学习清单", owner_unit_id=station.id),
        _measure(
            two,
            1,
            "深入开展保密检查",
            done_on=date(2025, 8, 20),
            owner_person_id=head.id,
            **done,
        ),
        _measure(three, 1, "开展风险隐患排查", done_on=date(2025, 9, 5), **done),
        _measure(
            four, 1, "落实工作职责", done_on=date(2025, 9, 20), result="处置车辆35辆。", **done
        ),
        _measure(four, 2, "全量梳理处置"),
    ]
    s.add_all(measures)
    s.flush()
    s.add(
        MeasureEvidence(
            measure_id=measures[0].id,
            kind="file",
            filename="学习记录.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
        )
    )
    s.commit()
    return {
        "inspection": inspection.id,
        "bureau": bureau.name,
        "bureau_id": bureau.id,
        "title": f"中共{bureau.name}委员会关于十五届市委第五轮巡察整改进展情况的通报",
    }


@pytest.fixture
def auth(db, ledger, make_user, token_for):
    """Bearer headers: the secretary, a member, the station's leader, HR."""
    head = db.session.scalar(
        sa.select(OrgUnit.head_person_id).where(OrgUnit.head_person_id.is_not(None)).limit(1)
    )
    from supervision.org.models import Person

    return {
        "secretary": token_for(make_user("secretary", ["discipline_secretary"])),
        "member": token_for(make_user("member", ["discipline_member"])),
        "leader": token_for(make_user("leader", ["leader"], person=db.session.get(Person, head))),
        "hr": token_for(make_user("hr", ["hr"])),
    }


def _pdf_text(data: bytes, title: str) -> str:
    """The PDF's text without whitespace, running heads (the title) and footers."""
    pages = []
    for i, page in enumerate(PdfReader(io.BytesIO(data)).pages):
        text = re.sub(r"\s+", "", page.extract_text())
        text = re.sub(r"(生成时间|Generatedat)[:：][\d-]+\d{2}:\d{2}", "", text)
        text = re.sub(r"第\d+页/共\d+页|Page\d+of\d+", "", text)
        if i:
            text = text.replace(title, "", 1)
        pages.append(text)
    return "".join(pages)


def _in_order(text: str, *parts: str) -> None:
    """Each part occurs in `text` after the one before it."""
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found >= 0, f"{part!r} not found after position {at}: …{text[at : at + 200]}…"
        at = found + len(part)


def _structure(ledger) -> tuple[str, ...]:
    """What the notice says, in order (SPEC §14's published form)."""
    return (
        ledger["title"],
        "根据市委统一部署，2025年4月1日至6月27日，市委第八巡察组对"
        f"{ledger['bureau']}党委开展巡察。2025年7月25日，巡察组向{ledger['bureau']}党委反馈巡察意见。",
        "一、党委履行巡察整改主体责任情况",
        "（一）提高政治站位，狠抓组织部署。分局党委立即召开专题会议。",
        "二、巡察反馈重点问题整改落实情况",
        f"（一）{DEFAULT_CATEGORIES[0]}",
        "1.深入学习贯彻党的二十大精神",
        "（1）强化政治理论学习。",
        "一是深化理论研究学习。建立学习资料库。共开展专题学习12次。",
        "二是强化基层理论学习。每月下发学习清单。（正在整改，已超过整改时限）",
        "（2）强化保密工作。",
        "深入开展保密检查。",
        f"（二）{DEFAULT_CATEGORIES[1]}",
        "2.落实纪委监督责任",
        "（3）加强廉政风险排查。",
        "三、需长期整改事项进展情况",
        "（4）严格落实涉案车辆处置。",
        "一是落实工作职责。处置车辆35辆。",
        "二是全量梳理处置。",
        "四、下一步工作打算",
        "分局将从以下几点持续做好相关工作：",
        "（一）坚持以学铸魂。持续深入学习。",
        "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见建议，请及时向我们反映。",
        "公开期限：2025年11月1日至11月15日。联系电话：0571-1234567；电子邮箱：jw@example.org。",
    )


def test_the_notice_pdf_follows_the_published_form(client, db, ledger, auth):
    resp = client.get(
        f"{NOTICE}.pdf?inspection_id={ledger['inspection']}&as_of={AS_OF}",
        headers=auth["secretary"],
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/pdf"
    assert "no-store" in resp.headers["Cache-Control"]
    assert attachment_names(resp) == (
        f"rectification-notice-{ledger['inspection']}-{AS_OF}.pdf",
        f"{ledger['title']}-{AS_OF}.pdf",
    )
    text = _pdf_text(resp.data, ledger["title"])
    _in_order(text, *_structure(ledger))
    # The single measure of finding (2) is not numbered; the long-term one is not in 二.
    assert "一是深入开展保密检查" not in text
    two, three = text.index("二、巡察反馈"), text.index("三、需长期整改")
    assert "严格落实涉案车辆处置" not in text[two:three]
    # The figures as of the day: 1 signed off, 1 long-term, 2 being rectified.
    assert (
        "截至2025年10月30日，巡察反馈的4个问题中，已完成整改1个，正在整改2个，需长期整改1个。"
        in text
    )
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_id == "rectification-notice")
    ).one()
    assert entry.action == "export" and '"format": "pdf"' in entry.changes


def test_the_notice_docx_has_the_same_structure_in_official_fonts(client, ledger, auth):
    resp = client.get(
        f"{NOTICE}.docx?inspection_id={ledger['inspection']}&as_of={AS_OF}",
        headers=auth["member"],
    )
    assert resp.status_code == 200
    assert attachment_names(resp)[1] == f"{ledger['title']}-{AS_OF}.docx"
    document = Document(io.BytesIO(resp.data))
    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert paragraphs[:3] == [
        ledger["title"][: ledger["title"].index("关于")],
        "关于十五届市委第五轮巡察",
        "整改进展情况的通报",
    ]
    _in_order("".join(paragraphs), *_structure(ledger))
    # Each heading is a paragraph of its own; each measure too.
    assert "二、巡察反馈重点问题整改落实情况" in paragraphs
    assert "（1）强化政治理论学习。" in paragraphs
    assert "二是强化基层理论学习。每月下发学习清单。（正在整改，已超过整改时限）" in paragraphs
    fonts = document.paragraphs[0].runs[0]._r.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == (
        "方正小标宋简体"
    )
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.top_margin.cm, 1) == 3.7 and round(section.left_margin.cm, 1) == 2.8
    assert "PAGE" in section.footer.paragraphs[0]._p.xml


def test_the_documents_are_the_discipline_roles_and_404_for_no_inspection(client, ledger, auth):
    query = f"inspection_id={ledger['inspection']}"
    for who in ("leader", "hr"):
        for url in (f"{NOTICE}.pdf?{query}", f"{NOTICE}.docx?{query}", f"{LEDGER}?{query}"):
            assert client.get(url, headers=auth[who]).status_code == 403, (who, url)
    assert client.get(f"{LEDGER}?inspection_id=99999", headers=auth["secretary"]).status_code == 404
    assert client.get(LEDGER, headers=auth["secretary"]).status_code == 422


# ---------------------------------------------------------------- the ledger


def _export(client, auth, inspection_id: int) -> bytes:
    resp = client.get(
        f"{LEDGER}?inspection_id={inspection_id}&as_of={AS_OF}", headers=auth["secretary"]
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.data


def _cells(data: bytes, skip: tuple[str, ...] = ()) -> list[list]:
    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[3]]
    keep = [i for i, name in enumerate(header) if name not in skip]
    return [[row[i] for i in keep] for row in ws.iter_rows(values_only=True)]


def _upload(client, auth, inspection_id: int, data: bytes, name="台账.xlsx", dry_run=False):
    return client.post(
        f"{IMPORT}?inspection_id={inspection_id}" + ("&dry_run=true" if dry_run else ""),
        data={"file": (io.BytesIO(data), name)},
        headers=auth["secretary"],
        content_type="multipart/form-data",
    )


def _state(db) -> tuple:
    """Everything an import could write."""
    s = db.session
    s.expire_all()
    findings = s.execute(sa.select(Finding).order_by(Finding.id)).scalars().all()
    measures = s.execute(sa.select(RectificationMeasure).order_by(RectificationMeasure.id))
    return (
        [
            (f.id, f.number, f.title, f.category, f.theme, f.term, f.deadline, f.status)
            for f in findings
        ],
        [
            (m.id, m.finding_id, m.number, m.description, m.status, m.done_on, m.result, m.due_on)
            for m in measures.scalars()
        ],
        s.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
    )


def test_the_ledger_has_the_spec_columns_one_row_per_measure(client, ledger, auth):
    from supervision.rectification.ledger import COLUMNS

    ws = load_workbook(io.BytesIO(_export(client, auth, ledger["inspection"]))).active
    assert ws.title == "整改台账"
    assert [c.value for c in ws[3]] == list(COLUMNS)
    assert ws.freeze_panes == "A4"
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 6  # one per measure
    first, second = rows[0], rows[1]
    assert first[:3] == (
        1,
        f"{DEFAULT_CATEGORIES[0]}\n深入学习贯彻党的二十大精神",
        "强化政治理论学习\n强化政治理论学习方面存在不足。",
    )
    assert first[3:7] == (
        "深化理论研究学习。建立学习资料库",
        "孙局长",
        ledger["bureau"],
        f"{ledger['bureau']}／孙局长",
    )
    assert (first[8], first[10]) == ("已完成\n共开展专题学习12次。", "学习记录.pdf")
    assert first[7].date() == date(2025, 10, 23) and first[9].date() == date(2025, 9, 1)
    assert second[0] is None and second[8] == "整改中" and second[9] is None
    assert "A4:A5" in {str(r) for r in ws.merged_cells.ranges}
    assert rows[2][7] == "立行立改（2025-08-24）"
    assert rows[4][7] == rows[5][7] == "长期整改"


def test_the_ledger_reimports_unchanged(client, db, ledger, auth):
    first = _export(client, auth, ledger["inspection"])
    before = _state(db)
    resp = _upload(client, auth, ledger["inspection"], first)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["findings"] == {"created": 0, "updated": 0, "unchanged": 4}
    assert resp.get_json()["measures"] == {"created": 0, "updated": 0, "unchanged": 6}
    after = _state(db)
    assert after[:2] == before[:2]
    assert _cells(_export(client, auth, ledger["inspection"])) == _cells(first)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "import").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.object_type == "inspection" and entry.object_id == str(ledger["inspection"])


def test_a_ledger_imported_into_a_new_inspection_exports_the_same(client, db, ledger, auth):
    first = _export(client, auth, ledger["inspection"])
    s = db.session
    other = Inspection(
        name="十五届市委第五轮巡察",
        inspector="市委第八巡察组",
        org_unit_id=ledger["bureau_id"],
        feedback_on=date(2025, 7, 25),
        deadline=date(2025, 10, 23),
    )
    s.add(other)
    s.commit()
    resp = _upload(client, auth, other.id, first, dry_run=True)
    assert resp.status_code == 200 and resp.get_json()["findings"]["created"] == 4
    assert s.scalar(sa.select(sa.func.count()).where(Finding.inspection_id == other.id)) == 0
    resp = _upload(client, auth, other.id, first)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["measures"]["created"] == 6
    again = _export(client, auth, other.id)
    # Evidence files do not travel in a spreadsheet: everything else is the same.
    assert _cells(again, skip=("佐证材料",)) == _cells(first, skip=("佐证材料",))
    statuses = s.scalars(
        sa.select(Finding.status).where(Finding.inspection_id == other.id).order_by(Finding.number)
    ).all()
    assert statuses == ["in_progress"] * 4


def _edit(data: bytes, change) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    change(wb.active)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _set(cell, value):
    def change(ws):
        ws[cell] = value

    return change


BAD = {
    "wrong column": (_set("D3", "措施"), 3, "D", "无法识别的列"),
    "missing column": (lambda ws: ws.delete_cols(11), 3, "佐证材料", "缺少"),
    "formula cell": (_set("J4", "=TODAY()"), 4, "完成时间", "公式"),
    "bad date": (_set("J4", "2025-13-01"), 4, "完成时间", "日期"),
    "unknown leader": (_set("E4", "查无此人"), 4, "责任领导", "查无此人"),
    "unknown unit": (_set("F6", "不存在的大队"), 6, "牵头部门", "不存在的大队"),
    "duplicate 序号": (_set("A7", 1), 7, "序号", "重复"),
    "bad state": (_set("I5", "差不多"), 5, "完成情况", "已完成"),
    "done without a day": (_set("J4", None), 4, "完成时间", "完成时间"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_ledger_is_refused_whole_with_the_cell_named(client, db, ledger, auth, case):
    change, row, column, words = BAD[case]
    data = _edit(_export(client, auth, ledger["inspection"]), change)
    # A valid change elsewhere in the same file is not written either.
    data = _edit(data, _set("D8", "全量梳理处置（改）"))
    before = _state(db)
    resp = _upload(client, auth, ledger["inspection"], data)
    assert resp.status_code == 422, resp.get_json()
    body = resp.get_json()
    assert "台账未导入" in body["message"]
    hits = [e for e in body["errors"] if e["row"] == row and e["column"] == column]
    assert hits, body["errors"]
    assert hits[0]["sheet"] == "整改台账" and words in hits[0]["message"], hits
    assert _state(db) == before


def test_other_files_are_refused(client, db, ledger, auth):
    before = _state(db)
    resp = _upload(client, auth, ledger["inspection"], "序号,问题类别\n1,x\n".encode(), "台账.csv")
    assert resp.status_code == 422 and ".xlsx" in resp.get_json()["message"]
    resp = _upload(client, auth, ledger["inspection"], b"PK\x03\x04not a zip", "台账.xlsx")
    assert resp.status_code == 422
    assert _state(db) == before


def test_an_import_changes_and_adds_and_audits(client, db, ledger, auth):
    data = _export(client, auth, ledger["inspection"])

    def change(ws):
        ws["D8"] = "全量梳理处置，按法定程序拍卖或报废"  # finding 4, measure 2
        ws["I8"] = "已完成\n处置完毕。"
        ws["J8"] = date(2025, 10, 1)
        ws.append(
            [
                5,
                DEFAULT_CATEGORIES[2],
                "规范选人用人程序\n纪实材料归档不完整。",
                "组织政策学习",
                "孙局长",
                ledger["bureau"],
                "李所长",
                date(2025, 12, 31),
                "整改中",
                None,
                None,
            ]
        )

    resp = _upload(client, auth, ledger["inspection"], _edit(data, change))
    assert resp.status_code == 200, resp.get_json()
    summary = resp.get_json()
    assert summary["findings"] == {"created": 1, "updated": 0, "unchanged": 4}
    assert summary["measures"] == {"created": 1, "updated": 1, "unchanged": 5}
    s = db.session
    s.expire_all()
    new = s.scalar(sa.select(Finding).where(Finding.number == 5))
    assert (new.title, new.description, new.deadline, new.term) == (
        "规范选人用人程序",
        "纪实材料归档不完整。",
        date(2025, 12, 31),
        "time_limited",
    )
    changed = s.scalar(
        sa.select(RectificationMeasure).where(RectificationMeasure.description.like("%拍卖%"))
    )
    assert (changed.status, changed.done_on, changed.result) == (
        "done",
        date(2025, 10, 1),
        "处置完毕。",
    )
    actions = s.execute(
        sa.select(AuditEntry.action, AuditEntry.object_type).where(AuditEntry.action != "export")
    ).all()
    assert ("create", "finding") in actions and ("update", "rectification_measure") in actions


def test_a_signed_off_finding_is_not_changed_by_an_import(client, db, ledger, auth):
    data = _edit(_export(client, auth, ledger["inspection"]), _set("D7", "另写的措施"))
    resp = _upload(client, auth, ledger["inspection"], data)
    assert resp.status_code == 422
    assert any("销号" in e["message"] and e["row"] == 7 for e in resp.get_json()["errors"])


def test_libreoffice_opens_the_ledger_and_the_notice(client, ledger, auth, tmp_path):
    (tmp_path / "ledger.xlsx").write_bytes(_export(client, auth, ledger["inspection"]))
    resp = client.get(
        f"{NOTICE}.docx?inspection_id={ledger['inspection']}&as_of={AS_OF}",
        headers=auth["secretary"],
    )
    (tmp_path / "notice.docx").write_bytes(resp.data)
    sheet, word = libreoffice_pdfs(tmp_path, tmp_path / "ledger.xlsx", tmp_path / "notice.docx")
    text = pdftotext(sheet)
    for words in (
        "序号",
        "整改措施",
        "佐证材料",
        "强化政治理论学习",
        "深化理论研究学习",
        "长期整改",
    ):
        assert words in text, words
    text = pdftotext(word)
    _in_order(
        text,
        "二、巡察反馈重点问题整改落实情况",
        "（1）强化政治理论学习。",
        "三、需长期整改事项进展情况",
    )


def test_the_reports_page_links_the_documents_for_the_committee(
    client, ledger, auth, login, make_user
):
    make_user("page-secretary", ["discipline_secretary"])
    login("page-secretary")
    html = client.get("/reports").get_data(as_text=True)
    query = f"inspection_id={ledger['inspection']}"
    for path in (f"{NOTICE}.pdf", f"{NOTICE}.docx", LEDGER):
        assert f'href="{path}?{query}"' in html, path
    assert "整改进展情况通报（Word）" in html
