"""Calendar services on a real database: sync, admin edits, fallback years, lookups."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from supervision.audit.models import AuditEntry
from supervision.calendar import services
from supervision.calendar.models import CalendarDay
from supervision.common.errors import Invalid


def _row(s, day):
    return s.get(CalendarDay, day)


def _audit(s, action):
    return s.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


def test_sync_writes_every_day_with_holiday_names_and_is_idempotent(db):
    s = db.session
    first = services.sync(s, years=[2025, 2026])
    s.commit()
    assert first.inserted == 365 + 365 and first.updated == 0
    assert s.scalar(sa.select(sa.func.count()).select_from(CalendarDay)) == 730
    sunday = _row(s, date(2025, 9, 28))
    assert sunday.is_workday and sunday.source == "library" and "国庆" in sunday.note
    national = _row(s, date(2026, 10, 1))
    assert not national.is_workday and national.note == "国庆节"
    assert _row(s, date(2026, 1, 4)).is_workday
    assert _row(s, date(2025, 3, 5)).note == ""

    again = services.sync(s, years=[2025, 2026])
    s.commit()
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 730)
    assert s.scalar(sa.select(sa.func.count()).select_from(CalendarDay)) == 730
    assert len(_audit(s, "sync")) == 1  # a no-op sync writes no audit entry


def test_sync_repairs_drifted_library_rows(db):
    s = db.session
    services.sync(s, years=[2025])
    row = _row(s, date(2025, 10, 1))
    row.is_workday, row.note = True, "corrupted"
    s.commit()
    result = services.sync(s, years=[2025])
    s.commit()
    assert result.updated == 1
    assert not _row(s, date(2025, 10, 1)).is_workday and _row(s, date(2025, 10, 1)).note == "国庆节"


def test_admin_rows_survive_sync(db):
    s = db.session
    services.sync(s, years=[2025])
    services.set_day(s, date(2025, 10, 1), True, "值班")
    services.set_day(s, date(2025, 6, 3), False, "防汛")
    s.commit()
    result = services.sync(s, years=[2025])
    s.commit()
    assert result.kept_admin == 2 and result.changed == 0
    oct1 = _row(s, date(2025, 10, 1))
    assert (oct1.is_workday, oct1.note, oct1.source) == (True, "值班", "admin")
    assert _row(s, date(2025, 6, 3)).is_workday is False


def test_sync_refuses_years_outside_the_library_without_writing(db):
    s = db.session
    with pytest.raises(Invalid, match="2030"):
        services.sync(s, years=[2025, 2030])
    assert s.scalar(sa.select(sa.func.count()).select_from(CalendarDay)) == 0
    assert services.library_years()[0] == 2004 and 2026 in services.library_years()


def test_set_day_is_audited_with_before_and_after(db):
    s = db.session
    services.sync(s, years=[2025])
    s.commit()
    info = services.set_day(s, date(2025, 10, 1), True, "  值班  ")
    s.commit()
    assert (info.is_workday, info.note, info.source) == (True, "值班", "admin")
    entry = _audit(s, "update")[-1]
    assert entry.object_type == "calendar_day" and entry.object_id == "2025-10-01"
    changes = json.loads(entry.changes)
    assert changes["is_workday"] == [False, True]
    assert changes["note"] == ["国庆节", "值班"]
    assert changes["source"] == ["library", "admin"]


def test_set_day_validates_without_writing(db):
    s = db.session
    with pytest.raises(Invalid) as err:
        services.set_day(s, date(2025, 1, 2), False, "x" * 201)
    assert "note" in err.value.errors
    with pytest.raises(Invalid):
        services.set_day(s, date(2201, 1, 1), False, "")
    s.rollback()
    assert s.scalar(sa.select(sa.func.count()).select_from(CalendarDay)) == 0


def test_reset_day_restores_library_or_fallback(db):
    s = db.session
    services.sync(s, years=[2026])
    services.set_day(s, date(2026, 10, 2), True, "加班")
    services.set_day(s, date(2030, 10, 1), False, "国庆节")
    s.commit()
    back = services.reset_day(s, date(2026, 10, 2))
    gone = services.reset_day(s, date(2030, 10, 1))
    s.commit()
    assert (back.is_workday, back.source) == (False, "library")
    assert (
        _row(s, date(2026, 10, 2)).source == "library" and not _row(s, date(2026, 10, 2)).is_workday
    )
    # A year the library does not cover goes back to the fallback: 国庆 is computed ahead.
    assert (gone.is_workday, gone.note, gone.source) == (False, "国庆节", "fallback")
    assert _row(s, date(2030, 10, 1)).source == "fallback"
    assert len(_audit(s, "reset")) == 2


def test_list_year_gives_every_day_and_flags_fallback(db):
    s = db.session
    services.sync(s, years=[2024])
    services.set_day(s, date(2030, 10, 1), False, "国庆节")
    s.commit()
    leap = services.list_year(s, 2024)
    assert len(leap.days) == 366 and not leap.uncovered and leap.in_library
    assert {d.source for d in leap.days} == {"library"}
    future = services.list_year(s, 2030)
    assert len(future.days) == 365 and future.uncovered and not future.in_library
    by_date = {d.date: d for d in future.days}
    assert (
        by_date[date(2030, 10, 1)].source == "admin" and not by_date[date(2030, 10, 1)].is_workday
    )
    assert by_date[date(2030, 10, 2)].source == "fallback"
    assert (by_date[date(2030, 10, 2)].is_workday, by_date[date(2030, 10, 2)].note) == (
        False,
        "国庆节",
    )  # a statutory holiday computed ahead
    assert by_date[date(2030, 10, 4)].source == "fallback" and by_date[date(2030, 10, 4)].is_workday
    assert not by_date[date(2030, 10, 5)].is_workday  # Saturday
    assert services.is_year_uncovered(s, 2030) and not services.is_year_uncovered(s, 2024)
    assert services.is_year_uncovered(s, 2025)  # in the library but not synced yet
    assert services.covered_years(s) == [2024]
    with pytest.raises(Invalid):
        services.list_year(s, 1899)


def test_load_calendar_is_one_query_and_matches_the_spec_examples(db, count_statements):
    s = db.session
    services.sync(s, years=[2025, 2026])
    s.commit()
    with count_statements() as statements:
        cal = services.load_calendar(s, date(2025, 9, 1), date(2025, 12, 31))
    assert len([q for q in statements if "calendar_days" in q]) == 1
    assert cal.covered_years == frozenset({2025, 2026})
    assert cal.working_days_before(date(2025, 9, 30), 5) == date(2025, 9, 24)
    shift = cal.shift(date(2025, 12, 31), 10)
    assert shift.on == date(2026, 1, 15) and not shift.used_fallback
    late = services.load_calendar(s, date(2026, 12, 1), date(2026, 12, 31))
    assert late.shift(date(2026, 12, 31), 1).uncovered_years == frozenset({2027})


def test_cli_sync_commits_and_reports_counts(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar", "sync", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "365 days inserted" in result.output and "2026" in result.output
    db.session.remove()
    assert services.covered_years(db.session) == [2026]
    again = runner.invoke(args=["calendar", "sync", "--year", "2026"])
    assert "0 days inserted" in again.output and "365 unchanged" in again.output
    refused = runner.invoke(args=["calendar", "sync", "--year", "2031"])
    assert refused.exit_code == 1 and "2031" in refused.output
