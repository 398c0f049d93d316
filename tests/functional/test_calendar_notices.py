"""The State Council's notice import (SPEC §2, §10, §11) through the API, the page and the
command line, and the warnings while a watched year is on the fallback: start page,
`calendar sync`, /healthz."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.calendar import services
from supervision.calendar.models import CalendarDay
from supervision.common import clock
from tests.conftest import csrf_from

DATA = Path(__file__).resolve().parents[1] / "data"
NOTICE_2026 = (DATA / "holiday_notice_2026.txt").read_text(encoding="utf-8")
#: A notice for 2027 in the published form (the real one is not out yet).
NOTICE_2027 = (
    "国务院办公厅关于2027年部分节假日安排的通知\n"
    "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n"
    "二、春节：2月5日（农历除夕、周五）至12日（农历正月初七、周五）放假调休，共8天。"
    "2月20日（周六）上班。\n"
)


def _rows(db, year):
    stmt = sa.select(CalendarDay).where(
        CalendarDay.date.between(date(year, 1, 1), date(year, 12, 31))
    )
    return {r.date: r for r in db.session.scalars(stmt)}


@pytest.fixture
def admin(make_user, token_for):
    return token_for(make_user("admin", ["admin"]))


def _post(client, headers, **body):
    return client.post("/api/v1/calendar/notices", headers=headers, json=body)


# ------------------------------------------------------------------ the API


def test_preview_answers_the_notice_and_writes_nothing(client, admin, db):
    resp = _post(client, admin, year=2026, text=NOTICE_2026)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert set(body) == {"year", "holidays", "workdays", "changes"}
    assert body["year"] == 2026 and len(body["holidays"]) == 33
    assert body["workdays"] == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    changes = {c["date"]: c for c in body["changes"]}
    # Nothing stored yet, so every notice day differs from the fallback except those the
    # fallback computed the same (1 January: 元旦 both ways).
    assert changes["2026-01-04"] == {
        "date": "2026-01-04",
        "is_workday": True,
        "note": "元旦调休上班",
    }
    assert changes["2026-01-02"] == {"date": "2026-01-02", "is_workday": False, "note": "元旦"}
    assert "2026-01-01" not in changes
    assert _rows(db, 2026) == {}


def test_apply_writes_admin_days_that_a_sync_keeps(client, admin, db):
    resp = _post(client, admin, year=2026, text=NOTICE_2026, apply=True)
    assert resp.status_code == 200
    rows = _rows(db, 2026)
    assert len(rows) == 365  # the whole year is now known
    assert (rows[date(2026, 2, 14)].is_workday, rows[date(2026, 2, 14)].source) == (True, "admin")
    assert rows[date(2026, 2, 14)].note == "春节调休上班"
    assert rows[date(2026, 10, 7)].note == "国庆节" and not rows[date(2026, 10, 7)].is_workday
    assert (rows[date(2026, 3, 2)].is_workday, rows[date(2026, 3, 2)].source) == (True, "fallback")
    assert not services.is_year_uncovered(db.session, 2026)
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "calendar")
    ).all()
    assert (entry.action, entry.object_id) == ("import", "2026")
    assert json.loads(entry.changes)["notice_days"] == [None, 39]
    # The library's sync: the plain days become library rows, the notice's days stay admin.
    result = services.sync(db.session, years=[2026])
    db.session.commit()
    assert result.kept_admin == 39
    rows = _rows(db, 2026)
    assert rows[date(2026, 2, 14)].source == "admin" and rows[date(2026, 3, 2)].source == "library"


def test_an_imported_2027_notice_ends_the_fallback(client, admin, db):
    resp = _post(client, admin, year=2027, text=NOTICE_2027, apply=True)
    assert resp.status_code == 200
    changes = {c["date"] for c in resp.get_json()["changes"]}
    assert {"2027-01-02", "2027-02-09", "2027-02-12", "2027-02-20"} <= changes
    assert "2027-01-01" not in changes  # 元旦 by the fallback already
    # A holiday this (partial) text does not name keeps the fallback's day off.
    assert "2027-04-05" not in changes
    listed = client.get("/api/v1/calendar/days?year=2027&page_size=400", headers=admin)
    assert listed.headers["X-Calendar-Fallback"] == "false"
    by_date = {d["date"]: d for d in listed.get_json()}
    assert by_date["2027-02-20"] == {
        "date": "2027-02-20",
        "is_workday": True,
        "note": "春节调休上班",
        "source": "admin",
    }
    assert by_date["2027-04-05"] == {
        "date": "2027-04-05",
        "is_workday": False,
        "note": "清明节",
        "source": "fallback",
    }
    assert len(db.session.scalars(sa.select(CalendarDay.date)).all()) == 365


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"year": 2027, "text": "节假日期间要妥善安排值班。"}, "未从文本中识别出任何日期"),
        ({"year": 2026, "text": "元旦：2025年12月31日放假。"}, "不在2026年内"),
        ({"year": 2027, "text": NOTICE_2026}, "这是2026年的通知"),
        ({"year": 2027, "text": "一、元旦：1月1日（周四）放假。"}, "星期"),
        ({"year": 2027, "text": "一、某节：2月30日放假。"}, "不是有效日期"),
    ],
)
def test_a_text_without_days_of_the_year_is_422_in_chinese(client, admin, db, body, words):
    resp = _post(client, admin, apply=True, **body)
    assert resp.status_code == 422
    data = resp.get_json()
    assert words in data["message"] and data["errors"]["text"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarDay)) == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"year": 2027}, {"text": "x"}, {"year": "2027", "text": "x"}, {"year": 2027, "text": ""}],
)
def test_a_bad_body_is_422(client, admin, body):
    assert _post(client, admin, **body).status_code == 422


def test_only_admins_import(client, make_user, token_for):
    secretary = token_for(make_user("sec", ["discipline_secretary"]))
    assert _post(client, secretary, year=2026, text=NOTICE_2026).status_code == 403


# ------------------------------------------------------------------ the page


@pytest.fixture
def admin_client(client, make_user, login):
    make_user("root", ["admin"])
    return login("root")


def test_the_page_previews_then_applies_with_confirmation(admin_client, db):
    page = admin_client.get("/admin/calendar/notice?year=2026").get_data(as_text=True)
    assert 'name="text"' in page and 'value="2026"' in page
    token = csrf_from(page)
    preview = admin_client.post(
        "/admin/calendar/notice", data={"csrf_token": token, "year": "2026", "text": NOTICE_2026}
    )
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "data-notice-changes" in html
    assert 'data-date="2026-02-14"' in html and "data-confirm" in html
    assert _rows(db, 2026) == {}
    applied = admin_client.post(
        "/admin/calendar/notice/apply",
        data={"csrf_token": csrf_from(html), "year": "2026", "text": NOTICE_2026},
    )
    assert applied.status_code == 302 and "year=2026" in applied.headers["Location"]
    assert _rows(db, 2026)[date(2026, 2, 14)].source == "admin"


def test_the_page_shows_the_refusal_on_the_form(admin_client, db):
    token = csrf_from(admin_client.get("/admin/calendar/notice").get_data(as_text=True))
    resp = admin_client.post(
        "/admin/calendar/notice/apply",
        data={"csrf_token": token, "year": "2027", "text": NOTICE_2026},
    )
    assert resp.status_code == 422 and "这是2026年的通知" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarDay)) == 0


# ------------------------------------------------------------------ the command line


def test_import_notice_command_previews_then_applies(app, db, tmp_path):
    path = tmp_path / "2026.txt"
    path.write_text(NOTICE_2026, encoding="utf-8")
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["calendar", "import-notice", "2026", str(path)])
    assert shown.exit_code == 0, shown.output
    assert "2026-02-14  working day  春节调休上班" in shown.output
    assert "Nothing written" in shown.output and _rows(db, 2026) == {}
    done = runner.invoke(args=["calendar", "import-notice", "2026", str(path), "--apply"])
    assert done.exit_code == 0 and "Applied." in done.output
    db.session.expire_all()
    assert _rows(db, 2026)[date(2026, 2, 14)].source == "admin"
    wrong = runner.invoke(args=["calendar", "import-notice", "2027", str(path), "--apply"])
    assert wrong.exit_code == 1 and "这是2026年的通知" in wrong.output


def test_sync_says_which_watched_year_is_fallback(app, db):
    runner = app.test_cli_runner()
    with clock.frozen(datetime(2026, 11, 2, tzinfo=UTC)):
        result = runner.invoke(args=["calendar", "sync", "--year", "2026"])
    assert result.exit_code == 0
    assert "Fallback years (no official data): 2027." in result.output
    assert "WARNING: 2027 is not covered" in result.output
    with clock.frozen(datetime(2026, 10, 31, tzinfo=UTC)):
        quiet = runner.invoke(args=["calendar", "sync", "--year", "2026"])
    assert "WARNING" not in quiet.output


# ------------------------------------------------------------------ the warnings


def test_healthz_is_degraded_not_failing_while_the_year_is_fallback(client, db, admin):
    services.sync(db.session, years=[2026])
    db.session.commit()
    with clock.frozen(datetime(2026, 10, 31, tzinfo=UTC)):
        assert client.get("/healthz").get_json()["checks"]["calendar"] == "ok"
    with clock.frozen(datetime(2026, 11, 1, 1, tzinfo=UTC)):  # 1 November, Beijing time
        resp = client.get("/healthz")
        assert resp.status_code == 200
        assert resp.get_json() == {
            "status": "degraded",
            "checks": {"database": "ok", "calendar": "fallback"},
        }
        _post(client, admin, year=2027, text=NOTICE_2027, apply=True)
        assert client.get("/healthz").get_json()["status"] == "ok"


def test_the_start_page_warns_admins_and_the_secretary(client, app, db, make_user, login):
    services.sync(db.session, years=[2026])
    make_user("root", ["admin"])
    make_user("sec", ["discipline_secretary"])
    make_user("hr", ["hr"])
    db.session.commit()
    pages = {}
    with clock.frozen(datetime(2026, 11, 2, tzinfo=UTC)):
        for name in ("root", "sec", "hr"):
            browser = app.test_client()
            login(name, c=browser)
            pages[name] = browser.get("/").get_data(as_text=True)
    assert 'data-calendar-fallback="2027"' in pages["root"]
    assert "/admin/calendar/notice?year=2027" in pages["root"]
    assert 'data-calendar-fallback="2027"' in pages["sec"]
    assert "/admin/calendar/notice" not in pages["sec"]  # not theirs to import: no link
    assert "data-calendar-fallback" not in pages["hr"]
    with clock.frozen(datetime(2026, 6, 1, tzinfo=UTC)):
        browser = app.test_client()
        login("root", c=browser)
        assert "data-calendar-fallback" not in browser.get("/").get_data(as_text=True)
