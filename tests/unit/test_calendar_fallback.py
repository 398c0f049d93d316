"""The fallback of SPEC §2 for years no official data covers: Monday–Friday minus the
statutory holidays computed in advance by the rules of the year (lunar ones included)."""

from datetime import date, timedelta

import chinese_calendar
import pytest

from supervision.calendar.fallback import fallback_day, statutory_holidays


def _days(year):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


@pytest.mark.parametrize("year", range(2004, 2027))
def test_every_computed_holiday_is_an_official_day_off(year):
    """Against every year the library knows: the fallback never makes a working day off,
    and it is closer to the official calendar than plain Monday–Friday."""
    assert [d for d in statutory_holidays(year) if chinese_calendar.is_workday(d)] == []
    ours = sum(fallback_day(d)[0] != chinese_calendar.is_workday(d) for d in _days(year))
    plain = sum((d.weekday() < 5) != chinese_calendar.is_workday(d) for d in _days(year))
    assert ours < plain


def test_the_rules_since_2025_spring_festival_from_new_years_eve_and_two_labour_days():
    days = statutory_holidays(2025)
    assert [d for d, n in days.items() if n == "春节"] == [
        date(2025, 1, 28),  # 除夕
        date(2025, 1, 29),
        date(2025, 1, 30),
        date(2025, 1, 31),
    ]
    assert [d for d, n in days.items() if n == "劳动节"] == [date(2025, 5, 1), date(2025, 5, 2)]
    assert len(days) == 13
    # Before 2025: 初一..初三 and one labour day.
    assert [d for d, n in statutory_holidays(2024).items() if n == "春节"][0] == date(2024, 2, 10)
    assert len(statutory_holidays(2024)) == 11


def test_2027_is_known_ahead():
    days = statutory_holidays(2027)
    assert days[date(2027, 1, 1)] == "元旦"
    assert [d for d, n in days.items() if n == "春节"] == [
        date(2027, 2, 5),
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
    ]
    assert days[date(2027, 4, 5)] == "清明节"  # the solar term
    assert days[date(2027, 6, 9)] == "端午节" and days[date(2027, 9, 15)] == "中秋节"
    assert fallback_day(date(2027, 1, 1)) == (False, "元旦")
    assert fallback_day(date(2027, 1, 4)) == (True, "")
    assert fallback_day(date(2027, 1, 2)) == (False, "")  # a Saturday


def test_a_holiday_on_another_one_names_both():
    # 2020: 中秋 (八月十五) fell on 1 October.
    assert statutory_holidays(2020)[date(2020, 10, 1)] == "中秋节、国庆节"


def test_every_supported_year_computes():
    for year in range(1900, 2201):
        days = statutory_holidays(year)
        assert date(year, 1, 1) in days and date(year, 10, 1) in days
        assert all(d.year == year for d in days)
