"""Roster API: POST /api/v1/imports/roster and GET /api/v1/exports/roster.xlsx (SPEC §3, §10)."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from supervision.audit.models import AuditEntry
from supervision.org.models import Person
from tests import factories
from tests.conftest import csrf_from
from tests.integration.test_roster import bureau_file, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
URL = "/api/v1/imports/roster"


@pytest.fixture
def hr(make_user, token_for):
    return token_for(make_user("hr", ["hr"]))


def upload(client, headers, data, name="roster.xlsx", **form):
    return client.post(
        URL,
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), name), **form},
    )


def people_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


def test_anonymous_is_401(client):
    assert upload(client, {}, bureau_file()).status_code == 401
    assert client.get("/api/v1/exports/roster.xlsx").status_code == 401


@pytest.mark.parametrize("roles", [["leader"], ["discipline_secretary"], ["staff"]])
def test_other_roles_are_403(client, make_user, token_for, db, roles):
    headers = token_for(make_user("someone", roles))
    assert upload(client, headers, bureau_file()).status_code == 403
    assert client.get("/api/v1/exports/roster.xlsx", headers=headers).status_code == 403
    assert people_count(db) == 0


def test_import_then_reimport(client, hr, db):
    resp = upload(client, hr, bureau_file())
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["created"] == 10 and body["dry_run"] is False
    assert body["sheets"]["people"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert people_count(db) == 3
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "person")
    ).first()
    assert entry.actor_name == "hr"
    again = upload(client, hr, bureau_file()).get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 10)


def test_errors_are_422_with_cells(client, hr, db):
    data = workbook(
        people=[
            ["staff_no", "name", "personnel_type", "org_unit_code"],
            ["1", "甲", "police", "NOPE"],
            ["2", "乙", "martian", "NOPE"],
        ]
    )
    resp = upload(client, hr, data)
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == 422 and body["message"]
    cells = sorted((e["sheet"], e["row"], e["column"]) for e in body["errors"])
    assert cells == [
        ("people", 2, "org_unit_code"),
        ("people", 3, "org_unit_code"),
        ("people", 3, "personnel_type"),
    ]
    assert all(e["message"] for e in body["errors"])
    assert people_count(db) == 0


def test_dry_run_writes_nothing(client, hr, db):
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    resp = upload(client, hr, bureau_file(), dry_run="true")
    assert resp.status_code == 200 and resp.get_json()["created"] == 10
    assert resp.get_json()["dry_run"] is True
    resp = client.post(
        URL + "?dry_run=true",
        headers=hr,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(bureau_file()), "roster.xlsx")},
    )
    assert resp.status_code == 200 and resp.get_json()["dry_run"] is True
    assert people_count(db) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == entries


def test_csv_upload_with_kind(client, hr, db):
    factories.unit(db.session, code="U1")
    db.session.commit()
    data = "工号,姓名,人员类别,单位代码\n9,钱七,辅警,U1\n".encode("gb18030")
    resp = upload(client, hr, data, name="人员.csv", kind="people")
    assert resp.status_code == 200, resp.get_json()
    assert (
        db.session.scalar(sa.select(Person.personnel_type).where(Person.staff_no == "9"))
        == "auxiliary"
    )
    bad_kind = upload(client, hr, data, name="人员.csv", kind="robots")
    assert bad_kind.status_code == 422 and "kind" in bad_kind.get_json()["errors"]


@pytest.mark.parametrize(
    "payload, name", [(b"%PDF-1.4 \x00\x01", "scan.pdf"), (b"PK\x03\x04junk", "r.xlsx")]
)
def test_non_spreadsheet_is_422_not_500(client, hr, payload, name):
    resp = upload(client, hr, payload, name=name)
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["row"] is None


def test_missing_file_is_422(client, hr):
    resp = client.post(URL, headers=hr, content_type="multipart/form-data", data={"kind": "people"})
    assert resp.status_code == 422 and "file" in resp.get_json()["errors"]


def test_too_large_upload_is_413(app, client, hr):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        resp = upload(client, hr, b"x" * 4096, name="big.csv", kind="people")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    assert resp.status_code == 413


def test_session_upload_needs_csrf(client, make_user, login):
    make_user("hr2", ["hr"])
    login("hr2")
    assert upload(client, {}, bureau_file()).status_code == 400
    token = csrf_from(client.get("/org/roster").get_data(as_text=True))
    assert upload(client, {"X-CSRFToken": token}, bureau_file()).status_code == 200


def test_export_is_an_audited_xlsx_attachment(client, hr, db):
    upload(client, hr, bureau_file())
    resp = client.get("/api/v1/exports/roster.xlsx", headers=hr)
    assert resp.status_code == 200
    assert resp.mimetype == XLSX
    assert "attachment" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["units", "people", "posts", "assignments"]
    assert wb["people"].max_row == 4
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.object_type, entry.actor_name) == ("export", "roster", "hr")
    again = upload(client, hr, resp.data, name="export.xlsx").get_json()
    assert (again["created"], again["updated"]) == (0, 0)


def test_openapi_documents_roster_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert (
        "multipart/form-data"
        in spec["paths"]["/api/v1/imports/roster"]["post"]["requestBody"]["content"]
    )
    assert (
        XLSX in spec["paths"]["/api/v1/exports/roster.xlsx"]["get"]["responses"]["200"]["content"]
    )
