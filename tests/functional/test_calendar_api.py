"""The calendar API: GET /calendar/days?year=, PUT /calendar/days/{date} (SPEC §10)."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.calendar import services
from supervision.calendar.models import CalendarDay
from tests.conftest import csrf_from


@pytest.fixture
def admin(make_user, token_for):
    return token_for(make_user("admin", ["admin"]))


@pytest.fixture
def staff(make_user, token_for):
    return token_for(make_user("hr1", ["hr"]))


@pytest.fixture
def synced(db):
    services.sync(db.session, years=[2025])
    db.session.commit()


def test_anonymous_is_401(client):
    assert client.get("/api/v1/calendar/days?year=2025").status_code == 401
    assert (
        client.put("/api/v1/calendar/days/2025-10-01", json={"is_workday": True}).status_code == 401
    )


def test_any_user_reads_every_day_of_a_synced_year(client, staff, synced):
    resp = client.get("/api/v1/calendar/days?year=2025&page_size=400", headers=staff)
    assert resp.status_code == 200
    assert resp.headers["X-Calendar-Fallback"] == "false"
    days = resp.get_json()
    assert len(days) == 365 and days[0]["date"] == "2025-01-01" and days[-1]["date"] == "2025-12-31"
    by_date = {d["date"]: d for d in days}
    assert by_date["2025-09-28"] == {
        "date": "2025-09-28",
        "is_workday": True,
        "note": by_date["2025-09-28"]["note"],
        "source": "library",
    }
    assert "国庆" in by_date["2025-09-28"]["note"]
    assert (
        by_date["2025-10-01"]["is_workday"] is False and by_date["2025-10-01"]["note"] == "国庆节"
    )


def test_uncovered_year_is_flagged_fallback(client, staff):
    resp = client.get("/api/v1/calendar/days?year=2032&page_size=1000", headers=staff)
    assert resp.status_code == 200
    assert resp.headers["X-Calendar-Fallback"] == "true"
    days = resp.get_json()
    assert len(days) == 366  # 2032 is a leap year
    assert {d["source"] for d in days} == {"fallback"}
    # Monday–Friday minus the statutory holidays computed ahead (2032-01-01 is a Thursday).
    by_date = {d["date"]: d for d in days}
    assert (by_date["2032-01-01"]["is_workday"], by_date["2032-01-01"]["note"]) == (False, "元旦")
    assert by_date["2032-10-01"]["note"] == "国庆节" and not by_date["2032-10-01"]["is_workday"]
    weekday_holidays = [
        d for d in days if d["note"] and date.fromisoformat(d["date"]).weekday() < 5
    ]
    assert sum(d["is_workday"] for d in days) == sum(
        date.fromisoformat(d["date"]).weekday() < 5 for d in days
    ) - len(weekday_holidays)


def test_days_are_paginated_like_every_list(client, staff, synced):
    resp = client.get("/api/v1/calendar/days?year=2025", headers=staff)
    assert resp.status_code == 200 and len(resp.get_json()) == 50
    assert json.loads(resp.headers["X-Pagination"]) == {
        "total": 365,
        "total_pages": 8,
        "first_page": 1,
        "last_page": 8,
        "page": 1,
        "next_page": 2,
    }
    last = client.get("/api/v1/calendar/days?year=2025&page=8", headers=staff)
    assert [d["date"] for d in last.get_json()][-1] == "2025-12-31" and len(last.get_json()) == 15
    assert last.headers["X-Calendar-Fallback"] == "false"


@pytest.mark.parametrize(
    "query", ["", "?year=", "?year=abc", "?year=1899", "?year=2201", "?year=20x5"]
)
def test_bad_year_is_422_json(client, staff, query):
    resp = client.get(f"/api/v1/calendar/days{query}", headers=staff)
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == 422 and body["errors"]


def test_non_admin_cannot_edit(client, staff, synced, db):
    resp = client.put(
        "/api/v1/calendar/days/2025-10-01", headers=staff, json={"is_workday": True, "note": "x"}
    )
    assert resp.status_code == 403
    assert db.session.get(CalendarDay, date(2025, 10, 1)).source == "library"


def test_admin_edit_is_saved_audited_and_survives_sync(client, admin, synced, db):
    resp = client.put(
        "/api/v1/calendar/days/2025-10-01",
        headers=admin,
        json={"is_workday": True, "note": "节日值班"},
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {
        "date": "2025-10-01",
        "is_workday": True,
        "note": "节日值班",
        "source": "admin",
    }
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "calendar_day", AuditEntry.object_id == "2025-10-01"
        )
    ).one()
    assert entry.action == "update" and entry.actor_name == "admin"
    assert json.loads(entry.changes)["is_workday"] == [False, True]
    services.sync(db.session, years=[2025])
    db.session.commit()
    listed = client.get("/api/v1/calendar/days?year=2025&page_size=400", headers=admin).get_json()
    assert next(d for d in listed if d["date"] == "2025-10-01")["source"] == "admin"


def test_admin_can_edit_an_uncovered_year(client, admin):
    resp = client.put("/api/v1/calendar/days/2030-10-01", headers=admin, json={"is_workday": False})
    assert resp.status_code == 200 and resp.get_json()["note"] == ""
    listed = client.get("/api/v1/calendar/days?year=2030&page_size=400", headers=admin)
    assert listed.headers["X-Calendar-Fallback"] == "true"
    day = next(d for d in listed.get_json() if d["date"] == "2030-10-01")
    assert (day["is_workday"], day["source"]) == (False, "admin")


@pytest.mark.parametrize("path", ["2025-13-01", "2025-02-30", "yesterday", "2201-01-01"])
def test_bad_date_in_path_is_422_with_a_message(client, admin, path, db):
    resp = client.put(f"/api/v1/calendar/days/{path}", headers=admin, json={"is_workday": True})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["message"] and "date" in body["errors"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarDay)) == 0


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"is_workday": "yes"},
        {"is_workday": True, "note": "x" * 201},
        {"is_workday": True, "colour": "red"},
    ],
)
def test_bad_body_is_422(client, admin, payload):
    resp = client.put("/api/v1/calendar/days/2025-10-01", headers=admin, json=payload)
    assert resp.status_code == 422
    assert resp.get_json()["errors"]


def test_cookie_session_write_needs_csrf_header(client, make_user, login):
    make_user("root", ["admin"])
    login("root")
    body = {"is_workday": False, "note": "临时调整"}
    assert client.put("/api/v1/calendar/days/2025-06-03", json=body).status_code == 400
    token = csrf_from(client.get("/").get_data(as_text=True))
    resp = client.put("/api/v1/calendar/days/2025-06-03", json=body, headers={"X-CSRFToken": token})
    assert resp.status_code == 200 and resp.get_json()["source"] == "admin"


def test_openapi_documents_the_calendar_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/calendar/days" in spec["paths"]
    assert "put" in spec["paths"]["/api/v1/calendar/days/{day}"]
