"""Small leaks and refusals of issue 11 (SPEC §4, §10, §13): the health check names failing
checks but never an error text; a leader naming people outside their scope in a talk gets
the answer of a person that does not exist; permission comes before validation and an
empty PATCH/PUT is 422; a workbook too large once unpacked is refused before it is parsed.
(Every endpoint's permission-before-validation answer is in test_authorization_matrix.py.)
"""

import io
import re
import zipfile
from datetime import datetime

import pytest

from supervision import create_app
from tests import factories
from tests.conftest import csrf_from
from tests.integration.test_roster import bureau_file

NO_SUCH_ID = 99_999
NO_SUCH_STAFF_NO = "X99999"


# ------------------------------------------------------------------ /healthz


def test_healthz_names_an_unreachable_database_without_any_error_text(tmp_path, monkeypatch):
    from config import TestConfig

    missing = tmp_path / "no-such-folder" / "supervision.db"

    class Broken(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{missing}"

    monkeypatch.setenv("SUPERVISION_INSTANCE", str(tmp_path / "instance"))
    resp = create_app(Broken).test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {
        "status": "error",
        "checks": {"database": "unreachable", "calendar": "unknown"},
    }
    body = resp.get_data(as_text=True)
    for leak in ("no-such-folder", "sqlite", "unable", "Error", "SELECT"):
        assert leak not in body


# ------------------------------------------------------------------ talks: who may be named


@pytest.fixture
def bureau(db, make_user):
    """The station head is a leader (scope: the station and its team); the chief and the
    traffic department are outside that scope."""
    s = db.session
    rows = factories.small_bureau(s)
    rows["officer"] = factories.person(s, rows["station"], "张三")
    rows["member"] = factories.person(s, rows["traffic"], "王警官")
    s.commit()
    rows["leader"] = make_user("leader", ["leader"], person=rows["head"])
    return rows


def _same_answer(a, b, a_value, b_value) -> None:
    """Two answers alike but for the id or staff number the caller typed (and CSRF tokens)."""
    assert a.status_code == b.status_code

    def text(resp, value):
        body = resp.get_data(as_text=True)
        body = body.encode().decode("unicode_escape") if resp.is_json else body
        body = re.sub(rf"(?<![0-9A-Za-z]){re.escape(str(value))}(?![0-9])", "<named>", body)
        return re.sub(r'(value|content)="[^"]*\.[^"]*\.[^"]*"', "", body)  # signed CSRF tokens

    assert text(a, a_value) == text(b, b_value)


@pytest.mark.parametrize("field", ["interviewer_ids", "recorder_id", "interviewee_id"])
def test_api_out_of_scope_person_reads_as_a_person_that_does_not_exist(
    client, bureau, token_for, db, field
):
    headers = token_for(bureau["leader"])

    def body(pid):
        data = {
            "type": "integrity_reminder",
            "held_at": "2025-09-10T09:30:00+08:00",
            "interviewee_id": bureau["officer"].id,
            "interviewer_ids": [bureau["head"].id],
        }
        if field == "interviewer_ids":
            data[field] = [bureau["head"].id, pid]
        else:
            data[field] = pid
        return data

    outside = bureau["chief"].id
    unknown = client.post("/api/v1/talks", headers=headers, json=body(NO_SUCH_ID))
    named = client.post("/api/v1/talks", headers=headers, json=body(outside))
    assert unknown.status_code == 422 and field in unknown.get_json()["errors"]
    _same_answer(named, unknown, outside, NO_SUCH_ID)

    # PATCH of a draft the leader conducts: the same.
    draft = client.post(
        "/api/v1/talks",
        headers=headers,
        json={
            "type": "integrity_reminder",
            "held_at": "2025-09-10T09:30:00+08:00",
            "interviewee_id": bureau["officer"].id,
            "interviewer_ids": [bureau["head"].id],
        },
    )
    assert draft.status_code == 201, draft.get_json()
    url = f"/api/v1/talks/{draft.get_json()['id']}"
    patch = body(NO_SUCH_ID)
    unknown = client.patch(url, headers=headers, json={field: patch[field]})
    patch = body(outside)
    named = client.patch(url, headers=headers, json={field: patch[field]})
    assert unknown.status_code == 422
    _same_answer(named, unknown, outside, NO_SUCH_ID)


def test_a_leader_keeps_participants_named_by_the_committee(client, bureau, token_for, db):
    """People already on a draft (the committee named them) stay: only new names count."""
    from supervision.talks import services

    talk = services.create_talk(
        db.session,
        {
            "type": "integrity_reminder",
            "held_at": datetime.fromisoformat("2025-09-10T09:30:00+08:00"),
            "interviewee_id": bureau["officer"].id,
            "interviewer_ids": [bureau["head"].id, bureau["member"].id],
        },
    )
    db.session.commit()
    headers = token_for(bureau["leader"])
    resp = client.patch(f"/api/v1/talks/{talk.id}", headers=headers, json={"location": "谈话室"})
    assert resp.status_code == 200, resp.get_json()


@pytest.mark.parametrize("field", ["interviewers", "recorder", "interviewee"])
def test_page_out_of_scope_staff_number_reads_as_an_unknown_one(client, login, bureau, field):
    login("leader")

    def post(staff_no):
        data = {
            "type": "integrity_reminder",
            "held_at": "2025-09-10T09:30",
            "location": "谈话室",
            "interviewee": bureau["officer"].staff_no,
            "interviewers": bureau["head"].staff_no,
            "recorder": "",
            "reason": "",
            "content": "提醒内容",
            "response": "",
            "follow_up": "",
            "period": "",
            "reported_to_higher_at": "",
        }
        if field == "interviewers":
            data[field] = f"{bureau['head'].staff_no} {staff_no}"
        else:
            data[field] = staff_no
        token = csrf_from(client.get("/talks/new").get_data(as_text=True))
        return client.post("/talks/new", data={**data, "csrf_token": token})

    outside = bureau["chief"].staff_no
    unknown, named = post(NO_SUCH_STAFF_NO), post(outside)
    assert unknown.status_code == 422
    assert f"找不到姓名或警号/工号为“{NO_SUCH_STAFF_NO}”的人员。" in unknown.get_data(as_text=True)
    _same_answer(named, unknown, outside, NO_SUCH_STAFF_NO)


# ------------------------------------------------------------------ permission, empty bodies


@pytest.fixture
def org_users(db, make_user, token_for):
    s = db.session
    rows = factories.small_bureau(s)
    s.commit()
    leader = make_user("leader", ["leader"], person=rows["head"])
    return {
        "rows": rows,
        "admin": token_for(make_user("admin", ["admin"])),
        "staff": token_for(make_user("staff", ["staff"])),
        "leader": token_for(leader),
    }


@pytest.mark.parametrize("payload", [{}, {"name": 5, "bogus": True}, None])
def test_permission_comes_before_validation(client, org_users, payload):
    kwargs = {"json": payload} if payload is not None else {"data": "{not json"}
    kwargs.setdefault("content_type", "application/json")
    resp = client.post("/api/v1/org-units", headers=org_users["staff"], **kwargs)
    assert resp.status_code == 403, resp.get_json()
    # A unit outside the leader's scope is 404 whatever the body says.
    bureau_id = org_users["rows"]["bureau"].id
    resp = client.patch(f"/api/v1/org-units/{bureau_id}", headers=org_users["leader"], **kwargs)
    assert resp.status_code == 404, resp.get_json()
    # With the right, the body is judged.
    resp = client.post("/api/v1/org-units", headers=org_users["admin"], **kwargs)
    assert resp.status_code in (400, 422)


def test_an_empty_patch_or_put_is_422(client, org_users):
    unit = org_users["rows"]["station"].id
    admin = org_users["admin"]
    for kwargs in ({"json": {}}, {}):
        resp = client.patch(f"/api/v1/org-units/{unit}", headers=admin, **kwargs)
        assert resp.status_code == 422, resp.get_json()
        assert resp.get_json()["message"] == "请求体为空：请至少提供一个字段。"
    resp = client.put("/api/v1/risks/settings", headers=admin)
    assert resp.status_code == 422
    assert resp.get_json()["message"] == "请求体为空：请至少提供一个字段。"
    resp = client.patch(f"/api/v1/org-units/{unit}", headers=admin, json={"name": "新名称"})
    assert resp.status_code == 200


# ------------------------------------------------------------------ unpacked size


def padded(data: bytes, size: int) -> bytes:
    """The workbook with an extra part of `size` spaces: it compresses to almost nothing."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/padding.xml", b" " * size, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


TOO_LARGE = "工作簿解压后过大"


@pytest.fixture
def small_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_UNPACKED", 1024 * 1024)


def test_a_roster_too_large_once_unpacked_is_refused_before_it_is_parsed(
    client, db, make_user, token_for, login, small_limit, app, monkeypatch
):
    bomb = padded(bureau_file(), 2 * 1024 * 1024)
    assert len(bomb) < 100 * 1024
    headers = token_for(make_user("hr", ["hr"]))

    def api():
        return client.post(
            "/api/v1/imports/roster",
            headers=headers,
            data={"file": (io.BytesIO(bomb), "roster.xlsx")},
            content_type="multipart/form-data",
        )

    resp = api()
    assert resp.status_code == 413, resp.get_json()
    body = resp.get_json()
    assert TOO_LARGE in body["message"] and "1 MB" in body["message"]
    assert len(body["errors"]) == 1
    browser = login("hr", c=app.test_client())
    token = csrf_from(browser.get("/org/roster").get_data(as_text=True))
    page = browser.post(
        "/org/roster",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(bomb), "roster.xlsx")},
    )
    assert page.status_code == 413 and TOO_LARGE in page.get_data(as_text=True)
    # The same file under a larger limit is read and imported: the size alone refused it.
    monkeypatch.setitem(app.config, "UPLOAD_MAX_UNPACKED", 50 * 1024 * 1024)
    assert api().status_code == 200


def test_a_risk_inventory_too_large_once_unpacked_is_refused(
    client, db, make_user, token_for, login, small_limit, app, monkeypatch
):
    from openpyxl import Workbook

    buf = io.BytesIO()
    Workbook().save(buf)
    bomb = padded(buf.getvalue(), 2 * 1024 * 1024)
    headers = token_for(make_user("member", ["discipline_member"]))

    def api():
        return client.post(
            "/api/v1/imports/risk-inventory",
            headers=headers,
            data={"file": (io.BytesIO(bomb), "清单.xlsx")},
            content_type="multipart/form-data",
        )

    resp = api()
    assert resp.status_code == 413 and TOO_LARGE in resp.get_json()["message"]
    browser = login("member", c=app.test_client())
    token = csrf_from(browser.get("/risks/import").get_data(as_text=True))
    page = browser.post(
        "/risks/import",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(bomb), "清单.xlsx")},
    )
    assert page.status_code == 413 and TOO_LARGE in page.get_data(as_text=True)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_UNPACKED", 50 * 1024 * 1024)
    resp = api()
    assert resp.status_code != 413 and TOO_LARGE not in resp.get_data(as_text=True)
