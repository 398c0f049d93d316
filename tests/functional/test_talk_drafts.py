"""Talk drafts (SPEC §6; issue 13 item 6): deleting a draft and removing an attachment
(confirmed, audited, never once final), the interviewee and a date within their service,
people by name or staff number with a scoped search, limits that refuse instead of cutting,
the paper signature and cleared signatures, and "此项为必填项" once per field (item 8)."""

import io
import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.talks.models import Talk, TalkAttachment
from tests import factories
from tests.conftest import csrf_from

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def setup(app, tmp_path, monkeypatch):
    """Attachments in this test's directory; the clock frozen on 2025-09-20 (2025Q3)."""
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(tmp_path / "files"))
    monkeypatch.setitem(app.config, "SUPERVISION_FAKE_NOW", "2025-09-20T10:00:00+08:00")


@pytest.fixture
def org(db, make_user):
    """A station (head: the leader) with an officer hired in 2020, a recorder, a namesake
    pair, someone who left on 2025-06-30; another station with its own head."""
    s = db.session
    bureau = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "城关派出所", kind="station", parent=bureau)
    other = factories.unit(s, "交警队", kind="station", parent=bureau)
    head = factories.person(s, station, "李所长", staff_no="H001", leadership="department_head")
    officer = factories.person(s, station, "张三", staff_no="P100", hire_date=date(2020, 3, 1))
    recorder = factories.person(s, station, "赵六", staff_no="P200")
    twin_a = factories.person(s, station, "王伟", staff_no="P301")
    factories.person(s, station, "王伟", staff_no="P302")
    leaver = factories.person(s, station, "孙离", staff_no="P400", hire_date=date(2010, 1, 1))
    outsider = factories.person(s, other, "钱队长", staff_no="X900", leadership="department_head")
    post = factories.post(s, station, "窗口", is_sensitive=True)
    factories.assign(s, leaver, post, start=date(2015, 1, 1), end=date(2025, 6, 30))
    s.flush()
    leaver.is_active = False
    station.head_person_id = head.id
    other.head_person_id = outsider.id
    s.commit()
    users = {
        "leader": make_user("leader", ["leader"], person=head),
        "officer": make_user("officer", ["staff"], person=officer),
        "outsider": make_user("outsider", ["leader"], person=outsider),
        "secretary": make_user("secretary", ["discipline_secretary"]),
        "hr": make_user("hr", ["hr"]),
    }
    ids = {
        "head": head.id,
        "officer": officer.id,
        "recorder": recorder.id,
        "twin_a": twin_a.id,
        "leaver": leaver.id,
        "outsider": outsider.id,
    }
    return {"ids": ids, "users": users}


def _form(**extra):
    data = {
        "type": "integrity_reminder",
        "held_at": "2025-09-18T09:30",
        "location": "谈话室",
        "interviewee": "P100",
        "interviewers": "H001",
        "recorder": "P200",
        "reason": "季度廉政提醒",
        "content": "提醒严守廉洁纪律",
        "response": "坚决遵守",
        "follow_up": "",
        "period": "",
        "reported_to_higher_at": "",
    }
    data.update(extra)
    return data


def _submit(client, url, data):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _create(client, **extra) -> int:
    resp = _submit(client, "/talks/new", _form(**extra))
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def _errors(html: str, field: str) -> list[str]:
    """The inline messages under one input."""
    m = re.search(
        rf'id="{field}"[^>]*>(?:[^<]*</textarea>)?'
        r'((?:\s*<div class="invalid-feedback">[^<]*</div>)*)',
        html,
    )
    assert m, f"no input {field}"
    return re.findall(r'<div class="invalid-feedback">([^<]*)</div>', m.group(1))


def _audit(db, action, talk_id):
    return db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == action,
            AuditEntry.object_type == "talk",
            AuditEntry.object_id == str(talk_id),
        )
    ).all()


def _attach(client, talk_id, kind="other", name="记录.pdf", data=PDF):
    token = csrf_from(client.get(f"/talks/{talk_id}").get_data(as_text=True))
    resp = client.post(
        f"/talks/{talk_id}/attachments",
        data={"kind": kind, "file": (io.BytesIO(data), name), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]


# ------------------------------------------------------------------ delete a draft


def test_the_author_deletes_a_draft_after_a_confirmation_and_it_is_audited(client, login, org, db):
    login("leader")
    talk_id = _create(client)
    _attach(client, talk_id)
    detail = client.get(f"/talks/{talk_id}").get_data(as_text=True)
    assert f'href="/talks/{talk_id}/delete"' in detail
    confirm = client.get(f"/talks/{talk_id}/delete")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "删除后无法恢复" in html and "张三" in html
    assert db.session.get(Talk, talk_id) is not None  # the GET changed nothing
    resp = _submit(client, f"/talks/{talk_id}/delete", {})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/talks/")
    assert f"谈话记录草稿 #{talk_id} 已删除" in client.get("/talks/").get_data(as_text=True)
    assert db.session.get(Talk, talk_id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TalkAttachment)) == 0
    (entry,) = _audit(db, "delete", talk_id)
    before = json.loads(entry.changes)
    assert before["interviewee_id"] == [org["ids"]["officer"], None]
    assert before["attachments"][0][0]["filename"] == "记录.pdf"
    assert client.get(f"/talks/{talk_id}").status_code == 404


def test_only_the_author_or_a_discipline_role_deletes(app, login, org, db):
    s = db.session
    talk_id = factories.draft_talk(s, org["ids"]["officer"], [org["ids"]["head"]]).id
    s.commit()
    clients = {name: app.test_client() for name in ("leader", "officer", "outsider", "secretary")}
    for name, c in clients.items():
        login(name, c=c)
    leader = clients["leader"]  # an interviewer, not the author
    assert leader.get(f"/talks/{talk_id}/delete").status_code == 403
    assert f"/talks/{talk_id}/delete" not in leader.get(f"/talks/{talk_id}").get_data(as_text=True)
    token = csrf_from(leader.get(f"/talks/{talk_id}").get_data(as_text=True))
    assert leader.post(f"/talks/{talk_id}/delete", data={"csrf_token": token}).status_code == 403
    assert clients["officer"].get(f"/talks/{talk_id}/delete").status_code == 403  # interviewee
    assert clients["outsider"].get(f"/talks/{talk_id}/delete").status_code == 404  # unseen
    assert _submit(clients["secretary"], f"/talks/{talk_id}/delete", {}).status_code == 302
    assert db.session.get(Talk, talk_id) is None


def test_a_final_talk_is_never_deleted(client, login, org, db):
    s = db.session
    talk = factories.final_talk(
        s, org["ids"]["officer"], [org["ids"]["head"]], factories.DRAFT_HELD_AT
    )
    s.commit()
    login("secretary")
    assert f"/talks/{talk.id}/delete" not in client.get(f"/talks/{talk.id}").get_data(as_text=True)
    resp = client.get(f"/talks/{talk.id}/delete")
    assert resp.status_code == 409 and "定稿的谈话记录不能删除" in resp.get_data(as_text=True)
    token = csrf_from(client.get(f"/talks/{talk.id}").get_data(as_text=True))
    assert client.post(f"/talks/{talk.id}/delete", data={"csrf_token": token}).status_code == 409
    assert s.get(Talk, talk.id).status == "final"
    assert _audit(db, "delete", talk.id) == []


# ------------------------------------------------------------------ remove an attachment


def test_an_attachment_is_removed_after_a_confirmation_and_audited(client, login, org, db):
    login("leader")
    talk_id = _create(client)
    _attach(client, talk_id, name="错传.pdf")
    attachment = db.session.scalars(sa.select(TalkAttachment)).one()
    url = f"/talks/{talk_id}/attachments/{attachment.id}/remove"
    assert f'href="{url}"' in client.get(f"/talks/{talk_id}").get_data(as_text=True)
    page = client.get(url)
    assert page.status_code == 200 and "错传.pdf" in page.get_data(as_text=True)
    resp = _submit(client, url, {})
    assert resp.status_code == 302
    assert "已删除附件 错传.pdf" in client.get(f"/talks/{talk_id}").get_data(as_text=True)
    assert db.session.scalars(sa.select(TalkAttachment)).all() == []
    (entry,) = _audit(db, "detach", talk_id)
    assert "错传.pdf" in entry.changes
    assert client.get(url).status_code == 404  # it is gone


def test_an_attachment_of_a_final_talk_stays(client, login, org, db):
    from supervision.talks import services

    s = db.session
    talk = factories.draft_talk(
        s,
        org["ids"]["officer"],
        [org["ids"]["head"]],
        recorder_id=org["ids"]["recorder"],
        **factories.TALK_TEXT,
    )
    attachment = services.add_attachment(s, talk, "signed_form", "签字表.pdf", PDF)
    services.finalize(s, talk)
    s.commit()
    login("secretary")
    url = f"/talks/{talk.id}/attachments/{attachment.id}/remove"
    assert url not in client.get(f"/talks/{talk.id}").get_data(as_text=True)
    assert client.get(url).status_code == 409
    token = csrf_from(client.get(f"/talks/{talk.id}").get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token}).status_code == 409
    assert s.get(TalkAttachment, attachment.id) is not None


# ------------------------------------------------------------------ interviewee and date


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"interviewee": ""}, "interviewee", "请选择谈话对象。"),
        ({"held_at": ""}, "held_at", "请填写谈话时间。"),
        (
            {"held_at": "2020-02-29T09:00"},
            "held_at",
            "谈话日期（2020-02-29）早于谈话对象入职日期（2020-03-01）。",
        ),
        (
            {"interviewee": "P400", "held_at": "2025-07-01T09:00"},
            "held_at",
            "谈话日期（2025-07-01）晚于谈话对象离职日期（2025-06-30）。",
        ),
    ],
)
def test_a_draft_needs_the_interviewee_and_a_date_in_their_service_page(
    client, login, org, db, extra, field, message
):
    login("leader")
    resp = _submit(client, "/talks/new", _form(**extra))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert _errors(html, field) == [message]
    assert "提醒严守廉洁纪律" in html  # no lost input
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Talk)) == 0


def test_the_service_bounds_are_inclusive(client, login, org, db):
    login("leader")
    _create(client, held_at="2020-03-01T00:00")  # the day of hire
    _create(client, interviewee="P400", held_at="2025-06-30T23:59")  # the last day


def test_a_draft_needs_the_interviewee_and_a_date_in_their_service_api(client, org, token_for, db):
    headers = token_for(org["users"]["secretary"])
    base = {"type": "supervision", "interviewer_ids": [org["ids"]["head"]]}
    resp = client.post("/api/v1/talks", headers=headers, json=base)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {
        "interviewee_id": ["请选择谈话对象。"],
        "held_at": ["请填写谈话时间。"],
    }
    early = {
        **base,
        "interviewee_id": org["ids"]["officer"],
        "held_at": "2019-12-31T10:00:00+08:00",
    }
    resp = client.post("/api/v1/talks", headers=headers, json=early)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {
        "held_at": ["谈话日期（2019-12-31）早于谈话对象入职日期（2020-03-01）。"]
    }
    ok = client.post(
        "/api/v1/talks", headers=headers, json={**early, "held_at": "2025-09-01T10:00:00+08:00"}
    )
    assert ok.status_code == 201
    late = client.patch(
        f"/api/v1/talks/{ok.get_json()['id']}",
        headers=headers,
        json={"interviewee_id": org["ids"]["leaver"]},
    )
    assert late.status_code == 422
    assert late.get_json()["errors"]["held_at"] == [
        "谈话日期（2025-09-01）晚于谈话对象离职日期（2025-06-30）。"
    ]
    assert db.session.get(Talk, ok.get_json()["id"]).interviewee_id == org["ids"]["officer"]


def test_a_final_talk_is_not_after_today(client, org, token_for):
    headers = token_for(org["users"]["secretary"])
    body = {
        "type": "integrity_reminder",
        "held_at": "2025-09-21T09:00:00+08:00",  # tomorrow: a draft may be planned
        "location": "谈话室",
        "interviewee_id": org["ids"]["officer"],
        "interviewer_ids": [org["ids"]["head"]],
        "recorder_id": org["ids"]["recorder"],
        "content": "内容",
        "response": "表态",
    }
    talk = client.post("/api/v1/talks", headers=headers, json=body)
    assert talk.status_code == 201
    resp = client.post(f"/api/v1/talks/{talk.get_json()['id']}/finalize", headers=headers)
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["held_at"] == ["谈话尚未进行。"]


# ------------------------------------------------------------------ people by name or number


def test_the_people_search_finds_by_name_or_number_within_scope(client, login, org):
    login("leader")
    found = client.get("/talks/people.json?q=张").get_json()["people"]
    assert [p["label"] for p in found] == ["张三（P100）"]
    assert found[0]["unit"].startswith("城关派出所")
    assert [p["staff_no"] for p in client.get("/talks/people.json?q=P3").get_json()["people"]] == [
        "P301",
        "P302",
    ]
    assert client.get("/talks/people.json?q=钱队长").get_json()["people"] == []  # not in scope
    assert client.get("/talks/people.json?q=%25").get_json()["people"] == []  # a literal %
    assert client.get("/talks/people.json?q=").get_json()["people"] == []
    assert client.get("/talks/people.json?q=" + "张" * 101).status_code == 422
    secretary, hr = client.application.test_client(), client.application.test_client()
    login("secretary", c=secretary)
    assert [p["name"] for p in secretary.get("/talks/people.json?q=钱").get_json()["people"]] == [
        "钱队长"
    ]
    login("hr", c=hr)
    assert hr.get("/talks/people.json?q=张").status_code == 403


def test_the_form_offers_search_without_inline_script(client, login, org):
    login("leader")
    html = client.get("/talks/new").get_data(as_text=True)
    tag = re.search(r'<input[^>]*id="interviewee"[^>]*>', html).group(0)
    assert 'data-people-search="/talks/people.json"' in tag and 'list="talk-people"' in tag
    assert '<datalist id="talk-people"></datalist>' in html  # filled by static/js/fields.js
    assert "/static/js/fields.js" in html
    assert not re.search(r"<script>(?!</script>)", html)


@pytest.mark.parametrize(
    ("written", "resolved"),
    [
        ("张三", "officer"),
        ("张三（P100）", "officer"),
        ("张三(P100)", "officer"),
        ("张三 P100", "officer"),
        ("P100", "officer"),
    ],
)
def test_people_are_named_by_name_or_number(client, login, org, db, written, resolved):
    login("leader")
    talk_id = _create(client, interviewee=written, interviewers="李所长，赵六（P200）")
    talk = db.session.get(Talk, talk_id)
    assert talk.interviewee_id == org["ids"][resolved]
    assert [i.person_id for i in talk.interviewers] == [org["ids"]["head"], org["ids"]["recorder"]]


def test_an_ambiguous_or_wrong_name_is_a_form_error(client, login, org):
    login("leader")
    html = _submit(client, "/talks/new", _form(interviewee="王伟")).get_data(as_text=True)
    assert _errors(html, "interviewee") == [
        "有多人名为王伟（王伟（P301）、王伟（P302）），请填写警号/工号。"
    ]
    html = _submit(client, "/talks/new", _form(interviewee="李四（P100）")).get_data(as_text=True)
    assert _errors(html, "interviewee") == ["找不到姓名或警号/工号为“李四（P100）”的人员。"]
    html = _submit(client, "/talks/new", _form(interviewee="钱队长")).get_data(as_text=True)
    assert _errors(html, "interviewee") == ["找不到姓名或警号/工号为“钱队长”的人员。"]


# ------------------------------------------------------------------ limits, never cut


def test_limited_texts_have_counters_and_no_cutting_maxlength(client, login, org):
    login("leader")
    html = client.get("/talks/new").get_data(as_text=True)
    for field, limit in (("location", 200), ("reason", 2000), ("content", 50000)):
        tag = re.search(rf'<(?:input|textarea)[^>]*id="{field}"[^>]*>', html).group(0)
        assert f'data-maxlength="{limit}"' in tag and 'maxlength="' not in tag.replace(
            "data-maxlength", ""
        )


def test_over_long_text_is_an_error_not_cut(client, login, org, db):
    login("leader")
    long_reason = "由" * 2001
    resp = _submit(client, "/talks/new", _form(reason=long_reason))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert _errors(html, "reason") == ["最多 2000 字（已输入 2001 字）。"]
    assert long_reason in html  # kept whole for the user to shorten
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Talk)) == 0
    # The prefill of ?period= is not cut either: a wrong period is an error on saving.
    form = client.get("/talks/new?period=2025Q3-extra").get_data(as_text=True)
    assert 'value="2025Q3-extra"' in form
    html = _submit(client, "/talks/new", _form(period="2025Q3-extra")).get_data(as_text=True)
    assert _errors(html, "period") == ["字段长度不能超过 8 个字符。"]


def test_over_long_text_is_refused_by_the_service_too(db, org):
    from supervision.common.errors import Invalid
    from supervision.talks import services

    with pytest.raises(Invalid) as exc:
        services.create_talk(
            db.session,
            {
                "type": "integrity_reminder",
                "interviewee_id": org["ids"]["officer"],
                "held_at": factories.DRAFT_HELD_AT,
                "follow_up": "改" * 5001,
            },
        )
    assert exc.value.errors == {"follow_up": ["最多 5000 字（已输入 5001 字）。"]}


# ------------------------------------------------------------------ signatures


def test_a_paper_signed_talk_says_so(client, login, org):
    login("leader")
    talk_id = _create(client)
    html = client.get(f"/talks/{talk_id}").get_data(as_text=True)
    assert "已上传纸质签字表" not in html and "未签字" in html
    _attach(client, talk_id, kind="signed_form", name="签字表.pdf")
    html = client.get(f"/talks/{talk_id}").get_data(as_text=True)
    participants = re.search(r'id="participants".*?</table>', html, re.S).group(0)
    assert participants.count("已上传纸质签字表") == 2 and "未签字" not in participants
    assert 'id="paper-signed"' in html


def test_editing_a_signed_draft_says_the_signatures_were_cleared(client, login, org, db):
    login("leader")
    talk_id = _create(client)
    _submit(client, f"/talks/{talk_id}/sign", {})
    assert len(db.session.get(Talk, talk_id).signatures) == 1
    form = client.get(f"/talks/{talk_id}/edit").get_data(as_text=True)
    assert 'id="signed-warning"' in form and "修改记录将清除全部签字" in form
    resp = _submit(client, f"/talks/{talk_id}/edit", _form(content="改过的内容"))
    assert resp.status_code == 302
    html = client.get(f"/talks/{talk_id}").get_data(as_text=True)
    assert "原有签字已清除" in html
    assert db.session.get(Talk, talk_id).signatures == []
    # An unsigned draft saved again: no such notice.
    _submit(client, f"/talks/{talk_id}/edit", _form(content="再改"))
    assert "原有签字已清除" not in client.get(f"/talks/{talk_id}").get_data(as_text=True)


# ------------------------------------------------------------------ 此项为必填项 once


def test_the_required_message_shows_once_per_field(client, login, make_user, db):
    make_user("admin", ["admin"])
    login("admin")
    resp = _submit(
        client,
        "/org/people/new",
        {"staff_no": "", "name": "", "personnel_type": "police", "org_unit_id": ""},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    for field in ("staff_no", "name"):
        assert _errors(html, field) == ["此项为必填项。"], field


def test_the_service_reports_a_required_field_once(db):
    """The service itself (pages without the macro's de-duplication, the CLI, imports): the
    required-field loop and the field's own check used to add the same message twice."""
    from supervision.common.errors import Invalid
    from supervision.org import services as org

    unit = factories.unit(db.session, "东湖分局", kind="branch")
    with pytest.raises(Invalid) as refused:
        org.create_person(
            db.session,
            {"staff_no": "", "name": "", "personnel_type": "police", "org_unit_id": unit.id},
        )
    for field in ("staff_no", "name"):
        assert refused.value.errors[field] == ["此项为必填项。"], refused.value.errors
