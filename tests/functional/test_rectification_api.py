"""The rectification API (SPEC §14, §10): the journey of a finding from feedback to sign-off,
who sees what (the responsible leader, the heads of the lead and owner units, the owner,
and nobody else), the bad input of issue 15 answered in Chinese with nothing written,
lists with their filters and pagination, the summary, evidence files and links."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.org.models import OrgUnit
from supervision.rectification.models import (
    Finding,
    FindingNote,
    Inspection,
    MeasureEvidence,
    RectificationMeasure,
)
from tests import factories

API = "/api/v1"
PDF = b"%PDF-1.4\n" + b"rectified " * 40


@pytest.fixture
def org(app, db, tmp_path, monkeypatch, token_for):
    """分局 (chief: the inspection's leader), 派出所 (head: the responsible leader, who
    heads the lead unit), 交警大队 (its head owns a measure's unit), an officer owning a
    measure, and a user of every other role."""
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(tmp_path / "files"))
    monkeypatch.setitem(app.config, "SUPERVISION_FAKE_NOW", "2025-09-20T10:00:00+08:00")
    s = db.session
    rows = factories.small_bureau(s)
    traffic_head = factories.person(s, rows["traffic"], "钱大队长", leadership="department_head")
    officer = factories.person(s, rows["station"], "张三")
    stranger = factories.person(s, rows["station"], "孙七")
    s.flush()
    rows["traffic"].head_person_id = traffic_head.id
    users = {
        "secretary": factories.user(s, "secretary", ["discipline_secretary"]),
        "member": factories.user(s, "member", ["discipline_member"]),
        "admin": factories.user(s, "admin", ["admin"]),
        "hr": factories.user(s, "hr", ["hr"]),
        "chief": factories.user(s, "chief", ["leader"], person=rows["chief"]),
        "leader": factories.user(s, "leader", ["leader"], person=rows["head"]),
        "traffic": factories.user(s, "traffic", ["leader"], person=traffic_head),
        "staff": factories.user(s, "staff", ["staff"], person=officer),
        "stranger": factories.user(s, "stranger", ["staff"], person=stranger),
    }
    s.commit()
    return {
        "rows": {k: v.id for k, v in rows.items()},
        "officer": officer.id,
        "traffic_head": traffic_head.id,
        "h": {k: token_for(u) for k, u in users.items()},
    }


def _ok(resp, status=200):
    assert resp.status_code == status, resp.get_json()
    return resp.get_json()


@pytest.fixture
def ledger(client, org):
    """An inspection with one finding led by the station: measure 1 owned by the officer,
    measure 2 by the traffic department."""
    h = org["h"]["secretary"]
    rows = org["rows"]
    inspection = _ok(
        client.post(
            f"{API}/inspections",
            headers=h,
            json={
                "name": "十五届市委第五轮巡察",
                "inspector": "市委第八巡察组",
                "org_unit_id": rows["bureau"],
                "feedback_on": "2025-06-01",
                "leader_person_id": rows["chief"],
                "narrative": {"duty": [{"heading": "提高政治站位", "body": "党委高度重视"}]},
            },
        ),
        201,
    )
    finding = _ok(
        client.post(
            f"{API}/inspections/{inspection['id']}/findings",
            headers=h,
            json={
                "category": "聚焦全面从严管党治警情况",
                "theme": "落实管党治警责任",
                "title": "强化保密工作",
                "description": "保密检查不到位",
                "responsible_leader_id": rows["head"],
                "lead_unit_id": rows["station"],
            },
        ),
        201,
    )
    first = _ok(
        client.post(
            f"{API}/findings/{finding['id']}/measures",
            headers=h,
            json={
                "description": "开展保密检查",
                "owner_unit_id": rows["station"],
                "owner_person_id": org["officer"],
            },
        ),
        201,
    )
    second = _ok(
        client.post(
            f"{API}/findings/{finding['id']}/measures",
            headers=h,
            json={
                "description": "组织培训",
                "owner_unit_id": rows["traffic"],
                "due_on": "2025-07-31",
            },
        ),
        201,
    )
    return {"inspection": inspection, "finding": finding, "measures": [first, second]}


def test_from_feedback_to_sign_off(client, db, org, ledger):
    h = org["h"]
    inspection, finding = ledger["inspection"], ledger["finding"]
    first, second = ledger["measures"]
    assert inspection["deadline"] == "2025-08-30" and inspection["status"] == "rectifying"
    assert inspection["narrative"]["duty"][0]["heading"] == "提高政治站位"
    assert (finding["number"], finding["deadline"], finding["status"]) == (1, "2025-08-30", "open")
    assert (first["number"], first["due_on"], second["number"]) == (1, "2025-08-30", 2)

    # The owner marks their measure done and adds a file; the traffic head the other one.
    done = _ok(
        client.post(
            f"{API}/rectification-measures/{first['id']}/done",
            headers=h["staff"],
            json={"result": "共检查涉密计算机32台"},
        )
    )
    assert (done["status"], done["done_on"]) == ("done", "2025-09-20")
    upload = client.post(
        f"{API}/rectification-measures/{first['id']}/evidence",
        headers=h["staff"],
        data={"file": (io.BytesIO(PDF), "保密检查记录.pdf"), "note": "检查记录"},
        content_type="multipart/form-data",
    )
    item = _ok(upload, 201)
    assert (item["kind"], item["filename"], item["note"]) == (
        "file",
        "保密检查记录.pdf",
        "检查记录",
    )
    got = client.get(
        f"{API}/rectification-measures/{first['id']}/evidence/{item['id']}", headers=h["leader"]
    )
    assert got.status_code == 200 and got.data == PDF
    assert "UTF-8''%E4%BF%9D%E5%AF%86" in got.headers["Content-Disposition"]
    assert "no-store" in got.headers["Cache-Control"]
    assert _ok(client.get(f"{API}/findings/{finding['id']}", headers=h["leader"]))["status"] == (
        "in_progress"
    )
    # The owner may not request sign-off, nor edit anything but the result.
    assert (
        client.post(
            f"{API}/findings/{finding['id']}/request-completion",
            headers=h["staff"],
            json={"summary": "完成"},
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"{API}/rectification-measures/{first['id']}",
            headers=h["staff"],
            json={"due_on": "2025-12-31"},
        ).status_code
        == 403
    )
    _ok(
        client.patch(
            f"{API}/rectification-measures/{first['id']}",
            headers=h["staff"],
            json={"result": "共检查涉密计算机33台"},
        )
    )
    # Sign-off requested too early: a measure is open (Chinese, nothing written).
    early = client.post(
        f"{API}/findings/{finding['id']}/request-completion",
        headers=h["leader"],
        json={"summary": "完成"},
    )
    assert early.status_code == 409 and "尚未完成" in early.get_json()["message"]
    _ok(
        client.post(
            f"{API}/rectification-measures/{second['id']}/done", headers=h["traffic"], json={}
        )
    )
    _ok(
        client.post(
            f"{API}/findings/{finding['id']}/request-completion",
            headers=h["leader"],
            json={"summary": "已完成全部整改"},
        )
    )
    assert (
        client.post(
            f"{API}/findings/{finding['id']}/complete",
            headers=h["leader"],
            json={"comment": "同意"},
        ).status_code
        == 403
    )
    returned = _ok(
        client.post(
            f"{API}/findings/{finding['id']}/return",
            headers=h["member"],
            json={"comment": "佐证材料不足"},
        )
    )
    assert (returned["status"], returned["review_comment"]) == ("in_progress", "佐证材料不足")
    note = _ok(
        client.post(
            f"{API}/findings/{finding['id']}/notes",
            headers=h["leader"],
            json={"text": "已补充材料"},
        ),
        201,
    )
    assert note["noted_on"] == "2025-09-20"
    _ok(
        client.post(
            f"{API}/findings/{finding['id']}/request-completion",
            headers=h["leader"],
            json={"summary": "补充了检查记录"},
        )
    )
    signed = _ok(
        client.post(
            f"{API}/findings/{finding['id']}/complete",
            headers=h["secretary"],
            json={"comment": "同意销号"},
        )
    )
    assert (signed["status"], signed["completed_on"], signed["review_comment"]) == (
        "completed",
        "2025-09-20",
        "同意销号",
    )
    assert [e["action"] for e in signed["history"]] == [
        "create",
        "progress",
        "request_completion",
        "return",
        "request_completion",
        "complete",
    ]
    assert signed["notes"][0]["text"] == "已补充材料"
    assert signed["measures"][0]["evidence"][0]["filename"] == "保密检查记录.pdf"
    late = client.post(f"{API}/rectification-measures/{first['id']}/reopen", headers=h["secretary"])
    assert late.status_code == 409 and "已销号" in late.get_json()["message"]
    summary = _ok(
        client.get(
            f"{API}/inspections/{inspection['id']}/summary?as_of=2025-09-20", headers=h["chief"]
        )
    )
    assert summary["by_status"]["completed"] == 1 and summary["measures_done"] == 2
    assert summary["units"][0]["lead_unit_id"] == org["rows"]["station"]
    audited = db.session.scalar(
        sa.select(sa.func.count()).where(
            AuditEntry.object_type.in_(("inspection", "finding", "rectification_measure"))
        )
    )
    assert audited >= 14


def test_who_sees_what(client, org, ledger):
    h = org["h"]
    finding = ledger["finding"]
    first, second = ledger["measures"]
    url = f"{API}/findings/{finding['id']}"
    for who in ("secretary", "member", "chief", "leader", "traffic"):
        seen = _ok(client.get(url, headers=h[who]))
        assert [m["id"] for m in seen["measures"]] == [first["id"], second["id"]], who
        assert seen["notes"] == [] and seen["history"] is not None, who
    owner = _ok(client.get(url, headers=h["staff"]))
    assert [m["id"] for m in owner["measures"]] == [first["id"]]
    assert owner["notes"] is None and owner["history"] is None
    assert owner["title"] == "强化保密工作"
    assert (
        client.get(f"{API}/rectification-measures/{second['id']}", headers=h["staff"]).status_code
        == 404
    )
    assert (
        client.post(
            f"{API}/findings/{finding['id']}/notes", headers=h["staff"], json={"text": "x"}
        ).status_code
        == 403
    )
    for who in ("admin", "hr", "stranger"):
        assert client.get(url, headers=h[who]).status_code == 404, who
        assert (
            client.get(f"{API}/rectification-measures/{first['id']}", headers=h[who]).status_code
            == 404
        )
        assert (
            client.get(
                f"{API}/inspections/{ledger['inspection']['id']}", headers=h[who]
            ).status_code
            == 404
        )
    for who in ("admin", "hr"):
        assert client.get(f"{API}/inspections", headers=h[who]).status_code == 403
    assert _ok(client.get(f"{API}/inspections", headers=h["stranger"])) == []
    assert len(_ok(client.get(f"{API}/inspections", headers=h["staff"]))) == 1
    # The figures of the whole inspection: the committee and the inspection's leader.
    summary = f"{API}/inspections/{ledger['inspection']['id']}/summary"
    assert client.get(summary, headers=h["leader"]).status_code == 403
    assert client.get(summary, headers=h["member"]).status_code == 200
    assert client.get(summary, headers=h["stranger"]).status_code == 404


def _counts(db) -> tuple[int, ...]:
    db.session.rollback()
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (
            Inspection,
            Finding,
            RectificationMeasure,
            FindingNote,
            MeasureEvidence,
            AuditEntry,
        )
    )


def _office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(part, "<x/>")
    return buffer.getvalue()


def test_bad_input_is_a_chinese_4xx_and_writes_nothing(client, db, org, ledger):
    h = org["h"]
    sec = h["secretary"]
    inspection, finding = ledger["inspection"], ledger["finding"]
    first = ledger["measures"][0]
    unit = db.session.get(OrgUnit, org["rows"]["traffic"])
    hidden = factories.draft_talk(
        db.session,
        factories.person(db.session, unit, "周八"),
        [factories.person(db.session, unit, "吴九")],
    )
    db.session.commit()
    hidden_id = hidden.id
    cases = [
        (
            "post",
            f"{API}/inspections",
            sec,
            {
                "json": {
                    "name": "巡察",
                    "inspector": "巡察组",
                    "org_unit_id": org["rows"]["bureau"],
                    "feedback_on": "2025-06-01",
                    "deadline": "2025-05-01",
                }
            },
            422,
            "deadline",
            "反馈日期",
        ),
        (
            "post",
            f"{API}/findings/{finding['id']}/measures",
            sec,
            {"json": {"description": "晚", "due_on": "2025-10-31"}},
            422,
            "due_reason",
            "原因",
        ),
        (
            "post",
            f"{API}/inspections/{inspection['id']}/findings",
            sec,
            {"json": {"category": "类", "title": "重复", "number": 1}},
            422,
            "number",
            "序号为 1",
        ),
        (
            "post",
            f"{API}/inspections/{inspection['id']}/findings",
            sec,
            {"json": {"category": "类", "title": "早", "deadline": "2025-05-31"}},
            422,
            "deadline",
            "反馈日期",
        ),
        (
            "post",
            f"{API}/findings/{finding['id']}/complete",
            sec,
            {"json": {"comment": "同意"}},
            409,
            None,
            "申请销号",
        ),
        (
            "post",
            f"{API}/findings/{finding['id']}/request-completion",
            sec,
            {"json": {"summary": "完成"}},
            409,
            None,
            "尚未完成",
        ),
        (
            "post",
            f"{API}/rectification-measures/{first['id']}/evidence",
            h["leader"],
            {"json": {"object_type": "talk", "object_id": hidden_id}},
            422,
            "object_id",
            "不存在",
        ),
        (
            "post",
            f"{API}/rectification-measures/{first['id']}/evidence",
            h["staff"],
            {
                "data": {"file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "整改报告.pdf")},
                "content_type": "multipart/form-data",
            },
            422,
            "file",
            "只接受",
        ),
        (
            "post",
            f"{API}/rectification-measures/{first['id']}/evidence",
            h["staff"],
            {
                "data": {"file": (io.BytesIO(_office("other.xml")), "台账.xlsx")},
                "content_type": "multipart/form-data",
            },
            422,
            "file",
            "只接受",
        ),
        (
            "patch",
            f"{API}/inspections/{inspection['id']}",
            sec,
            {"json": {"onsite_from": "2025-05-10", "onsite_to": "2025-05-01"}},
            422,
            "onsite_to",
            "现场巡察",
        ),
    ]
    for method, url, headers, kwargs, status, field, words in cases:
        before = _counts(db)
        resp = getattr(client, method)(url, headers=headers, **kwargs)
        body = resp.get_json()
        assert resp.status_code == status, (url, body)
        text = json.dumps(body, ensure_ascii=False)
        assert words in text, (url, body)
        if field is not None:
            assert field in body["errors"], body
        assert _counts(db) == before, url
    # The secretary reads the talk: the same link is accepted from them.
    _ok(
        client.post(
            f"{API}/rectification-measures/{first['id']}/evidence",
            headers=sec,
            json={"object_type": "talk", "object_id": hidden_id},
        ),
        201,
    )


def test_lists_filter_and_paginate(client, org, ledger):
    h = org["h"]["secretary"]
    inspection = ledger["inspection"]
    url = f"{API}/inspections/{inspection['id']}/findings"
    _ok(
        client.post(
            url,
            headers=h,
            json={
                "category": "聚焦基层党组织和党员队伍建设",
                "title": "长期",
                "term": "long_term",
                "lead_unit_id": org["rows"]["traffic"],
            },
        ),
        201,
    )
    resp = client.get(f"{url}?page_size=1", headers=h)
    assert len(resp.get_json()) == 1
    assert json.loads(resp.headers["X-Pagination"])["total"] == 2
    numbers = lambda q: [f["number"] for f in _ok(client.get(f"{url}?{q}", headers=h))]  # noqa: E731
    assert numbers(f"lead_unit_id={org['rows']['traffic']}") == [2]
    assert numbers("category=聚焦全面从严管党治警情况") == [1]
    assert numbers("status=open") == [1, 2]
    assert numbers("overdue=true&as_of=2025-09-20") == [1]
    assert numbers("overdue=true&as_of=2025-08-30") == []
    assert numbers("overdue=false&as_of=2025-09-20") == [2]
    assert client.get(f"{url}?status=nonsense", headers=h).status_code == 422
    assert _ok(client.get(f"{url}", headers=h))[0]["overdue"] is True


def test_measure_delete_and_evidence_removal(client, db, org, ledger):
    h = org["h"]
    first, second = ledger["measures"]
    item = _ok(
        client.post(
            f"{API}/rectification-measures/{first['id']}/evidence",
            headers=h["staff"],
            data={"file": (io.BytesIO(_office("word/document.xml")), "整改方案.docx")},
            content_type="multipart/form-data",
        ),
        201,
    )
    assert item["content_type"].endswith("wordprocessingml.document")
    url = f"{API}/rectification-measures/{first['id']}/evidence/{item['id']}"
    assert client.delete(url, headers=h["stranger"]).status_code == 404
    assert client.delete(url, headers=h["staff"]).status_code == 204
    assert client.get(url, headers=h["staff"]).status_code == 404
    assert (
        client.delete(
            f"{API}/rectification-measures/{second['id']}", headers=h["traffic"]
        ).status_code
        == 403
    )
    assert (
        client.delete(
            f"{API}/rectification-measures/{second['id']}", headers=h["member"]
        ).status_code
        == 204
    )
    assert db.session.get(RectificationMeasure, second["id"]) is None
    assert date.fromisoformat(first["due_on"]) == date(2025, 8, 30)


def test_the_findings_list_and_a_finding_take_a_fixed_number_of_statements(
    client, org, ledger, count_statements
):
    h = org["h"]
    inspection, finding = ledger["inspection"], ledger["finding"]
    url = f"{API}/inspections/{inspection['id']}/findings"

    def statements(path, who):
        with count_statements() as seen:
            _ok(client.get(path, headers=h[who]))
        return len(seen)

    for who in ("secretary", "leader", "staff"):  # the token's first use writes its time
        statements(url, who)
    few = {who: statements(url, who) for who in ("secretary", "leader", "staff")}
    one = {who: statements(f"{API}/findings/{finding['id']}", who) for who in ("leader", "staff")}
    for n in range(6):
        added = _ok(
            client.post(
                url,
                headers=h["secretary"],
                json={
                    "category": "类",
                    "title": f"问题{n}",
                    "lead_unit_id": org["rows"]["station"],
                },
            ),
            201,
        )
        for _m in range(2):
            _ok(
                client.post(
                    f"{API}/findings/{added['id']}/measures",
                    headers=h["secretary"],
                    json={"description": "措施", "owner_person_id": org["officer"]},
                ),
                201,
            )
    assert {who: statements(url, who) for who in few} == few
    assert {who: statements(f"{API}/findings/{added['id']}", who) for who in one} == one
