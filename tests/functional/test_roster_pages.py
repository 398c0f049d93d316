"""Roster page /org/roster: upload with CSRF, summary, error table, export and template."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from supervision.org.models import OrgUnit, Person
from tests.conftest import csrf_from
from tests.integration.test_roster import bureau_file, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def hr_client(client, make_user, login):
    make_user("hr", ["hr"])
    return login("hr")


def post_file(c, data, name="roster.xlsx", **form):
    token = csrf_from(c.get("/org/roster").get_data(as_text=True))
    return c.post(
        "/org/roster",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(data), name), **form},
    )


def test_page_needs_login_and_role(client, make_user, login):
    resp = client.get("/org/roster")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    make_user("leader", ["leader"])
    login("leader")
    assert client.get("/org/roster").status_code == 403
    assert client.get("/org/roster/export.xlsx").status_code == 403


def test_page_shows_form_and_links(hr_client):
    html = hr_client.get("/org/roster").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'href="/org/roster/export.xlsx"' in html and 'href="/org/roster/template.xlsx"' in html
    assert "<script>" not in html and 'style="' not in html


def test_upload_imports_and_shows_summary(hr_client, db):
    resp = post_file(hr_client, bureau_file())
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="roster-summary"' in html and 'id="roster-errors"' not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 3
    assert db.session.scalar(sa.select(OrgUnit.name).where(OrgUnit.code == "D01")) == "法制大队"


def test_errors_are_listed_in_a_table_and_nothing_is_written(hr_client, db):
    data = workbook(
        units=[["code", "name", "kind"], ["OK", "好单位", "team"], ["BAD", "坏单位", "planet"]]
    )
    resp = post_file(hr_client, data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="roster-errors"' in html
    assert "<td>units</td><td>3</td><td>kind</td>" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit)) == 0


def test_validate_only_writes_nothing(hr_client, db):
    resp = post_file(hr_client, bureau_file(), dry_run="y")
    assert resp.status_code == 200 and 'id="roster-summary"' in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_csv_upload_through_the_page(hr_client, db):
    post_file(hr_client, workbook(units=[["code", "name", "kind"], ["U1", "一所", "station"]]))
    data = "\ufeff工号,姓名,人员类别,单位代码\n5,孙五,民警,U1\n".encode()
    resp = post_file(hr_client, data, name="people.csv", kind="people")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    assert db.session.scalar(sa.select(Person.name).where(Person.staff_no == "5")) == "孙五"


def test_missing_file_is_an_inline_error(hr_client):
    token = csrf_from(hr_client.get("/org/roster").get_data(as_text=True))
    resp = hr_client.post("/org/roster", data={"csrf_token": token, "kind": "people"})
    assert resp.status_code == 200
    assert "is-invalid" in resp.get_data(as_text=True)


def test_post_without_csrf_is_refused(hr_client, db):
    resp = hr_client.post(
        "/org/roster",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(bureau_file()), "roster.xlsx")},
    )
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_export_and_template_downloads(hr_client):
    post_file(hr_client, bureau_file())
    resp = hr_client.get("/org/roster/export.xlsx?layout=api")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    assert load_workbook(io.BytesIO(resp.data))["units"].max_row == 4
    office = load_workbook(io.BytesIO(hr_client.get("/org/roster/export.xlsx").data))
    assert office["组织机构"].max_row == 2 + 3  # title, header, three units
    template = hr_client.get("/org/roster/template.xlsx?layout=api")
    assert template.status_code == 200 and template.mimetype == XLSX
    wb = load_workbook(io.BytesIO(template.data))
    assert all(wb[name].max_row == 1 for name in wb.sheetnames)
