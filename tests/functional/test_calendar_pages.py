"""The calendar admin page: access, the year grid, warnings, sync and per-day edits."""

import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.calendar import services
from supervision.calendar.models import CalendarDay
from tests.conftest import csrf_from


@pytest.fixture
def admin_client(client, make_user, login):
    make_user("root", ["admin"])
    return login("root")


def _cell(html: str, day: str) -> str:
    m = re.search(rf'<td class="([^"]*)"\s+data-date="{day}" data-kind="(\w+)"', html)
    assert m, f"no cell for {day}"
    return m.group(1) + " " + m.group(2)


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/admin/calendar")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_non_admin_is_403(client, make_user, login):
    make_user("hr1", ["hr"])
    login("hr1")
    assert client.get("/admin/calendar?year=2025").status_code == 403
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/admin/calendar/sync", data={"csrf_token": token}).status_code == 403


def test_synced_year_renders_in_chinese_with_distinct_days(admin_client, db):
    services.sync(db.session, years=[2025])
    db.session.commit()
    resp = admin_client.get("/admin/calendar?year=2025")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "工作日历" in html and "调休上班" in html and "国庆节" in html
    assert "data-calendar-warning" not in html
    assert html.count('data-date="2025-') == 365
    assert "adjusted" in _cell(html, "2025-09-28")
    assert "holiday" in _cell(html, "2025-10-01")
    assert (
        "weekend" in _cell(html, "2025-09-27")
        or "holiday" in _cell(html, "2025-09-27")
        or "work" in _cell(html, "2025-09-27")
    )
    assert _cell(html, "2025-06-07").endswith("weekend")  # an ordinary Saturday
    assert _cell(html, "2025-06-09").endswith(" work")  # an ordinary Monday


def test_uncovered_year_shows_the_fallback_warning(admin_client):
    html = admin_client.get("/admin/calendar?year=2030").get_data(as_text=True)
    assert "data-calendar-warning" in html and "2030" in html
    # The fallback: 国庆 is computed ahead, a plain Friday is a working day.
    assert "cal-fallback" in _cell(html, "2030-10-01") and _cell(html, "2030-10-01").endswith(
        " holiday"
    )
    assert _cell(html, "2030-10-04").endswith(" work")
    assert "/admin/calendar/notice?year=2030" in html  # the import of the notice
    not_synced = admin_client.get("/admin/calendar?year=2025").get_data(as_text=True)
    assert "data-calendar-warning" in not_synced and "同步" in not_synced


def test_bad_year_falls_back_to_the_current_year_with_a_message(admin_client):
    resp = admin_client.get("/admin/calendar?year=abc")
    assert resp.status_code == 200
    assert "1900" in resp.get_data(as_text=True)
    assert admin_client.get("/admin/calendar?day=2025-02-30").status_code == 404


def test_sync_button_needs_csrf_and_fills_the_library_years(admin_client, db):
    assert admin_client.post("/admin/calendar/sync?year=2025").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarDay)) == 0
    token = csrf_from(admin_client.get("/admin/calendar?year=2025").get_data(as_text=True))
    resp = admin_client.post("/admin/calendar/sync?year=2025", data={"csrf_token": token})
    assert resp.status_code == 302 and "year=2025" in resp.headers["Location"]
    years = services.library_years()
    assert services.covered_years(db.session) == years
    assert (
        db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "sync")) == "sync"
    )


def test_edit_form_saves_an_audited_admin_day_and_reset_restores_it(admin_client, db):
    services.sync(db.session, years=[2026])
    db.session.commit()
    page = admin_client.get("/admin/calendar?day=2026-10-02").get_data(as_text=True)
    assert 'id="edit-day"' in page and "国庆节" in page
    form = {"csrf_token": csrf_from(page), "is_workday": "1", "note": "全员值班"}
    assert (
        admin_client.post(
            "/admin/calendar/days/2026-10-02", data={**form, "csrf_token": "bad"}
        ).status_code
        == 400
    )
    assert db.session.get(CalendarDay, date(2026, 10, 2)).source == "library"

    resp = admin_client.post("/admin/calendar/days/2026-10-02", data=form)
    assert resp.status_code == 302
    db.session.expire_all()
    row = db.session.get(CalendarDay, date(2026, 10, 2))
    assert (row.is_workday, row.note, row.source) == (True, "全员值班", "admin")
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_id == "2026-10-02")
    ).one()
    assert entry.actor_name == "root" and json.loads(entry.changes)["is_workday"] == [False, True]

    page = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "cal-admin" in _cell(page, "2026-10-02") and "全员值班" in page
    reset = admin_client.post(
        "/admin/calendar/days/2026-10-02/reset", data={"csrf_token": csrf_from(page)}
    )
    assert reset.status_code == 302
    db.session.expire_all()
    row = db.session.get(CalendarDay, date(2026, 10, 2))
    assert (row.is_workday, row.source) == (False, "library")


def test_edit_form_errors_keep_input_and_write_nothing(admin_client, db):
    page = admin_client.get("/admin/calendar?day=2030-05-06").get_data(as_text=True)
    resp = admin_client.post(
        "/admin/calendar/days/2030-05-06",
        data={"csrf_token": csrf_from(page), "is_workday": "maybe", "note": "x" * 201},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "is-invalid" in html and "x" * 201 in html
    assert db.session.get(CalendarDay, date(2030, 5, 6)) is None
    assert (
        admin_client.post(
            "/admin/calendar/days/not-a-date",
            data={"csrf_token": csrf_from(page), "is_workday": "0"},
        ).status_code
        == 404
    )
