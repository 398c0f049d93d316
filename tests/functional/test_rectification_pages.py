"""The rectification pages (SPEC §14, issue 15 items 2 and 6): who sees which inspection,
finding and measure (404 outside the scope, 403 for an action not theirs, nothing for admin
and HR); the workflow buttons shown only to those who may press them; the forms' errors
shown with the input kept; the ledger's counts, filters and snapshots' chart; "my tasks" and
the sign-off queue."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supervision.rectification import evidence, figures, services
from supervision.rectification.models import Finding, Inspection, RectificationMeasure
from tests import factories
from tests.conftest import csrf_from

TODAY = "2025-09-20T10:00:00+08:00"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def ledger(app, db, monkeypatch, tmp_path):
    """An inspection fed back on 2025-06-01 (deadline 2025-08-30) of the bureau, led by the
    chief; two findings:
    - 1 强化保密工作, responsible leader the chief, led by the station (headed by `leader`),
      measure 1 owned by the officer (staff), measure 2 by the traffic department;
    - 2 规范执法办案, responsible leader the chief, led by traffic, measure 1 owned by traffic.
    Users: secretary, member, admin, hr, leader (the station head), staff (the officer),
    chief (a leader: responsible leader and the inspection's leader), outsider (a leader
    without any seat)."""
    monkeypatch.setitem(app.config, "SUPERVISION_FAKE_NOW", TODAY)
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(tmp_path / "files"))
    s = db.session
    rows = factories.small_bureau(s)
    officer = factories.person(s, rows["station"], "张三")
    stranger = factories.person(s, rows["traffic"], "钱大队长", leadership="department_head")
    s.flush()
    inspection = services.create_inspection(
        s,
        {
            "name": "十五届市委第五轮巡察",
            "inspector": "市委第八巡察组",
            "org_unit_id": rows["bureau"].id,
            "feedback_on": date(2025, 6, 1),
            "leader_person_id": rows["chief"].id,
        },
    )
    first = services.create_finding(
        s,
        inspection,
        {
            "category": "聚焦全面从严管党治警情况",
            "theme": "保密管理",
            "title": "强化保密工作",
            "description": "保密意识不强",
            "responsible_leader_id": rows["chief"].id,
            "lead_unit_id": rows["station"].id,
        },
    )
    m1 = services.create_measure(
        s, first, {"description": "开展保密检查", "owner_person_id": officer.id}
    )
    m2 = services.create_measure(
        s, first, {"description": "组织保密培训", "owner_unit_id": rows["traffic"].id}
    )
    second = services.create_finding(
        s,
        inspection,
        {
            "category": "聚焦党中央决策部署在基层贯彻落实情况",
            "title": "规范执法办案",
            "responsible_leader_id": rows["chief"].id,
            "lead_unit_id": rows["traffic"].id,
        },
    )
    m3 = services.create_measure(
        s, second, {"description": "案件评查", "owner_unit_id": rows["traffic"].id}
    )
    users = {
        "secretary": factories.user(s, "secretary", ["discipline_secretary"]),
        "member": factories.user(s, "member", ["discipline_member"]),
        "admin": factories.user(s, "admin", ["admin"]),
        "hr": factories.user(s, "hr", ["hr"]),
        "leader": factories.user(s, "leader", ["leader"], person=rows["head"]),
        "staff": factories.user(s, "staff", ["staff"], person=officer),
        "chief": factories.user(s, "chief", ["leader"], person=rows["chief"]),
        "outsider": factories.user(s, "outsider", ["leader"], person=stranger),
    }
    s.commit()
    return {
        "rows": rows,
        "officer": officer,
        "inspection": inspection,
        "findings": [first, second],
        "measures": [m1, m2, m3],
        "users": users,
    }


def _as(app, login, username):
    client = app.test_client()
    login(username, c=client)
    return client


def _csrf(client) -> str:
    return csrf_from(client.get("/rectification/mine").get_data(as_text=True))


# ------------------------------------------------------------------ who sees what


def test_admin_and_hr_see_nothing_of_the_area(app, ledger, login):
    ids = ledger
    for name in ("admin", "hr"):
        c = _as(app, login, name)
        assert c.get("/rectification/").status_code == 403
        assert c.get("/rectification/mine").status_code == 403
        assert c.get(f"/rectification/{ids['inspection'].id}").status_code == 403
        assert c.get(f"/rectification/findings/{ids['findings'][0].id}").status_code == 403
        assert "/rectification/" not in c.get("/").get_data(as_text=True)


def test_the_secretary_sees_everything_and_every_action(app, ledger, login):
    c = _as(app, login, "secretary")
    html = c.get("/rectification/").get_data(as_text=True)
    assert "十五届市委第五轮巡察" in html and 'id="new-inspection"' in html
    html = c.get(f"/rectification/{ledger['inspection'].id}").get_data(as_text=True)
    assert "强化保密工作" in html and "规范执法办案" in html
    assert 'id="notice-docx"' in html and 'id="ledger-xlsx"' in html
    assert 'id="new-finding"' in html and 'id="status-form"' in html
    assert 'id="count-findings">2<' in html
    assert 'id="count-measures">0/3<' in html
    # overdue as of today (2025-09-20): both findings and all measures are past 2025-08-30
    assert 'id="count-overdue-findings">2<' in html
    assert 'id="count-overdue-measures">3<' in html
    html = c.get(f"/rectification/findings/{ledger['findings'][0].id}").get_data(as_text=True)
    assert "开展保密检查" in html and "组织保密培训" in html
    assert 'id="edit-finding"' in html and 'id="measure-form"' in html
    assert "一是" in html and "二是" in html
    assert 'id="history"' in html and 'id="note-form"' in html
    # the measures are open: no request form yet, but the hint
    assert 'id="request-blocked"' in html and 'id="request-form"' not in html
    # the area in the navigation
    home = c.get("/").get_data(as_text=True)
    assert "/rectification/sign-off" in home


def test_a_leader_sees_the_findings_they_answer_for(app, ledger, login):
    """The station head heads the lead unit of finding 1 (not of finding 2)."""
    first, second = ledger["findings"]
    c = _as(app, login, "leader")
    html = c.get(f"/rectification/{ledger['inspection'].id}").get_data(as_text=True)
    assert "强化保密工作" in html and "规范执法办案" not in html
    assert 'id="notice-docx"' not in html and 'id="new-finding"' not in html
    assert 'id="count-findings">1<' in html
    page = c.get(f"/rectification/findings/{first.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="edit-finding"' not in html and 'id="measure-form"' not in html
    assert 'id="note-form"' in html and 'id="history"' in html
    assert html.count('done-form"') == 2  # head of the lead unit: acts on both
    assert c.get(f"/rectification/findings/{second.id}").status_code == 404
    assert c.get(f"/rectification/{ledger['inspection'].id}/edit").status_code == 403
    assert c.get("/rectification/sign-off").status_code == 403


def test_an_owner_sees_only_their_measure_and_the_heading(app, ledger, login):
    first, second = ledger["findings"]
    m1, m2, m3 = ledger["measures"]
    c = _as(app, login, "staff")
    html = c.get(f"/rectification/findings/{first.id}").get_data(as_text=True)
    assert "开展保密检查" in html and "组织保密培训" not in html
    assert 'id="owner-only"' in html
    assert 'id="history"' not in html and 'id="note-form"' not in html
    assert html.count('done-form"') == 1
    assert c.get(f"/rectification/findings/{second.id}").status_code == 404
    mine = c.get("/rectification/mine").get_data(as_text=True)
    assert f'data-measure="{m1.id}"' in mine and f'data-measure="{m2.id}"' not in mine
    assert 'id="my-findings"' not in mine
    csrf = _csrf(c)
    # another's measure: not in scope
    resp = c.post(f"/rectification/measures/{m2.id}/done", data={"csrf_token": csrf})
    assert resp.status_code == 404
    # notes: the heading only, no notes
    resp = c.post(
        f"/rectification/findings/{first.id}/notes", data={"csrf_token": csrf, "text": "x"}
    )
    assert resp.status_code == 403


def test_an_outsider_leader_sees_no_inspection(app, ledger, login):
    c = _as(app, login, "outsider")
    assert 'id="no-inspections"' in c.get("/rectification/").get_data(as_text=True)
    assert c.get(f"/rectification/{ledger['inspection'].id}").status_code == 404
    assert c.get(f"/rectification/findings/{ledger['findings'][0].id}").status_code == 404
    mine = c.get("/rectification/mine").get_data(as_text=True)
    assert 'id="no-my-findings"' in mine and 'id="no-my-measures"' in mine


def test_the_inspections_leader_sees_the_summary_chart(app, ledger, db, login):
    figures.take_snapshot(db.session, ledger["inspection"], date(2025, 8, 1))
    figures.take_snapshot(db.session, ledger["inspection"], date(2025, 9, 1))
    db.session.commit()
    c = _as(app, login, "chief")
    html = c.get(f"/rectification/{ledger['inspection'].id}").get_data(as_text=True)
    assert 'id="snapshot-chart"' in html and html.count('class="snapshot-bar"') == 2
    assert "2025-08-01" in html and "2025-09-01" in html
    # the station head reads finding 1 but not the inspection's figures
    c = _as(app, login, "leader")
    html = c.get(f"/rectification/{ledger['inspection'].id}").get_data(as_text=True)
    assert 'id="snapshot-chart"' not in html


# ------------------------------------------------------------------ the ledger


def test_the_ledger_filters_and_counts_as_of_a_date(app, ledger, login):
    c = _as(app, login, "secretary")
    base = f"/rectification/{ledger['inspection'].id}"
    traffic = ledger["rows"]["traffic"].id
    html = c.get(f"{base}?lead_unit_id={traffic}").get_data(as_text=True)
    assert "规范执法办案" in html and "强化保密工作" not in html
    html = c.get(f"{base}?category=聚焦全面从严管党治警情况").get_data(as_text=True)
    assert "强化保密工作" in html and "规范执法办案" not in html
    html = c.get(f"{base}?status=completed").get_data(as_text=True)
    assert 'id="no-findings"' in html
    html = c.get(f"{base}?as_of=2025-08-01&overdue=1").get_data(as_text=True)
    assert 'id="no-findings"' in html and 'id="count-overdue-findings">0<' in html
    html = c.get(f"{base}?as_of=not-a-date").get_data(as_text=True)
    assert "2025-09-20" in html
    # grouped by category, then theme
    html = c.get(base).get_data(as_text=True)
    assert html.count('class="table-light category-row"') == 2
    assert "保密管理" in html


def test_the_status_moves_forward_with_confirmation(app, ledger, db, login):
    c = _as(app, login, "secretary")
    base = f"/rectification/{ledger['inspection'].id}"
    assert 'data-confirm="' in c.get(base).get_data(as_text=True)
    csrf = _csrf(c)
    resp = c.post(f"{base}/status", data={"csrf_token": csrf, "status": "closed"})
    assert resp.status_code == 422
    assert "只能" in resp.get_data(as_text=True) or "状态" in resp.get_data(as_text=True)
    resp = c.post(f"{base}/status", data={"csrf_token": csrf, "status": "reported"})
    assert resp.status_code == 303
    assert db.session.get(Inspection, ledger["inspection"].id).status == "reported"
    leader = _as(app, login, "chief")
    resp = leader.post(f"{base}/status", data={"csrf_token": _csrf(leader), "status": "closed"})
    assert resp.status_code == 403


# ------------------------------------------------------------------ forms


def _form_body(html: str) -> str:
    return html


def test_the_inspection_form_keeps_the_input_on_error(app, ledger, db, login):
    c = _as(app, login, "secretary")
    page = c.get("/rectification/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="row g-2 mb-2 paragraph-row"') == 6  # 3 spare rows per section
    csrf = csrf_from(html)
    data = {
        "csrf_token": csrf,
        "name": "第六轮巡察",
        "inspector": "",
        "org_unit_id": str(ledger["rows"]["bureau"].id),
        "feedback_on": "2025-07-01",
        "deadline": "2025-06-01",
        "leader": "没有此人",
        "duty-0-heading": "一是提高政治站位",
        "duty-0-body": "党委专题研究整改工作",
        "duty-1-heading": "",
        "duty-1-body": "",
    }
    resp = c.post("/rectification/new", data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'value="第六轮巡察"' in html and "党委专题研究整改工作" in html
    assert "一是提高政治站位" in html and 'value="没有此人"' in html
    assert "不能早于巡察反馈日期" in html  # the deadline
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 1
    # more rows: the input redrawn with more empty rows, nothing saved
    resp = c.post("/rectification/new", data={**data, "more_rows": "1"})
    assert resp.status_code == 200
    assert resp.get_data(as_text=True).count("paragraph-row") > 6
    # fixed: saved with the default deadline and the narrative without the empty rows
    data.update(inspector="市委第三巡察组", deadline="", leader="局长")
    resp = c.post("/rectification/new", data=data)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    saved = db.session.scalar(sa.select(Inspection).where(Inspection.name == "第六轮巡察"))
    assert saved.deadline == date(2025, 9, 29)
    assert saved.leader_person_id == ledger["rows"]["chief"].id
    assert saved.narrative == {
        "duty": [{"heading": "一是提高政治站位", "body": "党委专题研究整改工作"}],
        "next_steps": [],
    }
    # editing shows the paragraphs written and spare rows
    html = c.get(f"/rectification/{saved.id}/edit").get_data(as_text=True)
    assert "党委专题研究整改工作" in html and "局长（" in html


def test_the_finding_form_validates_and_saves(app, ledger, db, login):
    c = _as(app, login, "secretary")
    url = f"/rectification/{ledger['inspection'].id}/findings/new"
    html = c.get(url).get_data(as_text=True)
    assert 'value="3"' in html  # the next number
    csrf = csrf_from(html)
    data = {
        "csrf_token": csrf,
        "category": "",
        "title": "加强队伍管理",
        "term": "long_term",
        "deadline": "2025-12-31",
        "number": "1",
    }
    resp = c.post(url, data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'value="加强队伍管理"' in html
    assert "长期整改问题没有整改时限" in html or "长期" in html
    assert "已有编号为 1 的问题" in html or "1" in html
    data.update(category="聚焦基层党组织和党员队伍建设", deadline="", number="")
    resp = c.post(url, data=data)
    assert resp.status_code == 303
    found = db.session.scalar(sa.select(Finding).where(Finding.title == "加强队伍管理"))
    assert found.number == 3 and found.deadline is None


def test_measures_added_done_with_a_result_and_evidence(app, ledger, db, login):
    first = ledger["findings"][0]
    m1 = ledger["measures"][0]
    c = _as(app, login, "secretary")
    csrf = _csrf(c)
    base = f"/rectification/findings/{first.id}"
    resp = c.post(f"{base}/measures", data={"csrf_token": csrf, "description": ""})
    assert resp.status_code == 422
    assert 'id="add-measure" open' in resp.get_data(as_text=True)
    resp = c.post(
        f"{base}/measures",
        data={"csrf_token": csrf, "description": "完善保密制度", "owner": "张三"},
    )
    assert resp.status_code == 303
    added = db.session.scalar(
        sa.select(RectificationMeasure).where(RectificationMeasure.description == "完善保密制度")
    )
    assert added.number == 3 and added.owner_person_id == ledger["officer"].id
    # the owner marks theirs done; a date in the future is refused with the input kept
    staff = _as(app, login, "staff")
    csrf = _csrf(staff)
    resp = staff.post(
        f"/rectification/measures/{m1.id}/done",
        data={
            f"done{m1.id}-csrf_token": csrf,
            f"done{m1.id}-result": "检查涉密计算机52台",
            f"done{m1.id}-done_on": "2025-12-01",
        },
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "检查涉密计算机52台" in html and "不能晚于今天" in html or "未来" in html
    resp = staff.post(
        f"/rectification/measures/{m1.id}/done",
        data={f"done{m1.id}-csrf_token": csrf, f"done{m1.id}-result": "检查涉密计算机52台"},
    )
    assert resp.status_code == 303
    measure = db.session.get(RectificationMeasure, m1.id)
    assert measure.status == "done" and measure.result == "检查涉密计算机52台"
    assert db.session.get(Finding, first.id).status == "in_progress"
    # a file
    from io import BytesIO

    resp = staff.post(
        f"/rectification/measures/{m1.id}/evidence/file",
        data={
            f"file{m1.id}-csrf_token": csrf,
            f"file{m1.id}-file": (BytesIO(PDF), "检查记录.pdf"),
            f"file{m1.id}-note": "检查记录",
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    html = staff.get(base).get_data(as_text=True)
    assert "检查记录.pdf" in html
    (item,) = db.session.get(RectificationMeasure, m1.id).evidence
    download = staff.get(f"/rectification/measures/{m1.id}/evidence/{item.id}")
    assert download.status_code == 200 and download.data == PDF
    # a file of a type not accepted: refused next to the input
    resp = staff.post(
        f"/rectification/measures/{m1.id}/evidence/file",
        data={
            f"file{m1.id}-csrf_token": csrf,
            f"file{m1.id}-file": (BytesIO(b"MZ\x90\x00"), "x.exe"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code in (415, 422)
    # a link to a record the owner cannot read: refused as not existing
    resp = staff.post(
        f"/rectification/measures/{m1.id}/evidence/link",
        data={
            f"link{m1.id}-csrf_token": csrf,
            f"link{m1.id}-object_type": "rotation_plan",
            f"link{m1.id}-object_id": "1",
        },
    )
    assert resp.status_code == 422
    # the owner may not reopen what is not theirs; reopening theirs works
    m2 = ledger["measures"][1]
    resp = staff.post(f"/rectification/measures/{m2.id}/reopen", data={"csrf_token": csrf})
    assert resp.status_code == 404
    resp = staff.post(f"/rectification/measures/{m1.id}/reopen", data={"csrf_token": csrf})
    assert resp.status_code == 303
    assert db.session.get(RectificationMeasure, m1.id).status == "open"


def test_a_talk_linked_as_evidence_by_the_picker(app, ledger, db, login):
    rows = ledger["rows"]
    talk = factories.final_talk(
        db.session, ledger["officer"], [rows["head"]], datetime(2025, 9, 1, 2, tzinfo=UTC)
    )
    db.session.commit()
    m1 = ledger["measures"][0]
    c = _as(app, login, "leader")
    html = c.get(f"/rectification/findings/{ledger['findings'][0].id}").get_data(as_text=True)
    assert f'value="talk:{talk.id}"' in html
    resp = c.post(
        f"/rectification/measures/{m1.id}/evidence/link",
        data={f"link{m1.id}-csrf_token": _csrf(c), f"link{m1.id}-record": f"talk:{talk.id}"},
    )
    assert resp.status_code == 303
    html = c.get(f"/rectification/findings/{ledger['findings'][0].id}").get_data(as_text=True)
    assert f'href="/talks/{talk.id}"' in html


# ------------------------------------------------------------------ workflow


def _all_done(db, finding):
    for m in finding.measures:
        services.mark_done(db.session, m, date(2025, 9, 1), "完成")
    db.session.commit()


def test_request_sign_off_and_return_and_complete(app, ledger, db, login):
    first = ledger["findings"][0]
    _all_done(db, db.session.get(Finding, first.id))
    base = f"/rectification/findings/{first.id}"
    # the station head (head of the lead unit) may request; the owner may not
    staff = _as(app, login, "staff")
    assert 'id="request-form"' not in staff.get(base).get_data(as_text=True)
    resp = staff.post(f"{base}/request-completion", data={"csrf_token": _csrf(staff)})
    assert resp.status_code == 403
    leader = _as(app, login, "leader")
    html = leader.get(base).get_data(as_text=True)
    assert 'id="request-form"' in html and 'id="review-form"' not in html
    csrf = _csrf(leader)
    resp = leader.post(f"{base}/request-completion", data={"csrf_token": csrf, "summary": " "})
    assert resp.status_code == 422
    resp = leader.post(
        f"{base}/request-completion", data={"csrf_token": csrf, "summary": "已全部整改到位"}
    )
    assert resp.status_code == 303
    assert db.session.get(Finding, first.id).status == "completion_requested"
    # the secretary's queue
    sec = _as(app, login, "secretary")
    queue = sec.get("/rectification/sign-off").get_data(as_text=True)
    assert f'id="sign-off-{first.id}"' in queue and "已全部整改到位" in queue
    csrf = _csrf(sec)
    resp = sec.post(f"{base}/return", data={"csrf_token": csrf, "comment": "", "next": "sign-off"})
    assert resp.status_code == 422
    resp = sec.post(
        f"{base}/return", data={"csrf_token": csrf, "comment": "佐证不足", "next": "sign-off"}
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/rectification/sign-off")
    assert db.session.get(Finding, first.id).status == "in_progress"
    leader.post(f"{base}/request-completion", data={"csrf_token": _csrf(leader), "summary": "补充"})
    resp = sec.post(f"{base}/complete", data={"csrf_token": csrf, "comment": "同意销号"})
    assert resp.status_code == 303
    done = db.session.get(Finding, first.id)
    assert done.status == "completed" and done.review_comment == "同意销号"
    html = sec.get(base).get_data(as_text=True)
    assert 'id="edit-finding"' not in html and 'done-form"' not in html
    assert "同意销号" in html
    # the history names the fields in Chinese
    assert "审核意见" in html or "销号" in html
    ledger_page = sec.get(f"/rectification/{ledger['inspection'].id}").get_data(as_text=True)
    assert 'id="count-completed">1<' in ledger_page


def test_leaders_cannot_sign_off(app, ledger, db, login):
    first = ledger["findings"][0]
    _all_done(db, db.session.get(Finding, first.id))
    services.request_completion(db.session, db.session.get(Finding, first.id), "好了")
    db.session.commit()
    chief = _as(app, login, "chief")
    html = chief.get(f"/rectification/findings/{first.id}").get_data(as_text=True)
    assert 'id="review-form"' not in html
    resp = chief.post(
        f"/rectification/findings/{first.id}/complete",
        data={"csrf_token": _csrf(chief), "comment": "x"},
    )
    assert resp.status_code == 403


def test_my_tasks_put_overdue_first(app, ledger, db, login):
    chief = _as(app, login, "chief")
    html = chief.get("/rectification/mine").get_data(as_text=True)
    ids = re.findall(r'<tr data-finding="(\d+)"', html)
    assert [int(i) for i in ids] == [f.id for f in ledger["findings"]]
    m3 = ledger["measures"][2]
    services.update_measure(
        db.session, db.session.get(RectificationMeasure, m3.id), {"due_on": date(2025, 7, 1)}
    )
    db.session.commit()
    html = chief.get("/rectification/mine").get_data(as_text=True)
    assert 'id="my-findings"' in html


def test_evidence_remove_and_delete_measure(app, ledger, db, login, tmp_path):
    m2_id, m1_id = ledger["measures"][1].id, ledger["measures"][0].id
    measure = db.session.get(RectificationMeasure, m2_id)
    item = evidence.add_file(db.session, measure, "a.pdf", PDF)
    db.session.commit()
    sec = _as(app, login, "secretary")
    csrf = _csrf(sec)
    resp = sec.post(
        f"/rectification/measures/{m2_id}/evidence/{item.id}/remove", data={"csrf_token": csrf}
    )
    assert resp.status_code == 303
    assert not db.session.get(RectificationMeasure, m2_id).evidence
    resp = sec.post(f"/rectification/measures/{m2_id}/delete", data={"csrf_token": csrf})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(RectificationMeasure, m2_id) is None
    leader = _as(app, login, "leader")
    resp = leader.post(
        f"/rectification/measures/{m1_id}/delete", data={"csrf_token": _csrf(leader)}
    )
    assert resp.status_code == 403


# ------------------------------------------------------------------ history, statements


def test_the_history_names_fields_and_values_in_chinese(app, ledger, db, login):
    first = ledger["findings"][0]
    services.update_finding(db.session, db.session.get(Finding, first.id), {"term": "immediate"})
    db.session.commit()
    html = _as(app, login, "secretary").get(f"/rectification/findings/{first.id}")
    text = html.get_data(as_text=True)
    history = text[text.index('id="history"') :]
    assert '<span title="term">整改类型</span>' in history
    assert "限期整改 → 立行立改" in history
    assert '<span title="owner_person_id">责任人</span>：张三' in history
    assert "time_limited" not in history


def _grow(db, ledger, n: int) -> None:
    """n more findings, each with two measures (one owned by the officer, done, with a
    file); every other one with both done and its sign-off requested."""
    s = db.session
    inspection = s.get(Inspection, ledger["inspection"].id)
    for i in range(n):
        found = services.create_finding(
            s,
            inspection,
            {
                "category": f"类别{i % 3}",
                "theme": f"主题{i % 2}",
                "title": f"问题{i}",
                "responsible_leader_id": ledger["rows"]["chief"].id,
                "lead_unit_id": ledger["rows"]["station"].id,
            },
        )
        done = services.create_measure(
            s, found, {"description": "措施", "owner_person_id": ledger["officer"].id}
        )
        other = services.create_measure(s, found, {"description": "措施二"})
        services.mark_done(s, done, date(2025, 9, 1), "完成")
        evidence.add_file(s, done, f"f{i}.pdf", PDF + str(i).encode())
        if i % 2 == 0:  # every other one waits for sign-off
            services.mark_done(s, other, date(2025, 9, 2), "完成")
            services.request_completion(s, found, "已整改")
    s.commit()


def test_pages_take_the_same_statements_with_more_findings(
    app, ledger, db, login, count_statements
):
    pages = [
        "/rectification/",
        f"/rectification/{ledger['inspection'].id}",
        "/rectification/mine",
        "/rectification/sign-off",
    ]
    clients = {name: _as(app, login, name) for name in ("secretary", "chief", "staff")}

    def counts() -> dict:
        out = {}
        for name, client in clients.items():
            for url in pages:
                with count_statements() as statements:
                    status = client.get(url).status_code
                out[(name, url)] = (status, len(statements))
        return out

    counts()  # caches read once per process
    _grow(db, ledger, 3)
    small = counts()
    _grow(db, ledger, 20)
    assert counts() == small


def test_the_start_page_names_the_tasks(app, ledger, db, login):
    first = ledger["findings"][0]
    found = db.session.get(Finding, first.id)
    _all_done(db, found)
    services.request_completion(db.session, found, "好了")
    db.session.commit()
    html = _as(app, login, "secretary").get("/").get_data(as_text=True)
    assert 'data-count="sign_off">1<' in html
    html = _as(app, login, "chief").get("/").get_data(as_text=True)
    assert 'data-count="findings">2<' in html and 'data-count="overdue_findings"' in html
    html = _as(app, login, "staff").get("/").get_data(as_text=True)
    assert 'id="home-rectification"' not in html  # the officer's measure is done
    for name in ("admin", "hr", "outsider"):
        html = _as(app, login, name).get("/").get_data(as_text=True)
        assert 'id="home-rectification"' not in html
