"""The reminder ladder's dates (SPEC §8) on the official calendar and on the fallback."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from supervision.common.workdays import WorkCalendar
from supervision.reminders import rules

SETTINGS = dict(rules.DEFAULT_SETTINGS)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _calendar(years=(2025, 2026)) -> WorkCalendar:
    days = {}
    for year in years:
        d = date(year, 1, 1)
        while d.year == year:
            days[d] = chinese_calendar.is_workday(d)
            d += timedelta(days=1)
    return WorkCalendar(days, years)


CAL = _calendar()


def test_spec_example_upcoming_counts_the_adjusted_working_sunday():
    steps = dict(rules.obligation_steps(date(2025, 9, 30), CAL, SETTINGS))
    assert steps["upcoming"] == date(2025, 9, 24)


def test_spec_example_overdue_and_escalated_across_new_year():
    steps = dict(rules.obligation_steps(date(2025, 12, 31), CAL, SETTINGS))
    assert steps["overdue"] == date(2026, 1, 4)  # Sunday, adjusted working day
    assert steps["escalated"] == date(2026, 1, 15)


def test_steps_fall_at_nine_local_time_whatever_the_server_zone():
    on = rules.instant(date(2025, 9, 24), rules.send_time(SETTINGS), SHANGHAI)
    assert on.isoformat() == "2025-09-24T09:00:00+08:00"
    assert on.astimezone(ZoneInfo("UTC")).hour == 1


def test_offsets_are_settings():
    custom = {**SETTINGS, "upcoming_working_days": 1, "escalated_working_days": 2}
    steps = dict(rules.obligation_steps(date(2025, 9, 30), CAL, custom))
    assert steps["upcoming"] == date(2025, 9, 29)
    assert steps["escalated"] == date(
        2025, 10, 10
    )  # after the National Day holidays (9 Oct is 1st)


def test_a_year_without_calendar_data_falls_back_to_monday_to_friday():
    steps = dict(rules.obligation_steps(date(2027, 3, 31), CAL, SETTINGS))  # a Wednesday
    assert steps == {
        "upcoming": date(2027, 3, 24),
        "overdue": date(2027, 4, 1),
        "escalated": date(2027, 4, 14),
    }


def test_review_and_rotation_steps():
    review = dict(rules.review_steps(date(2026, 10, 9), CAL, SETTINGS))
    # Ten working days before 9 Oct 2026 reach back over National Day (1–7 Oct) and
    # Mid-Autumn (25 Sep) and count the adjusted working Sunday 20 Sep.
    assert review["review_upcoming"] == date(2026, 9, 18)
    assert review["review_overdue"] == date(2026, 10, 10)  # Saturday, adjusted working day
    rotation = dict(rules.rotation_steps(date(2026, 10, 3), 180, CAL))
    assert rotation["rotation_due"] == date(2026, 10, 8)  # first working day after the holidays
    assert rotation["rotation_upcoming"] == CAL.next_workday(date(2026, 4, 6))


def test_first_working_day_of_a_week_with_holidays():
    assert rules.first_workday_of_week(date(2026, 10, 7), CAL) == date(2026, 10, 8)  # Golden Week
    assert rules.first_workday_of_week(date(2026, 11, 25), CAL) == date(2026, 11, 23)
    assert rules.iso_week(date(2026, 11, 25)) == "2026-W48"


def test_settings_validation():
    assert rules.validate_settings(SETTINGS) == {}
    bad = {**SETTINGS, "send_at": "9am", "upcoming_working_days": 0, "email_enabled": "yes"}
    assert set(rules.validate_settings(bad)) == {
        "send_at",
        "upcoming_working_days",
        "email_enabled",
    }
    order = {**SETTINGS, "overdue_working_days": 10, "escalated_working_days": 10}
    assert set(rules.validate_settings(order)) == {"escalated_working_days"}
    assert rules.send_time({**SETTINGS, "send_at": "08:30"}) == time(8, 30)
    with pytest.raises(ValueError):
        rules.send_time({"send_at": "25:00"})
