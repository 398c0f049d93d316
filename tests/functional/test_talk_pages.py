"""The talk pages: my talks to hold, list, detail (confidentiality, 404), form flow, finalising."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.org.models import Person
from supervision.talks.models import Talk
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
    """A station whose head (leader) owes an integrity reminder to an officer on a sensitive
    post; an outsider leader, HR and a staff account for the officer."""
    s = db.session
    bureau = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "派出所", kind="station", parent=bureau)
    other = factories.unit(s, "交警队", kind="station", parent=bureau)
    head = factories.person(s, station, "李所长", leadership="department_head")
    officer = factories.person(s, station, "张三")
    recorder = factories.person(s, station, "赵六")
    outsider = factories.person(s, other, "钱队长", leadership="department_head")
    post = factories.post(s, station, "窗口", is_sensitive=True)
    factories.assign(s, officer, post, start=date(2020, 1, 1))
    s.flush()
    station.head_person_id = head.id
    other.head_person_id = outsider.id
    s.commit()
    make_user("leader", ["leader"], person=head)
    make_user("officer", ["staff"], person=officer)
    make_user("outsider", ["leader"], person=outsider)
    make_user("hr", ["hr"])
    return {
        "head": head.id,
        "officer": officer.id,
        "recorder": recorder.id,
        "staff_nos": {
            k: p.staff_no
            for k, p in {"head": head, "officer": officer, "recorder": recorder}.items()
        },
    }


def _form(org, **extra):
    nos = org["staff_nos"]
    data = {
        "type": "integrity_reminder",
        "held_at": "2025-09-18T09:30",
        "location": "谈话室",
        "interviewee": nos["officer"],
        "interviewers": nos["head"],
        "recorder": nos["recorder"],
        "reason": "季度廉政提醒",
        "content": "提醒严守廉洁纪律",
        "response": "坚决遵守",
        "follow_up": "每月自查",
        "period": "",
        "reported_to_higher_at": "",
    }
    data.update(extra)
    return data


def _create(client, org, **extra):
    page = client.get("/talks/new")
    resp = client.post(
        "/talks/new",
        data={**_form(org, **extra), "csrf_token": csrf_from(page.get_data(as_text=True))},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def _post(client, url, talk_id, **data):
    page = client.get(f"/talks/{talk_id}")
    return client.post(url, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_mine_lists_the_owed_talk_in_chinese_with_a_prefilled_start(client, login, org):
    login("leader")
    html = client.get("/talks/mine").get_data(as_text=True)
    assert "张三" in html and "廉政提醒谈话" in html and "2025Q3" in html and "2025-09-30" in html
    assert 'obligation-status">待谈<' in html
    start = (
        f"/talks/new?type=integrity_reminder&amp;interviewee_id={org['officer']}&amp;period=2025Q3"
    )
    assert start in html
    form = client.get(start.replace("&amp;", "&")).get_data(as_text=True)
    # People are written as 姓名（警号）.
    assert re.search(rf'id="interviewee"[^>]*value="[^"]+（{org["staff_nos"]["officer"]}）"', form)
    assert f'（{org["staff_nos"]["head"]}）"' in form and 'value="2025Q3"' in form
    assert "谈话对象" in form and "谈话事由" in form


def test_form_errors_keep_input_and_answer_422(client, login, org):
    login("leader")
    page = client.get("/talks/new")
    resp = client.post(
        "/talks/new",
        data={
            **_form(org, interviewee="NOPE", period="2025Q4"),
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "提醒严守廉洁纪律" in html and 'value="NOPE"' in html
    assert "is-invalid" in html
    staff = client.application.test_client()
    login("officer", c=staff)
    assert staff.get("/talks/new").status_code == 403
    resp = client.post("/talks/new", data=_form(org))  # no CSRF token
    assert resp.status_code in (400, 422)
    # Not seated: a leader must conduct or record the talk.
    resp = client.post(
        "/talks/new",
        data={
            **_form(org, interviewers=org["staff_nos"]["recorder"], recorder=""),
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert resp.status_code == 422
    with client.application.app_context():
        from supervision.extensions import db

        assert db.session.scalar(sa.select(sa.func.count(Talk.id))) == 0


def test_full_flow_sign_finalize_and_obligation_done(app, client, login, org):
    login("leader")
    talk_id = _create(client, org)
    # Finalising too early lists what is missing.
    resp = _post(client, f"/talks/{talk_id}/finalize", talk_id)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="talk-missing"' in html and "张三" in html
    assert _post(client, f"/talks/{talk_id}/sign", talk_id).status_code == 302
    officer = app.test_client()
    login("officer", c=officer)
    assert f"/talks/{talk_id}" in officer.get("/talks/mine").get_data(as_text=True)
    assert _post(officer, f"/talks/{talk_id}/sign", talk_id).status_code == 302
    resp = _post(client, f"/talks/{talk_id}/finalize", talk_id)
    assert resp.status_code == 302
    html = client.get("/talks/mine").get_data(as_text=True)
    assert 'obligation-status">已谈<' in html and 'period=2025Q3">开始记录' not in html
    assert f"/talks/{talk_id}" in html
    detail = client.get(f"/talks/{talk_id}").get_data(as_text=True)
    assert 'id="revise"' in detail and 'id="finalize"' not in detail


def test_edit_draft_and_upload_attachment(client, login, org):
    login("leader")
    talk_id = _create(client, org)
    page = client.get(f"/talks/{talk_id}/edit")
    assert "提醒严守廉洁纪律" in page.get_data(as_text=True)
    resp = client.post(
        f"/talks/{talk_id}/edit",
        data={
            **_form(org, location="会议室"),
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert resp.status_code == 302
    import io

    detail = client.get(f"/talks/{talk_id}").get_data(as_text=True)
    resp = client.post(
        f"/talks/{talk_id}/attachments",
        content_type="multipart/form-data",
        data={
            "kind": "signed_form",
            "file": (io.BytesIO(PDF), "签字.pdf"),
            "csrf_token": csrf_from(detail),
        },
    )
    assert resp.status_code == 302
    detail = client.get(f"/talks/{talk_id}").get_data(as_text=True)
    assert "会议室" in detail and "签字.pdf" in detail
    href = detail.split("/api/v1/talks/")[1].split('"')[0]
    assert client.get(f"/api/v1/talks/{href}").data == PDF
    resp = client.post(
        f"/talks/{talk_id}/attachments",
        content_type="multipart/form-data",
        data={
            "kind": "other",
            "file": (io.BytesIO(b"MZ" + b"\0" * 30), "x.exe"),
            "csrf_token": csrf_from(detail),
        },
    )
    assert resp.status_code == 422


def test_hr_sees_no_contents_and_outsider_gets_404(app, client, login, org, db):
    login("leader")
    talk_id = _create(client, org)
    hr = app.test_client()
    login("hr", c=hr)
    html = hr.get(f"/talks/{talk_id}").get_data(as_text=True)
    assert "季度廉政提醒" in html and "提醒严守廉洁纪律" not in html and "坚决遵守" not in html
    assert 'id="contents-hidden"' in html
    assert "提醒严守廉洁纪律" not in hr.get("/talks/").get_data(as_text=True)
    outsider = app.test_client()
    login("outsider", c=outsider)
    assert outsider.get(f"/talks/{talk_id}").status_code == 404
    assert outsider.get(f"/talks/{talk_id}/edit").status_code == 404
    assert f"/talks/{talk_id}" not in outsider.get("/talks/").get_data(as_text=True)
    assert outsider.get(f"/talks/person/{org['officer']}").status_code == 404
    reads = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "talk", AuditEntry.action == "read")
    ).all()
    assert len(reads) == 0  # the leader never opened the detail; HR's view is not a read
    client.get(f"/talks/{talk_id}")
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.object_type == "talk", AuditEntry.action == "read"
            )
        )
        == 1
    )


def test_index_filters_and_person_history(client, login, org, db):
    login("leader")
    first = _create(client, org)
    second = _create(client, org, type="heart_to_heart", period="")
    html = client.get("/talks/?type=heart_to_heart").get_data(as_text=True)
    assert f'/talks/{second}"' in html and f'/talks/{first}"' not in html
    html = client.get("/talks/?period=2025Q3").get_data(as_text=True)
    assert f'/talks/{first}"' in html and f'/talks/{second}"' not in html
    assert "暂无符合条件的谈话记录" in client.get("/talks/?status=final").get_data(as_text=True)
    html = client.get(f"/talks/person/{org['officer']}").get_data(as_text=True)
    assert f'/talks/{first}"' in html and f'/talks/{second}"' in html
    assert db.session.get(Person, org["officer"]).name in html


def test_mine_lists_an_overdue_obligation_of_an_earlier_period_for_a_make_up_talk(
    app, client, login, org, db
):
    from supervision.common.periods import Period
    from supervision.obligations import engine

    login("leader")
    html = client.get("/talks/mine").get_data(as_text=True)
    # The earlier periods come first, in their own table, each with its overdue-since date.
    assert html.index('id="owed-earlier"') < html.index('id="owed"')
    rows = html.split('id="owed-earlier"')[1].split("</table>")[0]
    assert "2025Q3" not in rows and "2025Q3" in html.split('id="owed"')[1]
    assert "自 2025-07-01 起逾期" in rows and "自 2025-01-01 起逾期" in rows
    assert 'data-earlier-period="2024Q3"' not in rows  # looks back three quarters only
    start = (
        f"/talks/new?type=integrity_reminder&amp;interviewee_id={org['officer']}&amp;period=2025Q2"
    )
    assert start in rows
    form = client.get(start.replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="2025Q2"' in form

    talk_id = _create(client, org, period="2025Q2", reason="补谈2025年第二季度廉政提醒")
    assert _post(client, f"/talks/{talk_id}/sign", talk_id).status_code == 302
    officer = app.test_client()
    login("officer", c=officer)
    assert _post(officer, f"/talks/{talk_id}/sign", talk_id).status_code == 302
    assert _post(client, f"/talks/{talk_id}/finalize", talk_id).status_code == 302
    assert db.session.get(Talk, talk_id).period == "2025Q2"

    [row] = engine.compute(
        db.session,
        Period.parse("2025Q2"),
        ["integrity_reminder"],
        as_of=date(2025, 9, 20),
        person_id=org["officer"],
    )
    assert row.status == "done_late" and row.talk_id == talk_id
    [current] = engine.compute(
        db.session,
        Period.parse("2025Q3"),
        ["integrity_reminder"],
        as_of=date(2025, 9, 20),
        person_id=org["officer"],
    )
    assert current.status == "pending" and current.talk_id is None
    rows = (
        client.get("/talks/mine")
        .get_data(as_text=True)
        .split('id="owed-earlier"')[1]
        .split("</table>")[0]
    )
    assert 'data-earlier-period="2025Q2"' not in rows and start not in rows
    assert 'data-earlier-period="2025Q1"' in rows
