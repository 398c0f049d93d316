"""The talk API over HTTP: access by role, confidentiality, signing, finalising,
attachments, revisions and lists (SPEC §4, §6, §10)."""

import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.org.models import Person
from supervision.talks.models import Talk
from tests import factories
from tests.conftest import csrf_from

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def store(app, tmp_path, monkeypatch):
    """Attachments in a directory of this test."""
    monkeypatch.setitem(app.config, "TALK_ATTACHMENT_DIR", str(tmp_path / "files"))


@pytest.fixture
def org(db):
    """A station with its head (a leader), an officer, a recorder, a committee member and
    an outsider; ids by name."""
    s = db.session
    bureau = factories.unit(s, "分局", kind="branch")
    station = factories.unit(s, "派出所", kind="station", parent=bureau)
    people = {
        "head": factories.person(s, station, "李所长", leadership="department_head"),
        "officer": factories.person(s, station, "张三"),
        "recorder": factories.person(s, station, "赵六"),
        "member": factories.person(s, bureau, "王委员"),
        "outsider": factories.person(s, bureau, "钱七"),
        "chief": factories.person(s, bureau, "孙局长", leadership="team_member"),
    }
    s.flush()
    station.head_person_id = people["head"].id
    s.commit()
    return {k: v.id for k, v in people.items()}


@pytest.fixture
def auth(db, org, make_user, token_for):
    """Bearer headers by role."""

    def person(key):
        return db.session.get(Person, org[key])

    return {
        "secretary": token_for(make_user("secretary", ["discipline_secretary"])),
        "member": token_for(make_user("member", ["discipline_member"], person=person("member"))),
        "leader": token_for(make_user("leader", ["leader"], person=person("head"))),
        "chief": token_for(make_user("chief", ["leader"], person=person("chief"))),
        "officer": token_for(make_user("officer", ["staff"], person=person("officer"))),
        "recorder": token_for(make_user("recorder", ["staff"], person=person("recorder"))),
        "outsider": token_for(make_user("outsider", ["staff"], person=person("outsider"))),
        "hr": token_for(make_user("hr", ["hr"])),
        "admin": token_for(make_user("admin", ["admin"])),
    }


def body(org, **extra):
    data = {
        "type": "integrity_reminder",
        "held_at": "2025-09-10T09:30:00+08:00",
        "location": "谈话室",
        "interviewee_id": org["officer"],
        "interviewer_ids": [org["head"]],
        "recorder_id": org["recorder"],
        "reason": "季度廉政提醒",
        "content": "提醒严守廉洁纪律",
        "response": "坚决遵守",
        "follow_up": "每月自查",
    }
    data.update(extra)
    return data


def create(client, headers, org, **extra):
    resp = client.post("/api/v1/talks", headers=headers, json=body(org, **extra))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def final_talk(client, auth, org, **extra):
    talk = create(client, auth["secretary"], org, **extra)
    for who in ("officer", "leader"):
        assert client.post(f"/api/v1/talks/{talk['id']}/sign", headers=auth[who]).status_code == 200
    resp = client.post(f"/api/v1/talks/{talk['id']}/finalize", headers=auth["secretary"])
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def upload(client, headers, talk_id, data, filename="file.pdf", kind="other"):
    import io

    return client.post(
        f"/api/v1/talks/{talk_id}/attachments",
        headers=headers,
        data={"kind": kind, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def reads(db, talk_id):
    return db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "read", AuditEntry.object_id == str(talk_id)
        )
    ).all()


# ------------------------------------------------------------------ access


def test_anonymous_is_401(client):
    assert client.get("/api/v1/talks").status_code == 401
    assert client.post("/api/v1/talks", json={"type": "supervision"}).status_code == 401


@pytest.mark.parametrize("role", ["hr", "admin", "officer"])
def test_only_discipline_roles_and_leaders_create(client, auth, org, role):
    resp = client.post("/api/v1/talks", headers=auth[role], json=body(org))
    assert resp.status_code == 403


def test_a_leader_records_only_talks_they_conduct_or_record(client, auth, org):
    resp = client.post(
        "/api/v1/talks", headers=auth["leader"], json=body(org, interviewer_ids=[org["member"]])
    )
    assert resp.status_code == 422 and "interviewer_ids" in resp.get_json()["errors"]
    # The interviewee must be someone of the leader's scope (worded as an unknown person).
    resp = client.post(
        "/api/v1/talks", headers=auth["leader"], json=body(org, interviewee_id=org["chief"])
    )
    assert resp.status_code == 422 and "interviewee_id" in resp.get_json()["errors"]
    talk = create(client, auth["leader"], org)
    resp = client.patch(
        f"/api/v1/talks/{talk['id']}",
        headers=auth["leader"],
        json={"interviewer_ids": [org["member"]]},
    )
    assert resp.status_code == 422
    # Giving up the interviewer's seat while keeping the recorder's is allowed (the people
    # named must be of the leader's scope: see tests/functional/test_small_leaks.py).
    resp = client.patch(
        f"/api/v1/talks/{talk['id']}",
        headers=auth["leader"],
        json={"interviewer_ids": [org["recorder"]], "recorder_id": org["head"]},
    )
    assert resp.status_code == 200, resp.get_json()


def test_who_sees_a_talk(client, auth, org):
    talk = create(client, auth["secretary"], org)
    url = f"/api/v1/talks/{talk['id']}"
    for role in ("secretary", "leader", "officer", "recorder", "hr", "admin"):
        assert client.get(url, headers=auth[role]).status_code == 200, role
    # A committee member sees talks they take part in or logged; a leader only their own talks.
    for role in ("member", "chief", "outsider"):
        assert client.get(url, headers=auth[role]).status_code == 404, role
    mine = create(client, auth["member"], org)
    assert client.get(f"/api/v1/talks/{mine['id']}", headers=auth["member"]).status_code == 200
    listed = {t["id"] for t in client.get("/api/v1/talks", headers=auth["member"]).get_json()}
    assert listed == {mine["id"]}
    assert client.get("/api/v1/talks", headers=auth["outsider"]).get_json() == []


def test_hr_sees_that_a_talk_exists_but_not_its_contents(client, db, auth, org):
    talk = create(client, auth["secretary"], org)
    assert upload(client, auth["secretary"], talk["id"], PDF).status_code == 201
    got = client.get(f"/api/v1/talks/{talk['id']}", headers=auth["hr"]).get_json()
    assert (got["content"], got["response"], got["attachments"]) == (None, None, None)
    assert (got["type"], got["interviewee_id"], got["status"]) == (
        "integrity_reminder",
        org["officer"],
        "draft",
    )
    attachment_id = client.get(f"/api/v1/talks/{talk['id']}", headers=auth["secretary"]).get_json()[
        "attachments"
    ][0]["id"]
    for role in ("hr", "admin"):
        assert (
            client.get(
                f"/api/v1/talks/{talk['id']}/attachments/{attachment_id}", headers=auth[role]
            ).status_code
            == 404
        )
    assert len(reads(db, talk["id"])) == 1  # the secretary's read only


def test_reading_contents_is_audited_but_lists_are_not(client, db, auth, org):
    talk = create(client, auth["secretary"], org)
    client.get("/api/v1/talks", headers=auth["officer"])
    assert reads(db, talk["id"]) == []
    got = client.get(f"/api/v1/talks/{talk['id']}", headers=auth["officer"]).get_json()
    assert got["content"] == "提醒严守廉洁纪律"
    entries = reads(db, talk["id"])
    assert [e.actor_name for e in entries] == ["officer"]


def test_editing_needs_a_seat_or_a_discipline_role(client, auth, org):
    talk = create(client, auth["secretary"], org)
    url = f"/api/v1/talks/{talk['id']}"
    for role in ("hr", "officer", "recorder"):
        assert client.patch(url, headers=auth[role], json={"location": "x"}).status_code == 403, (
            role
        )
        assert client.post(f"{url}/finalize", headers=auth[role]).status_code == 403, role
    assert client.patch(url, headers=auth["chief"], json={"location": "x"}).status_code == 404
    assert (
        client.patch(url, headers=auth["leader"], json={"location": "会议室"}).get_json()[
            "location"
        ]
        == "会议室"
    )


# ------------------------------------------------------------------ drafts, periods


def test_held_at_in_and_out_with_offset_and_the_local_period(client, auth, org):
    talk = create(client, auth["secretary"], org, held_at="2025-06-30T15:30:00Z")
    assert (talk["held_at"], talk["period"]) == ("2025-06-30T23:30:00+08:00", "2025Q2")
    talk = create(client, auth["secretary"], org, held_at="2025-07-01T00:10:00+08:00")
    assert (talk["held_at"], talk["period"]) == ("2025-07-01T00:10:00+08:00", "2025Q3")
    resp = client.post(
        "/api/v1/talks", headers=auth["secretary"], json=body(org, held_at="2025-07-01T00:10:00")
    )
    assert resp.status_code == 422 and "held_at" in resp.get_json()["errors"]


def test_a_period_after_the_talks_own_is_422_an_earlier_one_is_kept(client, auth, org):
    resp = client.post("/api/v1/talks", headers=auth["secretary"], json=body(org, period="2025Q4"))
    assert resp.status_code == 422 and "period" in resp.get_json()["errors"]
    assert create(client, auth["secretary"], org, period="2025Q1")["period"] == "2025Q1"


def test_a_draft_may_be_incomplete_and_a_final_talk_is_409(client, auth, org):
    resp = client.post("/api/v1/talks", headers=auth["secretary"], json={"type": "heart_to_heart"})
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {
        "interviewee_id": ["请选择谈话对象。"],
        "held_at": ["请填写谈话时间。"],
    }
    resp = client.post(
        "/api/v1/talks",
        headers=auth["secretary"],
        json={
            "type": "heart_to_heart",
            "interviewee_id": org["officer"],
            "held_at": "2025-09-10T09:30:00+08:00",
        },
    )
    assert resp.status_code == 201
    draft = resp.get_json()
    assert (draft["status"], draft["interviewer_ids"], draft["period"], draft["content"]) == (
        "draft",
        [],
        "2025",
        "",
    )
    done = final_talk(client, auth, org)
    resp = client.patch(
        f"/api/v1/talks/{done['id']}", headers=auth["secretary"], json={"content": "改"}
    )
    assert resp.status_code == 409
    assert (
        client.post(f"/api/v1/talks/{done['id']}/finalize", headers=auth["secretary"]).status_code
        == 409
    )
    assert upload(client, auth["secretary"], done["id"], PDF).status_code == 409


def test_bad_input_is_422(client, auth, org):
    for bad in (
        {"type": "chat"},
        {"type": "supervision", "interviewer_ids": [0]},
        {"type": "supervision", "nope": 1},
        {"type": "supervision", "held_at": "0001-01-01T00:00:00+14:00"},
        {"type": "supervision", "interviewee_id": 2**31 - 1},
        {"type": "supervision", "location": "a\nb"},
    ):
        resp = client.post("/api/v1/talks", headers=auth["secretary"], json=bad)
        assert resp.status_code == 422, (bad, resp.get_json())
    assert client.get("/api/v1/talks/2147483647", headers=auth["secretary"]).status_code == 404


# ------------------------------------------------------------------ signing and finalising


def test_signing_with_an_empty_body(client, auth, org):
    talk = create(client, auth["secretary"], org)
    url = f"/api/v1/talks/{talk['id']}/sign"
    first = client.post(url, headers=auth["officer"])
    assert first.status_code == 200
    signed = first.get_json()["signatures"]
    assert [(s["person_id"], s["role"]) for s in signed] == [(org["officer"], "interviewee")]
    again = client.post(url, headers=auth["officer"]).get_json()["signatures"]
    assert again == signed
    assert client.post(url, headers=auth["recorder"]).status_code == 403
    assert client.post(url, headers=auth["secretary"]).status_code == 403  # no person of theirs
    assert client.post(url, headers=auth["outsider"]).status_code == 404


def test_finalize_lists_what_is_missing_then_succeeds(client, db, auth, org):
    talk = create(
        client, auth["secretary"], org, content="", interviewer_ids=[org["head"], org["member"]]
    )
    url = f"/api/v1/talks/{talk['id']}/finalize"
    resp = client.post(url, headers=auth["secretary"])
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert set(errors) == {"content", "signatures"}
    assert errors["signatures"] == [
        "缺少签字：张三（被谈话人）",
        "缺少签字：李所长（谈话人）",
        "缺少签字：王委员（谈话人）",
    ]
    client.patch(
        f"/api/v1/talks/{talk['id']}", headers=auth["secretary"], json={"content": "谈话内容"}
    )
    for who in ("officer", "leader", "member"):
        client.post(f"/api/v1/talks/{talk['id']}/sign", headers=auth[who])
    done = client.post(url, headers=auth["leader"]).get_json()
    assert (done["status"], done["period"]) == ("final", "2025Q3") and done["finalized_at"]
    assert db.session.get(Talk, talk["id"]).status == "final"


def test_changing_the_text_clears_signatures_over_http(client, auth, org):
    talk = create(client, auth["secretary"], org)
    client.post(f"/api/v1/talks/{talk['id']}/sign", headers=auth["officer"])
    got = client.patch(
        f"/api/v1/talks/{talk['id']}",
        headers=auth["secretary"],
        json={"response": "坚决遵守，立即整改"},
    ).get_json()
    assert got["signatures"] == []


def test_admonishment_extras(client, auth, org):
    talk = create(client, auth["secretary"], org, type="admonishment")
    for who in ("officer", "leader"):
        client.post(f"/api/v1/talks/{talk['id']}/sign", headers=auth[who])
    resp = client.post(f"/api/v1/talks/{talk['id']}/finalize", headers=auth["secretary"])
    assert set(resp.get_json()["errors"]) == {"attachments", "reported_to_higher_at"}
    assert (
        upload(
            client, auth["secretary"], talk["id"], PDF, "检讨书.pdf", "written_explanation"
        ).status_code
        == 201
    )
    client.patch(
        f"/api/v1/talks/{talk['id']}",
        headers=auth["secretary"],
        json={"reported_to_higher_at": "2025-09-11T10:00:00+08:00"},
    )
    done = client.post(f"/api/v1/talks/{talk['id']}/finalize", headers=auth["secretary"]).get_json()
    assert (done["status"], done["period"]) == ("final", None)


# ------------------------------------------------------------------ attachments


def test_upload_checks_the_content_and_download_streams_it(client, db, auth, org):
    talk = create(client, auth["secretary"], org)
    resp = upload(client, auth["secretary"], talk["id"], PNG, "签字页.pdf", "signed_form")
    assert resp.status_code == 201
    att = resp.get_json()
    assert (att["content_type"], att["filename"], att["size"], att["kind"]) == (
        "image/png",
        "签字页.png",
        len(PNG),
        "signed_form",
    )
    resp = upload(client, auth["secretary"], talk["id"], EXE, "invoice.pdf")
    assert resp.status_code == 422 and "file" in resp.get_json()["errors"]
    assert upload(client, auth["secretary"], talk["id"], PDF, kind="photo").status_code == 422
    resp = client.post(
        f"/api/v1/talks/{talk['id']}/attachments",
        headers=auth["secretary"],
        data={"kind": "other"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert upload(client, auth["officer"], talk["id"], PDF).status_code == 403

    url = f"/api/v1/talks/{talk['id']}/attachments/{att['id']}"
    got = client.get(url, headers=auth["officer"])
    assert got.status_code == 200 and got.data == PNG
    assert got.mimetype == "image/png"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in got.headers["Cache-Control"]
    entry = reads(db, talk["id"])[-1]
    assert (entry.actor_name, json.loads(entry.changes)) == (
        "officer",
        {"attachment_id": att["id"]},
    )
    assert (
        client.get(
            f"/api/v1/talks/{talk['id']}/attachments/999", headers=auth["officer"]
        ).status_code
        == 404
    )
    # The signed form replaces the signatures.
    done = client.post(f"/api/v1/talks/{talk['id']}/finalize", headers=auth["secretary"])
    assert done.status_code == 200 and done.get_json()["signatures"] == []


def test_uploads_over_10_mb_are_413(client, auth, org):
    talk = create(client, auth["secretary"], org)
    resp = upload(client, auth["secretary"], talk["id"], PDF + b"\x00" * (10 * 1024 * 1024))
    assert resp.status_code == 413
    assert "10 MB" in resp.get_json()["message"] and "file" in resp.get_json()["errors"]


def test_a_draft_attachment_can_be_removed(client, auth, org):
    talk = create(client, auth["secretary"], org)
    att = upload(client, auth["secretary"], talk["id"], PDF).get_json()
    url = f"/api/v1/talks/{talk['id']}/attachments/{att['id']}"
    assert client.delete(url, headers=auth["officer"]).status_code == 403
    assert client.delete(url, headers=auth["secretary"]).status_code == 204
    assert client.get(url, headers=auth["secretary"]).status_code == 404


# ------------------------------------------------------------------ revisions and lists


def test_revise_a_final_talk(client, auth, org):
    done = final_talk(client, auth, org)
    assert client.post(f"/api/v1/talks/{done['id']}/revise", headers=auth["hr"]).status_code == 403
    resp = client.post(f"/api/v1/talks/{done['id']}/revise", headers=auth["secretary"])
    assert resp.status_code == 201
    revision = resp.get_json()
    assert (revision["status"], revision["revision_of_id"], revision["signatures"]) == (
        "draft",
        done["id"],
        [],
    )
    assert revision["content"] == done["content"]
    assert (
        client.get(f"/api/v1/talks/{done['id']}", headers=auth["secretary"]).get_json()[
            "revised_by_id"
        ]
        == revision["id"]
    )
    assert (
        client.post(f"/api/v1/talks/{done['id']}/revise", headers=auth["secretary"]).status_code
        == 409
    )
    assert (
        client.post(f"/api/v1/talks/{revision['id']}/revise", headers=auth["secretary"]).status_code
        == 409
    )


def test_list_filters_pages_and_never_returns_contents(client, auth, org):
    final_talk(client, auth, org)
    create(client, auth["secretary"], org, type="supervision", held_at="2025-03-01T10:00:00+08:00")
    create(
        client,
        auth["secretary"],
        org,
        interviewee_id=org["chief"],
        held_at="2025-10-02T10:00:00+08:00",
    )
    resp = client.get("/api/v1/talks?page_size=2", headers=auth["secretary"])
    assert json.loads(resp.headers["X-Pagination"])["total"] == 3
    rows = resp.get_json()
    assert [r["held_at"][:10] for r in rows] == ["2025-10-02", "2025-09-10"]
    assert not {"content", "response", "attachments"} & set(rows[0])

    def ids(query):
        return [
            r["held_at"][:10]
            for r in client.get(f"/api/v1/talks?{query}", headers=auth["secretary"]).get_json()
        ]

    assert ids(f"interviewee_id={org['chief']}") == ["2025-10-02"]
    assert ids("type=supervision") == ["2025-03-01"]
    assert ids("status=final") == ["2025-09-10"]
    assert ids("period=2025q3") == ["2025-09-10"]
    assert ids("held_from=2025-09-10&held_to=2025-10-01") == ["2025-09-10"]
    assert ids("held_to=0001-01-01&held_from=0001-01-01") == [
        "2025-10-02",
        "2025-09-10",
        "2025-03-01",
    ]
    assert client.get("/api/v1/talks?period=Q3", headers=auth["secretary"]).status_code == 422


def test_the_list_takes_a_bounded_number_of_queries(app, client, db, auth, org, count_statements):
    def count_queries() -> int:
        with count_statements() as statements:
            assert client.get("/api/v1/talks", headers=auth["hr"]).status_code == 200
        return len(statements)

    create(client, auth["secretary"], org)
    count_queries()  # the token's first use also notes its last-use time (a few writes, once)
    few = count_queries()
    for _ in range(6):
        talk = create(client, auth["secretary"], org, interviewer_ids=[org["head"], org["member"]])
        client.post(f"/api/v1/talks/{talk['id']}/sign", headers=auth["officer"])
    assert count_queries() == few


def test_cookie_writes_need_the_csrf_token(client, auth, org, login):
    login("secretary")
    assert client.post("/api/v1/talks", json=body(org)).status_code == 400
    token = csrf_from(client.get("/").get_data(as_text=True))
    resp = client.post("/api/v1/talks", json=body(org), headers={"X-CSRFToken": token})
    assert resp.status_code == 201
    assert datetime.fromisoformat(resp.get_json()["created_at"]).utcoffset() is not None
