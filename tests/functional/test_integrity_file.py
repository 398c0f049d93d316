"""Integrity files (廉政档案, SPEC §6): the page and PDF of one leader, supervision notes with
attachments, audited reads, and access for the discipline roles only."""

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from supervision.audit.models import AuditEntry
from supervision.integrity.models import IntegrityNote, IntegrityNoteAttachment
from supervision.talks import services as talks
from tests import factories
from tests.conftest import csrf_from

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _files(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(tmp_path / "files"))


@pytest.fixture
def org(db, make_user):
    """A bureau led by 陈局长 (team member) holding 分管岗, with a final supervision talk and a
    risk point; a station head; users for each role."""
    s = db.session
    bureau = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "派出所", kind="station", parent=bureau)
    leader = factories.person(s, bureau, "陈局长", leadership="team_member")
    head = factories.person(s, station, "刘所长", leadership="department_head")
    secretary = factories.person(s, bureau, "纪委书记")
    member = factories.person(s, bureau, "王委员")
    factories.person(s, station, "普通民警")
    s.flush()
    bureau.head_person_id, station.head_person_id = leader.id, head.id
    post = factories.post(s, bureau, "分管治安副局长岗", is_leadership=True)
    factories.assign(s, leader, post, date(2019, 3, 1))
    talk = factories.final_talk(
        s,
        leader,
        [secretary],
        datetime.now(UTC) - timedelta(days=1),
        recorder=member,
        type="supervision",
        location="谈话室",
        reason="日常监督",
        content="机密谈话内容甲乙丙",
        response="接受提醒",
    )
    factories.risk_point(
        s,
        station,
        head,
        "违规处置涉案财物",
        measure=None,
        manifestation="截留挪用",
        likelihood=4,
        impact=4,
        responsible_leader_id=leader.id,
    )
    s.commit()
    for name, roles, who in (
        ("sec", ("discipline_secretary",), secretary),
        ("mem", ("discipline_member",), member),
        ("hr", ("hr",), None),
        ("boss", ("leader",), leader),
    ):
        make_user(name, roles, person=who)
    return {"leader": leader.id, "head": head.id, "talk": talk.id}


def _reads(db, person_id):
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.action == "read",
            AuditEntry.object_type == "integrity_file",
            AuditEntry.object_id == str(person_id),
        )
    )


def _add_note(client, person_id, **data):
    page = client.get(f"/integrity/{person_id}").get_data(as_text=True)
    form = {
        "kind": "inquiry",
        "title": "关于群众来信反映问题的函询",
        "noted_on": "2025-05-06",
        "body": "已书面说明情况",
        "csrf_token": csrf_from(page),
        **data,
    }
    return client.post(f"/integrity/{person_id}/notes", data=form)


def test_index_lists_leaders_only(client, org, login):
    login("mem")
    html = client.get("/integrity/").get_data(as_text=True)
    assert "陈局长" in html and "刘所长" in html
    assert "普通民警" not in html and "王委员" not in html
    assert "廉政档案" in html


def test_file_page_shows_each_section_in_chinese_with_contents_for_the_committee(
    client, db, org, login
):
    login("sec")
    resp = client.get(f"/integrity/{org['leader']}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for section in ("basic", "posts", "risks", "measures", "talks", "obligations", "notes"):
        assert f'id="{section}"' in html
    assert "陈局长的廉政档案" in html
    assert "基本情况" in html and "任职经历" in html and "轮岗交流情况" in html
    assert "分管治安副局长岗" in html
    assert "日常提醒谈话" in html  # the talk type
    assert "纪委书记" in html  # interviewer
    assert "违规处置涉案财物" in html
    # The discipline roles read talk contents (SPEC §4), in the file as elsewhere.
    assert "机密谈话内容甲乙丙" in html and "接受提醒" in html
    assert "谈心谈话" in html  # an obligation row of the leader
    assert _reads(db, org["leader"]) == 1


def test_add_note_and_attachment_then_download(client, db, org, login):
    login("mem")
    resp = _add_note(client, org["leader"])
    assert resp.status_code == 302
    note = db.session.scalar(sa.select(IntegrityNote))
    assert (note.kind, note.title, note.noted_on) == (
        "inquiry",
        "关于群众来信反映问题的函询",
        date(2025, 5, 6),
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "create", AuditEntry.object_type == "integrity_note")
        )
        == 1
    )
    page = client.get(f"/integrity/{org['leader']}").get_data(as_text=True)
    assert "关于群众来信反映问题的函询" in page and "函询" in page
    url = f"/integrity/{org['leader']}/notes/{note.id}/attachments"
    resp = client.post(
        url,
        data={"csrf_token": csrf_from(page), "file": (io.BytesIO(PDF_BYTES), "说明.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    att = db.session.scalar(sa.select(IntegrityNoteAttachment))
    assert (att.filename, att.content_type, att.size) == (
        "说明.pdf",
        "application/pdf",
        len(PDF_BYTES),
    )
    got = client.get(f"{url}/{att.id}")
    assert got.status_code == 200 and got.data == PDF_BYTES
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "read", AuditEntry.object_type == "integrity_note")
        )
        == 1
    )
    assert client.get(f"{url}/{att.id + 999}").status_code == 404


def test_attachment_type_is_checked_by_content(client, db, org, login):
    login("sec")
    _add_note(client, org["leader"])
    note = db.session.scalar(sa.select(IntegrityNote))
    page = client.get(f"/integrity/{org['leader']}").get_data(as_text=True)
    resp = client.post(
        f"/integrity/{org['leader']}/notes/{note.id}/attachments",
        data={
            "csrf_token": csrf_from(page),
            "file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "fake.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert "PDF" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntegrityNoteAttachment)) == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"kind": "gossip"}, "kind"),
        ({"noted_on": "not-a-date"}, "noted_on"),
        ({"noted_on": "2999-01-01"}, "noted_on"),
        ({"title": "长" * 201}, "title"),
    ],
)
def test_note_validation_errors_keep_input_and_write_nothing(client, db, org, login, data, field):
    login("sec")
    resp = _add_note(client, org["leader"], **data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(rf'id="{field}"[^>]*is-invalid|is-invalid[^>]*id="{field}"', html)
    assert "已书面说明情况" in html  # the body is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntegrityNote)) == 0


def test_note_without_csrf_is_refused(client, db, org, login):
    login("sec")
    resp = client.post(
        f"/integrity/{org['leader']}/notes",
        data={"kind": "other", "title": "x", "noted_on": "2025-01-01"},
    )
    assert resp.status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntegrityNote)) == 0


@pytest.mark.parametrize("user", ["hr", "boss"])
def test_other_roles_get_403(client, db, org, login, user):
    login(user)
    for url in ("/integrity/", f"/integrity/{org['leader']}", f"/integrity/{org['leader']}.pdf"):
        assert client.get(url).status_code == 403
    assert _reads(db, org["leader"]) == 0


def test_unknown_person_is_404(client, org, login):
    login("sec")
    assert client.get("/integrity/999999").status_code == 404


def test_pdf_holds_name_talk_type_risk_and_note_and_is_audited(client, db, org, login):
    login("sec")
    _add_note(client, org["leader"], kind="accountability_report", title="2025年度述责述廉报告")
    before = _reads(db, org["leader"])
    resp = client.get(f"/integrity/{org['leader']}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = "".join(
        re.sub(r"\s+", "", p.extract_text()) for p in PdfReader(io.BytesIO(resp.data)).pages
    )
    assert "陈局长" in text
    assert "违规处置涉案财物" in text
    assert "2025年度述责述廉报告" in text
    assert "日常提醒谈话" in text and "机密谈话内容甲乙丙" in text
    assert _reads(db, org["leader"]) == before + 1


def test_gather_reads_a_bounded_number_of_statements(db, org, count_statements):
    from supervision.common import clock
    from supervision.integrity import builder
    from supervision.integrity import services as integrity_services
    from supervision.org.models import Person

    s = db.session
    person = s.get(Person, org["leader"])

    def count() -> int:
        with count_statements() as statements:
            s.expire_all()
            builder.gather(s, s.get(Person, org["leader"]), clock.today(), None)
        return len(statements)

    def add(i: int) -> None:
        note = integrity_services.create_note(
            s, person, {"kind": "other", "title": f"记录{i}", "noted_on": date(2025, 1, 1)}
        )
        integrity_services.add_attachment(s, note, f"f{i}.pdf", PDF_BYTES + bytes([i]))
        talks.create_talk(
            s,
            {
                "type": "heart_to_heart",
                "held_at": factories.DRAFT_HELD_AT,
                "interviewee_id": person.id,
                "interviewer_ids": [org["head"]],
            },
        )
        s.commit()

    add(0)
    few = count()
    for i in range(1, 7):
        add(i)
    assert count() == few


def test_file_shows_rotation_status_moves_deferrals_and_holds(client, db, org, login):
    """The rotation record (SPEC §6): tenure and status, executed moves, deferrals and
    holds; the file's readers are the discipline roles, so the hold reason is shown."""
    from supervision.org.models import Post
    from supervision.rotation import services as rotation

    s = db.session
    leader = org["leader"]
    old_post = s.scalar(sa.select(Post).where(Post.name.startswith("分管治安副局长岗")))
    new_post = factories.post(s, old_post.org_unit, "分管刑侦副局长岗", is_leadership=True)
    factories.rotation_plan(
        s,
        [(leader, old_post, new_post, date(2025, 1, 1))],
        name="2025年领导干部交流",
        status="executed",
        meeting_date=date(2024, 12, 20),
        minutes_no="党委会〔2024〕31号",
    )
    rotation.create_deferral(
        s,
        {
            "person_id": leader,
            "reason": "重大专项工作牵头人",
            "meeting_date": date(2025, 3, 1),
            "minutes_no": "党委会〔2025〕4号",
            "expires_on": date(2025, 6, 30),
        },
        None,
    )
    rotation.create_hold(s, {"person_id": leader, "reason": "问题线索初核中"}, None)
    s.commit()
    login("sec")
    html = client.get(f"/integrity/{leader}").get_data(as_text=True)
    section = html[html.index('id="rotation"') : html.index('id="notes"')]
    assert new_post.name in section and "2025-01-01" in section  # tenure in the new post
    assert "不得转任" in section and "领导职务任职年限" in section  # status and reason
    assert "2025年领导干部交流" in section and "党委会〔2024〕31号" in section
    assert "党委会〔2025〕4号" in section and "2025-06-30" in section
    assert "问题线索初核中" in section
    text = "".join(
        re.sub(r"\s+", "", p.extract_text())
        for p in PdfReader(io.BytesIO(client.get(f"/integrity/{leader}.pdf").data)).pages
    )
    assert "轮岗交流情况" in text and "党委会〔2024〕31号" in text and "问题线索初核中" in text
