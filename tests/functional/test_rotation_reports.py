"""The rotation reports over HTTP (SPEC §7, §9): the 应轮尽轮 figures (API and page), the
candidates list (轮岗交流人选名单) and the 应轮尽轮 report as PDF and .xlsx — text, cells,
permissions (HR never sees a hold's reason), auditing, and the /reports page."""

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from supervision.audit.models import AuditEntry
from supervision.audit.services import parsed_changes
from supervision.org.models import Person
from supervision.rotation import services
from tests import factories
from tests.report_jobs import through_the_job

FIGURES = "/api/v1/rotation/completion"
CANDIDATES = "/api/v1/reports/rotation-candidates"
COMPLETION = "/api/v1/reports/rotation-completion"
SECRET = "举报线索核查中"
AS_OF = date(2025, 12, 31)


def _text(pdf_bytes: bytes) -> str:
    """The text of all pages, whitespace removed (CJK extraction spaces glyphs unevenly)."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return "".join(re.sub(r"\s+", "", page.extract_text()) for page in reader.pages)


def _cells(xlsx_bytes: bytes) -> dict[str, list[list]]:
    """{sheet title: rows of values} of a workbook."""
    wb = load_workbook(io.BytesIO(xlsx_bytes))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


@pytest.fixture
def org(db):
    """bureau > station, traffic. In 2025: 甲 moved by an executed plan (rotated); 乙 due
    since 2024; 丙 deferred by the committee; 丁 under a hold; 戊 upcoming; 己 the station head."""
    s = db.session
    bureau = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "城关派出所", kind="station", parent=bureau)
    traffic = factories.unit(s, "交警大队", parent=bureau)
    hukou = factories.post(s, station, "户籍岗", is_sensitive=True)
    cases = factories.post(s, station, "办案岗", is_sensitive=True)
    desk = factories.post(s, station, "内勤岗")
    accident = factories.post(s, traffic, "事故处理岗", is_sensitive=True)
    people = {}
    for key, name, unit, post, start, extra in (
        ("a", "甲警官", station, hukou, date(2019, 3, 1), {}),
        ("b", "乙警官", station, cases, date(2019, 1, 1), {}),
        ("c", "丙警官", traffic, accident, date(2018, 5, 1), {}),
        ("d", "丁警官", traffic, accident, date(2017, 1, 1), {}),
        ("e", "戊辅警", station, hukou, date(2023, 3, 1), {"personnel_type": "auxiliary"}),
    ):
        people[key] = factories.holder(s, post, name, start, org_unit=unit, **extra)
    services.create_deferral(
        s,
        {
            "person_id": people["c"].id,
            "reason": "重点案件承办中",
            "meeting_date": date(2025, 3, 1),
            "minutes_no": "党委会〔2025〕3号",
            "expires_on": date(2026, 6, 30),
        },
        None,
    )
    services.create_hold(s, {"person_id": people["d"].id, "reason": SECRET}, None)
    factories.rotation_plan(
        s,
        [(people["a"], hukou, desk, date(2025, 7, 1))],
        name="2025年轮岗",
        status="executed",
        meeting_date=date(2025, 6, 10),
        minutes_no="9",
    )
    s.commit()
    return {
        "bureau": bureau.id,
        "station": station.id,
        "traffic": traffic.id,
        **{k: p.id for k, p in people.items()},
    }


@pytest.fixture
def auth(db, org, make_user, token_for):
    """Bearer headers by role."""
    head = db.session.get(Person, org["b"])
    return {
        "secretary": token_for(make_user("secretary", ["discipline_secretary"])),
        "hr": token_for(make_user("hr", ["hr"])),
        "admin": token_for(make_user("admin", ["admin"])),
        "leader": token_for(make_user("leader", ["leader"], person=head)),
        "staff": token_for(make_user("staff", ["staff"])),
    }


def test_the_figures_by_unit_with_the_lists(client, org, auth):
    resp = client.get(FIGURES, query_string={"period": "2025"}, headers=auth["hr"])
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["period"] == "2025" and body["as_of"] == "2025-12-31"
    assert body["total"] == {
        "org_unit_id": None,
        "org_unit_name": None,
        "rotated": 1,
        "due": 1,
        "deferred": 1,
        "blocked": 1,
        "rate": 0.5,
    }
    units = {u["org_unit_id"]: u for u in body["units"]}
    assert (units[org["station"]]["rotated"], units[org["station"]]["due"]) == (1, 1)
    assert (units[org["traffic"]]["deferred"], units[org["traffic"]]["blocked"]) == (1, 1)
    assert units[org["traffic"]]["rate"] is None and body["own_unit"] is None
    rotated = body["people"]["rotated"][0]
    assert rotated["person_id"] == org["a"] and rotated["left_on"] == "2025-07-01"
    assert rotated["due_on"] == "2024-03-01" and rotated["post_name"].startswith("户籍岗")
    assert [p["person_id"] for p in body["people"]["blocked"]] == [org["d"]]
    assert SECRET not in resp.get_data(as_text=True)
    one = client.get(
        FIGURES,
        query_string={"period": "2025H2", "org_unit_id": org["traffic"]},
        headers=auth["secretary"],
    ).json
    assert one["total"]["org_unit_id"] == org["traffic"] and one["total"]["rotated"] == 0
    assert one["units"] == [] and one["own_unit"]["blocked"] == 1


def test_the_figures_refuse_bad_input_and_other_roles(client, org, auth):
    assert client.get(FIGURES, headers=auth["hr"]).status_code == 422
    bad = client.get(FIGURES, query_string={"period": "2025Q9"}, headers=auth["hr"])
    assert bad.status_code == 422 and "period" in bad.json["errors"]
    assert (
        client.get(
            FIGURES, query_string={"period": "2025", "org_unit_id": 999999}, headers=auth["hr"]
        ).status_code
        == 404
    )
    assert (
        client.get(
            FIGURES, query_string={"period": "2025", "org_unit_id": "x"}, headers=auth["hr"]
        ).status_code
        == 422
    )
    for role in ("leader", "staff"):
        assert (
            client.get(FIGURES, query_string={"period": "2025"}, headers=auth[role]).status_code
            == 403
        )
    assert client.get(FIGURES, query_string={"period": "2025"}).status_code == 401


def test_candidates_pdf_has_the_chinese_headers_rows_and_exceptions(client, db, org, auth):
    resp = client.get(
        f"{CANDIDATES}.pdf", query_string={"as_of": AS_OF.isoformat()}, headers=auth["secretary"]
    )
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "rotation-candidates-2025-12-31.pdf" in resp.headers["Content-Disposition"]
    text = _text(resp.data)
    for header in (
        "轮岗交流人选名单",
        "序号",
        "单位",
        "姓名",
        "工号",
        "人员类别",
        "岗位",
        "任职起始日期",
        "任职年限",
        "应轮日期",
        "状态",
        "备注",
    ):
        assert header in text, header
    assert "乙警官" in text and "应轮岗" in text and "2024-01-01" in text
    assert "戊辅警" in text and "辅警" in text and "即将到期" in text
    assert "已达轮岗年限但暂缓、不得转任或已列入计划的人员" in text
    assert "丙警官" in text and "党委研究暂缓至2026-06-30" in text
    assert "丁警官" in text and "纪委暂不同意转任" in text and SECRET not in text
    assert "甲警官" not in text  # moved in July: not a candidate any more
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "export", AuditEntry.object_id == "rotation-candidates"
        )
    ).one()
    changes = parsed_changes(entry)
    assert (changes["format"], changes["as_of"], changes["rows"], changes["exceptions"]) == (
        "pdf",
        "2025-12-31",
        2,
        2,
    )


def test_candidates_with_a_status_list_only_that_status(client, org, auth):
    resp = client.get(
        f"{CANDIDATES}.xlsx",
        query_string={
            "as_of": AS_OF.isoformat(),
            "status": "blocked",
            "org_unit_id": org["traffic"],
        },
        headers=auth["hr"],
    )
    assert resp.status_code == 200
    sheets = _cells(resp.data)
    assert list(sheets) == ["人选名单"]
    rows = list(sheets.values())[0]
    assert rows[0][0] == "轮岗交流人选名单" and "交警大队" in rows[1][0]
    assert [r[2] for r in rows[3:]] == ["丁警官"]
    bad = client.get(f"{CANDIDATES}.pdf", query_string={"status": "gone"}, headers=auth["hr"])
    assert bad.status_code == 422
    assert (
        client.get(
            f"{CANDIDATES}.pdf", query_string={"org_unit_id": 999999}, headers=auth["hr"]
        ).status_code
        == 404
    )


def test_hr_gets_the_candidates_workbook_without_the_hold_reason(client, org, auth):
    resp = client.get(
        f"{CANDIDATES}.xlsx", query_string={"as_of": AS_OF.isoformat()}, headers=auth["hr"]
    )
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    sheets = _cells(resp.data)
    assert list(sheets) == ["人选名单", "例外人员"]
    main, exceptions = sheets["人选名单"], sheets["例外人员"]
    assert main[2] == [
        "序号",
        "单位",
        "姓名",
        "工号",
        "人员类别",
        "岗位",
        "任职起始日期",
        "任职年限",
        "应轮日期",
        "状态",
        "备注",
    ]
    by_name = {r[2]: r for r in main[3:]}
    assert set(by_name) == {"乙警官", "戊辅警"}
    b = by_name["乙警官"]
    assert (b[0], b[4], b[9]) == (1, "民警", "应轮岗") and b[1].startswith("城关派出所")
    assert b[6].date() == date(2019, 1, 1) and b[8].date() == date(2024, 1, 1) and b[7] == 7.0
    held = {r[2]: r for r in exceptions[3:]}
    assert set(held) == {"丙警官", "丁警官"}
    assert held["丁警官"][9] == "不得转任" and held["丁警官"][10] == "纪委暂不同意转任"
    assert SECRET not in repr(sheets)


def test_leaders_and_staff_may_not_download(client, org, auth):
    for role in ("leader", "staff"):
        assert client.get(f"{CANDIDATES}.xlsx", headers=auth[role]).status_code == 403
        assert client.get(f"{CANDIDATES}.pdf", headers=auth[role]).status_code == 403
        assert (
            client.get(
                f"{COMPLETION}.pdf", query_string={"period": "2025"}, headers=auth[role]
            ).status_code
            == 403
        )


def test_completion_pdf_and_workbook(client, db, org, auth):
    resp = client.get(f"{COMPLETION}.pdf", query_string={"period": "2025"}, headers=auth["admin"])
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "rotation-completion-2025-2025-12-31.pdf" in resp.headers["Content-Disposition"]
    text = _text(resp.data)
    for words in (
        "2025应轮尽轮情况",
        "单位",
        "已轮岗",
        "应轮未轮",
        "暂缓",
        "不得转任",
        "应轮尽轮率",
        "城关派出所",
        "交警大队",
        "合计",
        "50.0%",
        "本期已轮岗人员（1）",
        "期末应轮未轮人员（1）",
        "离岗日期",
        "2025-07-01",
        "甲警官",
        "乙警官",
        "丙警官",
        "丁警官",
    ):
        assert words in text, words
    assert SECRET not in text
    xlsx = client.get(f"{COMPLETION}.xlsx", query_string={"period": "2025"}, headers=auth["hr"])
    sheets = _cells(xlsx.data)
    assert list(sheets)[0] == "应轮尽轮情况"
    table = sheets["应轮尽轮情况"]
    assert table[2] == ["单位", "已轮岗", "应轮未轮", "暂缓", "不得转任", "应轮尽轮率"]
    assert table[-1] == ["合计", 1, 1, 1, 1, 0.5]
    rotated = sheets["本期已轮岗人员"]
    assert rotated[3][2] == "甲警官" and rotated[3][6].date() == date(2025, 7, 1)
    assert SECRET not in repr(sheets)
    assert client.get(f"{COMPLETION}.pdf", headers=auth["hr"]).status_code == 422
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.object_id == "rotation-completion")
        )
        == 2
    )


def test_exported_cells_are_neutralised(client, db, org, auth):
    person = db.session.get(Person, org["b"])
    person.name = '=HYPERLINK("x")'
    db.session.commit()
    sheets = _cells(
        client.get(
            f"{CANDIDATES}.xlsx", query_string={"as_of": "2025-12-31"}, headers=auth["hr"]
        ).data
    )
    assert any(r[2] == '\'=HYPERLINK("x")' for r in sheets["人选名单"][3:])


# ------------------------------------------------------------------ pages


def test_the_page_shows_the_table_lists_and_downloads(client, org, make_user, login):
    make_user("hr", roles=("hr",))
    login("hr")
    resp = client.get("/rotation/completion/", query_string={"period": "2025"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "应轮尽轮情况" in html and "城关派出所" in html and "50.0%" in html
    assert "乙警官" in html and "甲警官" not in html  # the due list is shown first
    assert "/api/v1/reports/rotation-completion.pdf?period=2025" in html
    assert "/api/v1/reports/rotation-completion.xlsx?period=2025" in html
    assert f"/rotation/people/{org['b']}" in html
    assert SECRET not in html
    rotated = client.get(
        "/rotation/completion/", query_string={"period": "2025", "list": "rotated"}
    ).get_data(as_text=True)
    assert "甲警官" in rotated and "2025-07-01" in rotated
    drill = client.get(
        "/rotation/completion/",
        query_string={"period": "2025", "org_unit_id": org["traffic"], "list": "blocked"},
    )
    html = drill.get_data(as_text=True)
    assert drill.status_code == 200 and "丁警官" in html and re.search(r"交警大队\d+（本级）", html)
    assert "无下级单位" in html


def test_the_page_defaults_to_this_year_and_shows_an_empty_state(client, db, make_user, login):
    make_user("member", roles=("discipline_member",))
    login("member")
    resp = client.get("/rotation/completion/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="empty"' in html
    from supervision.common import clock

    assert f'value="{clock.today().year}"' in html


def test_the_page_keeps_a_bad_period_and_says_why(client, org, make_user, login):
    make_user("secretary", roles=("discipline_secretary",))
    login("secretary")
    resp = client.get("/rotation/completion/", query_string={"period": "2025Q7"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'value="2025Q7"' in html and "is-invalid" in html
    assert (
        client.get("/rotation/completion/", query_string={"org_unit_id": 999999}).status_code == 404
    )


def test_the_page_is_refused_to_leaders(client, make_user, login):
    make_user("leader", roles=("leader",))
    login("leader")
    assert client.get("/rotation/completion/").status_code == 403


def test_hr_sees_only_the_rotation_reports_and_downloads_from_the_page(
    client, org, make_user, login
):
    make_user("hr", roles=("hr",))
    login("hr")
    page = client.get("/reports")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "轮岗交流人选名单" in html and "应轮尽轮情况" in html
    assert "廉政风险点排查清单" not in html and "risk-inventory" not in html
    resp = through_the_job(
        client,
        client.get(
            "/reports/rotation-candidates",
            query_string={"org_unit_id": "", "as_of": "2025-12-31", "status": "", "format": "xlsx"},
        ),
    )
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    resp = through_the_job(
        client,
        client.get(
            "/reports/rotation-completion",
            query_string={"period": "2025", "org_unit_id": org["station"], "format": "pdf"},
        ),
    )
    assert resp.status_code == 200 and "城关派出所" in _text(resp.data)
    bad = client.get(
        "/reports/rotation-completion",
        query_string={"period": "20x5", "org_unit_id": "", "format": "pdf"},
    )
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'value="20x5"' in body and "应为 YYYY" in body
    assert client.get("/reports/risk-inventory", query_string={"org_unit_id": 1}).status_code == 403


def test_the_secretary_sees_both_sections(client, org, make_user, login):
    make_user("secretary", roles=("discipline_secretary",))
    login("secretary")
    html = client.get("/reports").get_data(as_text=True)
    assert "廉政风险点排查清单" in html and "轮岗交流人选名单" in html


def test_a_leader_sees_no_rotation_section(client, make_user, login):
    make_user("leader", roles=("leader",))
    login("leader")
    html = client.get("/reports").get_data(as_text=True)
    assert "廉政风险点排查清单" in html and "轮岗交流人选名单" not in html
    assert client.get("/reports/rotation-candidates").status_code == 403


def test_the_page_takes_as_many_statements_for_2000_people_as_for_200(
    client, db, make_user, login, count_statements
):
    from tests.integration.test_rotation_completion import _bulk, _truncate

    make_user("hr", roles=("hr",))
    login("hr")
    counts = {}
    for n in (200, 2000):
        _bulk(db, n)
        with count_statements() as statements:
            resp = client.get(
                "/rotation/completion/", query_string={"period": "2025", "org_unit_id": 1}
            )
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        assert f'text-bg-secondary">{n // 5}</span>' in html  # the rotated people
        counts[n] = len(statements)
        _truncate(db)
    assert counts[200] == counts[2000] <= 20, counts
