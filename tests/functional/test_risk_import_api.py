"""Risk inventory import over HTTP: POST /api/v1/imports/risk-inventory and the
/risks/import page."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from supervision.audit.models import AuditEntry
from supervision.risks.models import RiskPoint
from tests.conftest import csrf_from
from tests.integration.test_risk_import import HEADER, build_org, inventory, workbook

URL = "/api/v1/imports/risk-inventory"
PAGE = "/risks/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, headers, data, name="清单.xlsx", url=URL, **form):
    return client.post(
        url,
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), name), **form},
    )


def count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RiskPoint))


@pytest.fixture
def org(db):
    return build_org(db.session)


@pytest.fixture
def member(make_user, token_for, org):
    return token_for(make_user("member", ["discipline_member"]))


def test_anonymous_is_401_and_other_roles_403(client, make_user, token_for, db, org):
    assert upload(client, {}, inventory()).status_code == 401
    for roles in (["hr"], ["admin"], ["staff"]):
        headers = token_for(make_user("u-" + roles[0], roles))
        assert upload(client, headers, inventory()).status_code == 403
    assert count(db) == 0


def test_import_then_reimport(client, member, db):
    resp = upload(client, member, inventory())
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["created"], body["updated"], body["unchanged"], body["dry_run"]) == (
        3,
        0,
        0,
        False,
    )
    assert body["items"][0]["row"] == 3 and body["items"][0]["risk_point_id"] is not None
    assert body["derived_pairs"]["high"] == [3, 5]
    assert count(db) == 3
    actors = set(
        db.session.scalars(
            sa.select(AuditEntry.actor_name).where(AuditEntry.object_type == "risk_point")
        )
    )
    assert actors == {"member"}
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    again = upload(client, member, inventory()).get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == entries


def test_errors_are_422_with_cells_and_nothing_is_written(client, member, db):
    data = workbook(
        [
            ["标题"],
            HEADER,
            [1, "S1", None, "岗位职责", "好", None, "一级", None, None, None],
            [2, "NOPE", None, "岗位职责", "坏", None, "一级", None, None, None],
        ]
    )
    resp = upload(client, member, data)
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == 422 and body["message"]
    assert [(e["sheet"], e["row"], e["column"]) for e in body["errors"]] == [
        ("排查清单", 4, "单位")
    ]
    assert count(db) == 0


def test_dry_run_in_form_or_query_writes_nothing(client, member, db):
    resp = upload(client, member, inventory(), dry_run="true")
    assert resp.status_code == 200 and resp.get_json()["dry_run"] is True
    resp = upload(client, member, inventory(), url=URL + "?dry_run=1")
    assert resp.status_code == 200 and resp.get_json()["created"] == 3
    assert count(db) == 0


def test_missing_file_and_unknown_fields_are_422(client, member, db):
    resp = client.post(
        URL, headers=member, content_type="multipart/form-data", data={"dry_run": "1"}
    )
    assert resp.status_code == 422 and "file" in resp.get_json()["errors"]
    resp = upload(client, member, inventory(), color="red")
    assert resp.status_code == 422
    assert count(db) == 0


def test_leader_rows_outside_scope_are_row_errors(client, make_user, token_for, db, org):
    headers = token_for(make_user("leader", ["leader"], person=org["head"]))
    data = workbook(
        [
            HEADER,
            [1, "S1", None, "岗位职责", "本单位", None, "二级", None, None, None],
            [2, "T1", None, "岗位职责", "别的单位", None, "二级", None, None, None],
        ]
    )
    resp = upload(client, headers, data)
    assert resp.status_code == 422
    assert [(e["row"], e["column"]) for e in resp.get_json()["errors"]] == [(3, "单位")]
    resp = upload(
        client,
        headers,
        workbook([HEADER, [1, "S1", None, "岗位职责", "本单位", None, "二级", None, None, None]]),
    )
    assert resp.status_code == 200 and count(db) == 1


def test_cookie_session_needs_csrf(client, make_user, login, db, org):
    make_user("member", ["discipline_member"])
    login("member")
    assert upload(client, {}, inventory()).status_code == 400
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert upload(client, {"X-CSRFToken": token}, inventory()).status_code == 200


# ---------------------------------------------------------------- the page


@pytest.fixture
def member_client(client, make_user, login, org):
    make_user("member", ["discipline_member"])
    return login("member")


def post_page(c, data, name="清单.xlsx", **form):
    token = csrf_from(c.get(PAGE).get_data(as_text=True))
    return c.post(
        PAGE,
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(data), name), **form},
    )


def test_page_needs_login_and_role(client, make_user, login, db):
    resp = client.get(PAGE)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    make_user("hr", ["hr"])
    login("hr")
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE + "/template.xlsx").status_code == 403


def test_page_form_template_and_columns(member_client):
    html = member_client.get(PAGE).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'href="/risks/import/template.xlsx"' in html
    assert "<script>" not in html and 'style="' not in html
    assert "风险等级" in html and "3 × 5" in html
    resp = member_client.get(PAGE + "/template.xlsx")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    wb = load_workbook(io.BytesIO(resp.data))
    sheet = wb.worksheets[0]
    assert sheet["A1"].value.endswith("廉政风险点排查清单") and sheet.freeze_panes == "A3"
    assert sheet.print_title_rows == "$1:$2" and sheet.page_setup.orientation == "landscape"
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))] == HEADER + [
        "可能性",
        "影响程度",
    ]
    assert wb.worksheets[1].max_row == 13


def test_page_upload_shows_summary_and_template_round_trips(member_client, db):
    empty = member_client.get(PAGE + "/template.xlsx").data
    resp = post_page(member_client, empty)
    assert resp.status_code == 200 and 'id="risk-import-summary"' in resp.get_data(as_text=True)
    resp = post_page(member_client, inventory(), dry_run="y")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="risk-import-rows"' in html and "违规办理户口" in html
    assert count(db) == 0
    resp = post_page(member_client, inventory())
    assert resp.status_code == 200 and count(db) == 3


def test_page_lists_errors_and_keeps_nothing(member_client, db):
    data = workbook([HEADER, [1, "NOPE", None, "岗位职责", "坏", None, "一级", None, None, None]])
    resp = post_page(member_client, data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="risk-import-errors"' in html and "NOPE" in html
    assert count(db) == 0
    resp = member_client.post(
        PAGE, data={"csrf_token": csrf_from(member_client.get(PAGE).get_data(as_text=True))}
    )
    assert resp.status_code == 200 and "is-invalid" in resp.get_data(as_text=True)


def test_leader_page_scope(client, make_user, login, db, org):
    make_user("leader", ["leader"], person=org["head"])
    login("leader")
    data = workbook(
        [HEADER, [1, "交警大队", None, "岗位职责", "x", None, "一级", None, None, None]]
    )
    assert post_page(client, data).status_code == 422
    assert count(db) == 0
