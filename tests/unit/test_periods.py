"""Periods, due dates and anniversaries (SPEC §2)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervision.common.periods import Period, anniversary, overdue_from, parse, period_of


@pytest.mark.parametrize(
    ("text", "kind", "year", "index", "start", "end"),
    [
        ("2025Q1", "quarter", 2025, 1, date(2025, 1, 1), date(2025, 3, 31)),
        ("2025Q2", "quarter", 2025, 2, date(2025, 4, 1), date(2025, 6, 30)),
        ("2025Q3", "quarter", 2025, 3, date(2025, 7, 1), date(2025, 9, 30)),
        ("2025Q4", "quarter", 2025, 4, date(2025, 10, 1), date(2025, 12, 31)),
        ("2025H1", "half", 2025, 1, date(2025, 1, 1), date(2025, 6, 30)),
        ("2025H2", "half", 2025, 2, date(2025, 7, 1), date(2025, 12, 31)),
        ("2025", "year", 2025, 1, date(2025, 1, 1), date(2025, 12, 31)),
        ("2024Q1", "quarter", 2024, 1, date(2024, 1, 1), date(2024, 3, 31)),
    ],
)
def test_parse_gives_kind_bounds_and_round_trips(text, kind, year, index, start, end):
    p = parse(text)
    assert (p.kind, p.year, p.index) == (kind, year, index)
    assert (p.start, p.end, p.due_date) == (start, end, end)
    assert str(p) == text
    assert Period.parse(str(p)) == p


def test_parse_tolerates_case_and_spaces():
    assert parse(" 2025q3 ") == Period("quarter", 2025, 3)
    assert parse("2025h2") == Period("half", 2025, 2)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2025Q5",
        "2025Q0",
        "2025H3",
        "25Q1",
        "2025-Q1",
        "2025Y",
        "Q3",
        "2025Q12",
        "abcd",
        "2025 Q1",
    ],
)
def test_parse_rejects_malformed_periods_with_a_clear_message(text):
    with pytest.raises(ValueError, match="period"):
        parse(text)


def test_parse_rejects_non_text():
    with pytest.raises(ValueError):
        parse(2025)


@pytest.mark.parametrize(
    ("kind", "year", "index"),
    [
        ("month", 2025, 1),
        ("quarter", 2025, 5),
        ("half", 2025, 0),
        ("year", 2025, 2),
        ("quarter", 0, 1),
    ],
)
def test_constructor_validates(kind, year, index):
    with pytest.raises(ValueError):
        Period(kind, year, index)


def test_february_end_in_leap_and_common_years():
    assert parse("2024Q1").days == 91
    assert parse("2025Q1").days == 90
    assert parse("2024").days == 366


def test_talk_date_belongs_to_the_containing_quarter():
    assert period_of(date(2025, 6, 30), "quarter") == parse("2025Q2")
    assert period_of(date(2025, 7, 1), "quarter") == parse("2025Q3")
    assert period_of(date(2025, 7, 1), "half") == parse("2025H2")
    assert period_of(date(2025, 6, 30), "half") == parse("2025H1")
    assert period_of(date(2025, 12, 31), "year") == parse("2025")
    with pytest.raises(ValueError, match="kind"):
        period_of(date(2025, 1, 1), "week")


def test_contains_includes_both_ends():
    q = parse("2025Q3")
    assert q.contains(date(2025, 7, 1)) and q.contains(date(2025, 9, 30))
    assert not q.contains(date(2025, 6, 30)) and not q.contains(date(2025, 10, 1))


def test_previous_and_next_cross_year_boundaries():
    assert parse("2025Q1").previous() == parse("2024Q4")
    assert parse("2025Q4").next() == parse("2026Q1")
    assert parse("2025H1").previous() == parse("2024H2")
    assert parse("2025H2").next() == parse("2026H1")
    assert parse("2025").next() == parse("2026")
    assert parse("2025Q2").next() == parse("2025Q3")


def test_overdue_from_is_the_day_after_the_due_date():
    assert overdue_from(parse("2025Q3")) == date(2025, 10, 1)
    assert overdue_from(parse("2025")) == date(2026, 1, 1)
    assert overdue_from(parse("2024Q1")) == date(2024, 4, 1)


def test_periods_order_by_time():
    assert sorted([parse("2025Q3"), parse("2024Q4"), parse("2025Q1")]) == [
        parse("2024Q4"),
        parse("2025Q1"),
        parse("2025Q3"),
    ]
    assert parse("2025Q1") < parse("2025Q2")


def test_anniversary_rules():
    assert anniversary(date(2019, 3, 1), 5) == date(2024, 3, 1)
    assert anniversary(date(2020, 2, 29), 1) == date(2021, 2, 28)
    assert anniversary(date(2020, 2, 29), 4) == date(2024, 2, 29)
    assert anniversary(date(2019, 2, 28), 1) == date(2020, 2, 28)
    assert anniversary(date(2025, 5, 6), 0) == date(2025, 5, 6)
    with pytest.raises(ValueError):
        anniversary(date(9999, 1, 1), 1)


days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


@given(days, st.sampled_from(["quarter", "half", "year"]))
def test_every_day_lies_in_exactly_its_period(day, kind):
    p = period_of(day, kind)
    assert p.contains(day)
    assert not p.previous().contains(day) and not p.next().contains(day)
    assert p.previous().end + timedelta(days=1) == p.start
    assert overdue_from(p) == p.next().start
    assert parse(str(p)) == p


@given(days, st.integers(min_value=0, max_value=60))
def test_anniversary_is_same_day_or_28_feb(start, years):
    got = anniversary(start, years)
    assert got.year == start.year + years
    if (start.month, start.day) == (2, 29) and got.day != 29:
        assert (got.month, got.day) == (2, 28)
    else:
        assert (got.month, got.day) == (start.month, start.day)
