"""Working-day arithmetic over the official Chinese calendar and the Monday–Friday fallback."""

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supervision.common.workdays import WorkCalendar, weekday_fallback

LIBRARY_YEARS = range(2004, 2027)


def _library_calendar(years=LIBRARY_YEARS) -> WorkCalendar:
    """A WorkCalendar from the real chinese-calendar data (as `calendar sync` stores it)."""
    days = {}
    for year in years:
        d = date(year, 1, 1)
        while d.year == year:
            days[d] = chinese_calendar.is_workday(d)
            d += timedelta(days=1)
    return WorkCalendar(days, years)


CAL = _library_calendar()


def test_adjusted_working_sundays_and_national_day_2026():
    assert CAL.is_workday(date(2025, 9, 28))  # Sunday, adjusted working day
    assert CAL.is_workday(date(2026, 1, 4))  # Sunday, adjusted working day
    assert date(2025, 9, 28).weekday() == 6 and date(2026, 1, 4).weekday() == 6
    for day in range(1, 8):
        assert not CAL.is_workday(date(2026, 10, day)), f"2026-10-0{day} is a holiday"
    assert not CAL.is_workday(date(2025, 10, 1))
    assert CAL.is_workday(date(2025, 9, 30))


def test_spec_section_8_examples():
    assert CAL.working_days_before(date(2025, 9, 30), 5) == date(2025, 9, 24)
    assert CAL.working_days_after(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert CAL.working_days_after(date(2025, 12, 31), 10) == date(2026, 1, 15)
    assert CAL.add_working_days(date(2025, 9, 30), -5) == date(2025, 9, 24)


def test_counting_is_strictly_before_and_after_the_date():
    monday = date(2025, 6, 9)
    assert CAL.add_working_days(monday, 1) == date(2025, 6, 10)
    assert CAL.add_working_days(monday, -1) == date(2025, 6, 6)  # the Friday before
    assert CAL.add_working_days(monday, 0) == monday


def test_holiday_week_is_skipped():
    # 2025-10-01..08 are holidays; 2025-10-11 (Saturday) is an adjusted working day.
    assert CAL.working_days_after(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert CAL.working_days_after(date(2025, 9, 30), 3) == date(2025, 10, 11)


def test_covered_computation_reports_no_fallback():
    shift = CAL.shift(date(2025, 12, 31), 10)
    assert shift.on == date(2026, 1, 15)
    assert not shift.used_fallback and shift.uncovered_years == frozenset()


def test_uncovered_years_fall_back_to_monday_friday_and_are_reported():
    assert CAL.is_workday(date(2030, 10, 1))  # a Tuesday: no data, so a working day
    assert not CAL.is_workday(date(2030, 10, 5))  # a Saturday
    shift = CAL.shift(date(2026, 12, 30), 5)
    assert shift.on == date(2027, 1, 6)  # 31 Dec (Thu), then 1, 4, 5, 6 Jan 2027 under the fallback
    assert shift.uncovered_years == frozenset({2027})
    assert CAL.uncovered_years(date(2025, 1, 1), date(2028, 1, 1)) == frozenset({2027, 2028})
    assert not CAL.is_covered(date(2030, 1, 1)) and CAL.is_covered(date(2026, 1, 1))


def test_admin_override_in_uncovered_year_is_honoured():
    cal = WorkCalendar({date(2030, 10, 1): False}, covered_years=())
    assert not cal.is_workday(date(2030, 10, 1))
    assert cal.add_working_days(date(2030, 9, 30), 1) == date(2030, 10, 2)


@pytest.mark.parametrize("year", [1900, 1999, 2003, 2027, 2030, 2100, 2200])
def test_fallback_years_never_crash(year):
    cal = WorkCalendar.fallback()
    start = date(year, 6, 15)
    after = cal.add_working_days(start, 10)
    before = cal.add_working_days(start, -10)
    assert weekday_fallback(after) and weekday_fallback(before)
    assert cal.count_workdays(start + timedelta(days=1), after) == 10
    assert CAL.shift(start, 3).uncovered_years == frozenset({year})


def test_edges_of_supported_dates_give_value_errors_not_crashes():
    with pytest.raises(ValueError, match="working day"):
        WorkCalendar.fallback().add_working_days(date(9999, 12, 30), 5)
    with pytest.raises(ValueError):
        CAL.working_days_after(date(2025, 1, 1), 0)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 1, 1), 1.5)


def test_next_workday_and_count():
    assert CAL.next_workday(date(2025, 10, 1)) == date(2025, 10, 9)
    assert CAL.next_workday(date(2025, 10, 9)) == date(2025, 10, 9)
    # 2025-09-28 (adjusted Sunday) to 2025-10-11 (adjusted Saturday): 28, 29, 30 Sep, 9, 10, 11 Oct.
    assert CAL.count_workdays(date(2025, 9, 28), date(2025, 10, 11)) == 6
    assert CAL.count_workdays(date(2025, 10, 2), date(2025, 10, 1)) == 0


def test_library_year_has_about_250_working_days():
    for year in (2024, 2025, 2026):
        n = CAL.count_workdays(date(year, 1, 1), date(year, 12, 31))
        assert 245 <= n <= 252, (year, n)


dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


@settings(max_examples=200)
@given(dates, st.integers(min_value=-30, max_value=30).filter(bool))
def test_shift_lands_on_a_working_day_counting_exactly_n(day, n):
    got = CAL.add_working_days(day, n)
    assert CAL.is_workday(got)
    if n > 0:
        assert got > day
        assert CAL.count_workdays(day + timedelta(days=1), got) == n
    else:
        assert got < day
        assert CAL.count_workdays(got, day - timedelta(days=1)) == -n


@settings(max_examples=100)
@given(dates, st.integers(min_value=1, max_value=30))
def test_after_then_before_returns_to_the_day_or_the_last_working_day_before_it(day, n):
    back = CAL.working_days_before(CAL.working_days_after(day, n), n)
    assert back == (day if CAL.is_workday(day) else CAL.working_days_before(day, 1))
