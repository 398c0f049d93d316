"""Pure rotation rules (SPEC §7, §2): thresholds, tenure in both modes, status and reasons."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervision.rotation import rules

POLICY = dict(rules.DEFAULT_POLICY)


def _tenure(stints, as_of, years=5, mode="continuous", tolerance=365):
    return rules.tenure(stints, as_of, years, mode, tolerance)


def test_tenure_reaches_five_years_on_the_anniversary_not_the_day_before():
    t = _tenure([(date(2019, 3, 1), None)], date(2024, 3, 1))
    assert t.start == date(2019, 3, 1) and t.due_on == date(2024, 3, 1)
    assert t.days == (date(2024, 3, 1) - date(2019, 3, 1)).days == 1827
    assert _tenure([(date(2019, 3, 1), None)], date(2024, 2, 29)).days == 1826


def test_a_29_february_start_reaches_its_anniversary_on_28_february():
    assert _tenure([(date(2020, 2, 29), None)], date(2021, 1, 1), years=1).due_on == date(
        2021, 2, 28
    )
    assert _tenure([(date(2020, 2, 29), None)], date(2021, 1, 1), years=4).due_on == date(
        2024, 2, 29
    )
    assert _tenure([(date(2020, 2, 29), None)], date(2021, 1, 1), years=5).due_on == date(
        2025, 2, 28
    )


HISTORY = [
    (date(2015, 1, 1), date(2017, 12, 31)),  # 1,096 days
    (date(2018, 6, 1), date(2019, 5, 31)),  # gap of 151 days before it; 365 days
    (date(2021, 1, 1), None),
]  # gap of 580 days before it


def test_continuous_mode_bridges_a_gap_shorter_than_the_tolerance_only():
    as_of = date(2022, 1, 1)
    # 580 days >= 365: the tenure restarts on 2021-01-01.
    assert _tenure(HISTORY, as_of).start == date(2021, 1, 1)
    # With a tolerance above 580 days, everything is one run from 2015.
    t = _tenure(HISTORY, as_of, tolerance=600)
    assert t.start == date(2015, 1, 1) and t.due_on == date(2020, 1, 1)
    # The 151-day gap alone: bridged with the default tolerance, not with 100 days.
    two = HISTORY[:2]
    assert _tenure(two, date(2019, 5, 1)).start == date(2015, 1, 1)
    assert _tenure(two, date(2019, 5, 1), tolerance=100).start == date(2018, 6, 1)
    assert _tenure(two, date(2019, 5, 1), tolerance=151).start == date(2018, 6, 1)
    assert _tenure(two, date(2019, 5, 1), tolerance=152).start == date(2015, 1, 1)


def test_back_to_back_stints_never_break_even_with_zero_tolerance():
    stints = [(date(2020, 1, 1), date(2020, 6, 30)), (date(2020, 7, 1), None)]
    assert _tenure(stints, date(2021, 1, 1), tolerance=0).start == date(2020, 1, 1)


def test_cumulative_mode_sums_the_days_and_dates_the_threshold_on_the_current_stint():
    as_of = date(2022, 1, 1)
    t = _tenure(HISTORY, as_of, mode="cumulative")
    assert t.start == date(2015, 1, 1)
    assert t.days == 1096 + 365 + (as_of - date(2021, 1, 1)).days
    # 1,825 days needed; 1,461 spent before 2021: 364 more from 2021-01-01.
    assert t.due_on == date(2021, 1, 1) + timedelta(days=1825 - 1461)
    # The threshold reached during an earlier stint is dated there.
    t3 = _tenure(HISTORY, as_of, years=3, mode="cumulative")
    assert t3.due_on == date(2015, 1, 1) + timedelta(days=1095)


def test_one_stint_gives_the_same_due_date_in_both_modes_without_a_leap_day():
    stints = [(date(2021, 3, 1), None)]
    assert (
        _tenure(stints, date(2022, 6, 1), years=1).due_on
        == _tenure(stints, date(2022, 6, 1), years=1, mode="cumulative").due_on
        == date(2022, 3, 1)
    )


def test_stints_after_as_of_are_ignored_and_none_started_gives_none():
    assert _tenure([(date(2030, 1, 1), None)], date(2025, 1, 1)) is None
    t = _tenure(
        [(date(2020, 1, 1), date(2020, 12, 31)), (date(2030, 1, 1), None)],
        date(2021, 6, 1),
        mode="cumulative",
    )
    assert t.days == 366


def test_thresholds_by_personnel_type_leadership_and_post_override():
    args = dict(rotation_years=None, is_sensitive=True, is_leadership=False)
    assert rules.threshold_years(POLICY, personnel_type="police", **args) == 5
    assert rules.threshold_years(POLICY, personnel_type="auxiliary", **args) == 3
    assert (
        rules.threshold_years(
            POLICY,
            personnel_type="police",
            rotation_years=None,
            is_sensitive=False,
            is_leadership=True,
        )
        == 10
    )
    assert (
        rules.threshold_years(
            POLICY,
            personnel_type="police",
            rotation_years=None,
            is_sensitive=True,
            is_leadership=True,
        )
        == 5
    )
    assert (
        rules.threshold_years(
            POLICY,
            personnel_type="auxiliary",
            rotation_years=8,
            is_sensitive=True,
            is_leadership=False,
        )
        == 8
    )
    with pytest.raises(ValueError):
        rules.threshold_years(
            POLICY,
            personnel_type="police",
            rotation_years=None,
            is_sensitive=False,
            is_leadership=False,
        )


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"blocked": True, "planned": True, "deferred": True}, "blocked"),
        ({"planned": True, "deferred": True}, "planned"),
        ({"deferred": True}, "deferred"),
        ({}, "due"),
    ],
)
def test_status_first_match_wins(flags, expected):
    base = {"blocked": False, "planned": False, "deferred": False}
    assert (
        rules.status(
            due_on=date(2024, 1, 1), as_of=date(2024, 1, 1), upcoming_days=180, **{**base, **flags}
        )
        == expected
    )


def test_upcoming_window_and_not_due():
    kw = dict(
        as_of=date(2024, 1, 1), upcoming_days=180, blocked=False, planned=False, deferred=False
    )
    assert rules.status(due_on=date(2024, 6, 29), **kw) == "upcoming"  # 180 days ahead
    assert rules.status(due_on=date(2024, 6, 30), **kw) == "not_due"  # 181 days ahead


def test_near_retirement_window_and_reasons_order():
    assert rules.near_retirement(date(2026, 12, 31), date(2025, 1, 1), 730)
    assert not rules.near_retirement(date(2027, 1, 2), date(2025, 1, 1), 730)
    assert not rules.near_retirement(None, date(2025, 1, 1), 730)
    assert rules.reasons(
        near_retirement=True,
        on_probation=False,
        under_review=True,
        deferred=False,
        technical_post=True,
        leader_term=True,
    ) == ["near_retirement", "under_review", "technical_post", "leader_term"]


def test_deferral_in_force_through_its_expiry_day():
    assert rules.in_force(date(2024, 1, 10), date(2024, 12, 31), date(2024, 12, 31))
    assert not rules.in_force(date(2024, 1, 10), date(2024, 12, 31), date(2025, 1, 1))
    assert not rules.in_force(date(2024, 1, 10), date(2024, 12, 31), date(2024, 1, 9))


def test_policy_validation_names_each_bad_field():
    bad = {**POLICY, "police_years": 0, "tenure_mode": "sometimes", "upcoming_days": True}
    assert set(rules.validate_policy(bad)) == {"police_years", "tenure_mode", "upcoming_days"}
    assert rules.validate_policy(POLICY) == {}


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    years=st.integers(min_value=1, max_value=12),
)
def test_due_exactly_on_the_anniversary_for_any_start(start, years):
    t = _tenure([(start, None)], start, years=years)
    assert t.due_on.year == start.year + years
    day_before = t.due_on - timedelta(days=1)
    kw = dict(upcoming_days=0, blocked=False, planned=False, deferred=False)
    assert rules.status(due_on=t.due_on, as_of=t.due_on, **kw) == "due"
    assert rules.status(due_on=t.due_on, as_of=day_before, **kw) != "due"
