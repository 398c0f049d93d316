"""The talk reports over HTTP (SPEC §9): the talk record form (谈话记录表) PDF and the
talk completion report (通报) as PDF and .xlsx — text, figures, permissions, auditing."""

import io
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from supervision.audit.models import AuditEntry
from supervision.calendar import services as calendar
from supervision.org.models import Person
from supervision.talks.models import Talk
from tests import factories

COMPLETION = "/api/v1/reports/talk-completion"


def _text(pdf_bytes: bytes) -> list[str]:
    """The text of each page, whitespace removed (CJK extraction spaces glyphs unevenly)."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


@pytest.fixture
def org(db):
    """bureau (head: chief) > station (head: head) > team; traffic. 甲 and 乙 hold a sensitive
    post in the team (甲 had a final Q3 talk, signed by 甲 and the head), 丙 in traffic; a
    draft talk with 乙; the official 2025 calendar."""
    s = db.session
    calendar.sync(s, [2025])
    tree = factories.small_bureau(s, chief="孙局长", head="李所长")
    station, team, traffic, head = tree["station"], tree["team"], tree["traffic"], tree["head"]
    recorder = factories.person(s, station, "赵记录")
    member = factories.person(s, tree["bureau"], "王委员")
    team_post = factories.post(s, team, "户籍岗", is_sensitive=True)
    traffic_post = factories.post(s, traffic, "事故处理岗", is_sensitive=True)
    a = factories.holder(s, team_post, "甲警官", date(2024, 1, 1))
    b = factories.holder(s, team_post, "乙警官", date(2024, 1, 1))
    c = factories.holder(s, traffic_post, "丙警官", date(2024, 1, 1))
    final = factories.final_talk(
        s,
        a,
        [head],
        datetime(2025, 9, 10, 1, 30, tzinfo=UTC),
        recorder=recorder,
        location="三楼谈话室",
        reason="季度廉政提醒",
        content="提醒严守户籍管理纪律",
        response="坚决遵守各项规定",
        follow_up="每月开展一次自查",
    )
    draft = factories.draft_talk(
        s,
        b,
        [head],
        held_at=datetime(2025, 9, 12, 2, tzinfo=UTC),
        location="所长办公室",
        content="草拟内容",
    )
    s.commit()
    ids = dict(**tree, recorder=recorder, member=member, a=a, b=b, c=c)
    return {**{k: v.id for k, v in ids.items()}, "final": final.id, "draft": draft.id}


@pytest.fixture
def auth(db, org, make_user, token_for):
    """Bearer headers by role; the leader heads the station."""

    def person(key):
        return db.session.get(Person, org[key])

    return {
        "secretary": token_for(make_user("secretary", ["discipline_secretary"])),
        "member": token_for(make_user("member", ["discipline_member"], person=person("member"))),
        "leader": token_for(make_user("leader", ["leader"], person=person("head"))),
        "officer": token_for(make_user("officer", ["staff"], person=person("a"))),
        "other": token_for(make_user("other", ["staff"], person=person("c"))),
        "hr": token_for(make_user("hr", ["hr"])),
        "admin": token_for(make_user("admin", ["admin"])),
    }


def _audit(db, action, object_id):
    return db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.object_id == str(object_id)
        )
    ).all()


# ------------------------------------------------------------------ record form


def test_final_record_form_prints_the_talk_with_signature_times(client, db, org, auth):
    resp = client.get(f"/api/v1/talks/{org['final']}/record.pdf", headers=auth["secretary"])
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/pdf"
    assert "attachment" in resp.headers["Content-Disposition"]
    text = "".join(_text(resp.data))
    for label in (
        "谈话记录表",
        "谈话类型",
        "谈话时间",
        "谈话地点",
        "谈话对象",
        "谈话人",
        "记录人",
        "谈话事由",
        "谈话内容",
        "本人表态",
        "整改要求",
        "签字",
        "所属期间",
        "岗位",
    ):
        assert label in text, label
    assert "廉政提醒谈话" in text and "2025-09-1009:30" in text  # local time (UTC+8)
    assert "三楼谈话室" in text and "甲警官" in text and "李所长" in text and "赵记录" in text
    team = db.session.get(Person, org["a"]).org_unit.name
    assert team in text and "户籍岗" in text and "2025Q3" in text
    assert (
        "提醒严守户籍管理纪律" in text and "坚决遵守各项规定" in text and "每月开展一次自查" in text
    )
    assert text.count("已电子签名") == 2 and "已定稿" in text and "草稿" not in text
    assert "生成时间" in text and "第1页/共" in text
    assert len(_audit(db, "read", org["final"])) == 1


def test_a_draft_is_labelled_and_leaves_blank_signature_lines(client, org, auth):
    resp = client.get(f"/api/v1/talks/{org['draft']}/record.pdf", headers=auth["secretary"])
    assert resp.status_code == 200
    text = "".join(_text(resp.data))
    assert "草稿（未定稿）" in text and "草拟内容" in text and "乙警官" in text
    assert "已电子签名" not in text and text.count("日期") >= 2  # lines to sign on paper


def test_a_participant_gets_the_form_of_their_own_talk(client, org, auth):
    # A committee member who takes no part in the talk does not see it at all.
    assert (
        client.get(f"/api/v1/talks/{org['draft']}/record.pdf", headers=auth["member"]).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/talks/{org['final']}/record.pdf", headers=auth["officer"]).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/talks/{org['final']}/record.pdf", headers=auth["leader"]).status_code
        == 200
    )


@pytest.mark.parametrize("role", ["hr", "admin", "other"])
def test_readers_without_access_to_contents_get_404(client, db, org, auth, role):
    resp = client.get(f"/api/v1/talks/{org['final']}/record.pdf", headers=auth[role])
    assert resp.status_code == 404
    assert resp.get_json()["code"] == 404
    assert _audit(db, "read", org["final"]) == []


def test_record_form_needs_a_login_and_an_existing_talk(client, db, org, auth):
    assert client.get(f"/api/v1/talks/{org['final']}/record.pdf").status_code == 401
    missing = db.session.scalar(sa.select(sa.func.max(Talk.id))) + 1
    assert (
        client.get(f"/api/v1/talks/{missing}/record.pdf", headers=auth["secretary"]).status_code
        == 404
    )


# ------------------------------------------------------------------ completion report


def test_completion_pdf_lists_figures_and_the_overdue(client, db, org, auth):
    resp = client.get(
        f"{COMPLETION}.pdf",
        headers=auth["secretary"],
        query_string={"period": "2025Q3", "as_of": "2025-10-20"},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    text = "".join(_text(resp.data))
    assert "2025Q3谈话完成情况通报" in text and "统计截至2025-10-20" in text
    for label in (
        "单位",
        "应谈",
        "按期完成",
        "逾期完成",
        "逾期未谈",
        "完成率",
        "合计",
        "责任谈话人",
        "截止日期",
        "督办日期",
    ):
        assert label in text, label
    bureau = db.session.get(Person, org["chief"]).org_unit.name
    assert bureau in text and "33.3%" in text  # 1 of 3 done
    assert "乙警官" in text and "丙警官" in text and "甲警官" not in text
    # Escalation counts on the official calendar: 10 Oct 1-8 holidays, Sat 10-11 worked.
    assert "2025-09-30" in text and "2025-10-21" in text and "已督办" not in text
    assert "逾期2人次，其中督办0人次" in text
    assert "生成时间" in text and "第1页/共" in text
    entry = _audit(db, "export", "talk-completion")
    assert len(entry) == 1


def test_escalated_from_the_tenth_working_day(client, org, auth):
    resp = client.get(
        f"{COMPLETION}.pdf",
        headers=auth["secretary"],
        query_string={"period": "2025Q3", "as_of": "2025-10-21"},
    )
    text = "".join(_text(resp.data))
    assert "逾期2人次，其中督办2人次" in text and text.count("已督办") == 2


def test_completion_xlsx_equals_the_engine_summary(client, org, auth):
    query = {"period": "2025Q3", "org_unit_id": org["station"], "as_of": "2025-10-25"}
    summary = client.get(
        "/api/v1/obligations/summary", headers=auth["secretary"], query_string=query
    ).get_json()
    resp = client.get(f"{COMPLETION}.xlsx", headers=auth["secretary"], query_string=query)
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    sheet, overdue = wb.worksheets
    assert sheet.title == "完成情况" and overdue.title == "逾期名单"
    assert [c.value for c in sheet[3]] == [
        "单位",
        "应谈",
        "按期完成",
        "逾期完成",
        "逾期未谈",
        "未到期",
        "完成率",
    ]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    expected = [*summary["units"], {**summary["total"], "org_unit_name": "合计"}]
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        assert row == [
            want["org_unit_name"],
            want["required"],
            want["done"],
            want["done_late"],
            want["overdue"],
            want["pending"],
            want["completion_rate"],
        ]
    assert summary["total"]["required"] == 2 and summary["total"]["overdue"] == 1
    listed = [[c.value for c in r] for r in overdue.iter_rows(min_row=4)]
    assert len(listed) == 1 and listed[0][1] == "乙警官" and listed[0][4] == "李所长"
    assert listed[0][5].date() == date(2025, 9, 30) and listed[0][7] == "已督办"


def test_a_leader_sees_only_their_scope(client, org, auth):
    resp = client.get(
        f"{COMPLETION}.xlsx",
        headers=auth["leader"],
        query_string={"period": "2025Q3", "as_of": "2025-10-25"},
    )
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    names = [r[1].value for r in wb.worksheets[1].iter_rows(min_row=4)]
    assert names == ["乙警官"]  # 丙 (traffic) is outside the station's subtree
    resp = client.get(
        f"{COMPLETION}.pdf",
        headers=auth["leader"],
        query_string={"period": "2025Q3", "org_unit_id": org["traffic"]},
    )
    assert resp.status_code == 404


@pytest.mark.parametrize("role", ["hr", "admin", "officer"])
def test_other_roles_are_refused(client, org, auth, role):
    assert (
        client.get(
            f"{COMPLETION}.pdf", headers=auth[role], query_string={"period": "2025Q3"}
        ).status_code
        == 403
    )


def test_completion_validates_its_query(client, org, auth):
    assert client.get(f"{COMPLETION}.pdf", query_string={"period": "2025Q3"}).status_code == 401
    resp = client.get(f"{COMPLETION}.pdf", headers=auth["secretary"])
    assert resp.status_code == 422 and "period" in resp.get_json()["errors"]
    for query in (
        {"period": "2025Q5"},
        {"period": "2025Q3", "type": "supervision"},
        {"period": "2025Q3", "type": "admonishment"},
        {"period": "2025Q3", "as_of": "x"},
    ):
        assert (
            client.get(
                f"{COMPLETION}.xlsx", headers=auth["secretary"], query_string=query
            ).status_code
            == 422
        ), query
    assert (
        client.get(
            f"{COMPLETION}.pdf",
            headers=auth["secretary"],
            query_string={"period": "2025Q3", "org_unit_id": 999999},
        ).status_code
        == 404
    )
