"""Pure obligation rules (SPEC §6): sensitive-post runs, requirement, status, conductors,
completion rate, settings validation."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from supervision.common.periods import Period
from supervision.obligations import rules

Q3 = Period.parse("2025Q3")


def _bounds(period):
    return period.start, period.end


def test_joining_on_20_august_owes_the_third_quarter():
    req = rules.integrity_requirement([(date(2025, 8, 20), None)], *_bounds(Q3), 30)
    assert req.required and req.run_days == 42


def test_joining_on_15_september_owes_nothing_in_the_third_quarter_but_the_fourth():
    req = rules.integrity_requirement([(date(2025, 9, 15), None)], *_bounds(Q3), 30)
    assert not req.required and req.reason == "short" and req.run_days == 16
    assert rules.integrity_requirement(
        [(date(2025, 9, 15), None)], *_bounds(Q3.next()), 30
    ).required


def test_leaving_before_the_quarter_end_is_not_required():
    req = rules.integrity_requirement([(date(2020, 1, 1), date(2025, 9, 29))], *_bounds(Q3), 30)
    assert not req.required and req.reason == "left" and req.last_day == date(2025, 9, 29)


def test_no_sensitive_post_in_the_period_means_no_obligation():
    assert (
        rules.integrity_requirement([(date(2020, 1, 1), date(2025, 6, 30))], *_bounds(Q3), 30)
        is None
    )
    assert rules.integrity_requirement([], *_bounds(Q3), 30) is None


def test_adjacent_and_overlapping_assignments_join_one_run():
    spans = [
        (date(2025, 8, 1), date(2025, 8, 31)),
        (date(2025, 9, 1), date(2025, 9, 10)),
        (date(2025, 9, 5), None),
    ]
    assert rules.run_days_at_end(spans, Q3.start, Q3.end) == 61


def test_a_one_day_gap_breaks_the_run():
    spans = [(date(2025, 7, 1), date(2025, 9, 1)), (date(2025, 9, 3), None)]
    assert rules.run_days_at_end(spans, Q3.start, Q3.end) == 28
    assert not rules.integrity_requirement(spans, *_bounds(Q3), 30).required


def test_the_run_is_clipped_to_the_period():
    assert rules.run_days_at_end([(date(2019, 1, 1), None)], Q3.start, Q3.end) == 92


def _brute_force(spans, start, end):
    held = set()
    for a, b in spans:
        day = a
        while day <= (b or end):
            held.add(day)
            day += timedelta(days=1)
    count, day = 0, end
    while day >= start and day in held:
        count, day = count + 1, day - timedelta(days=1)
    return count


_days = st.integers(min_value=-40, max_value=130)
_span = st.tuples(_days, st.one_of(st.none(), st.integers(min_value=0, max_value=60)))


@given(st.lists(_span, max_size=6))
def test_run_length_matches_a_day_by_day_count(raw):
    base = Q3.start
    spans = [
        (base + timedelta(days=a), None if n is None else base + timedelta(days=a + n))
        for a, n in raw
    ]
    assert rules.run_days_at_end(spans, Q3.start, Q3.end) == _brute_force(spans, Q3.start, Q3.end)


@given(st.lists(_span, max_size=6), st.integers(min_value=1, max_value=90))
def test_required_exactly_when_held_at_the_end_long_enough(raw, min_days):
    base = Q3.start
    spans = [
        (base + timedelta(days=a), None if n is None else base + timedelta(days=a + n))
        for a, n in raw
    ]
    req = rules.integrity_requirement(spans, *_bounds(Q3), min_days)
    touching = any(a <= Q3.end and (b is None or b >= Q3.start) for a, b in spans)
    assert (req is not None) == touching
    if req is not None:
        assert req.required == (_brute_force(spans, Q3.start, Q3.end) >= min_days)


def test_status_around_the_due_date():
    due = Q3.due_date
    kw = {"talk_on": None, "has_talk": False, "waived": False, "not_required": False}
    assert rules.status(due, due, **kw) == "pending"
    assert rules.status(due, due + timedelta(days=1), **kw) == "overdue"


def test_status_of_talks_waivers_and_not_required():
    due = Q3.due_date
    assert (
        rules.status(due, due, talk_on=due, has_talk=True, waived=False, not_required=False)
        == "done"
    )
    assert (
        rules.status(
            due,
            due + timedelta(days=9),
            talk_on=due + timedelta(days=1),
            has_talk=True,
            waived=False,
            not_required=False,
        )
        == "done_late"
    )
    assert (
        rules.status(
            due,
            due + timedelta(days=9),
            talk_on=None,
            has_talk=False,
            waived=True,
            not_required=False,
        )
        == "waived"
    )
    assert (
        rules.status(due, due, talk_on=due, has_talk=True, waived=True, not_required=True)
        == "not_required"
    )


def test_responsible_head_skips_the_person_himself():
    heads = {1: 10, 2: 20, 3: 20}
    assert rules.head_chain("1/2/3/", heads) == (20, 10)
    assert rules.responsible_head(30, rules.head_chain("1/2/3/", heads)) == 20
    assert rules.responsible_head(20, rules.head_chain("1/2/3/", heads)) == 10
    assert rules.responsible_head(10, rules.head_chain("1/", heads)) is None
    assert rules.head_chain("1/4/", {}) == ()


def test_conductor_modes():
    kw = {"head": 5, "assigned": None, "secretary": 7, "party_secretary": 9}
    assert rules.conductor("responsible_head", 1, "team_member", **kw) == 5
    assert rules.conductor("committee", 1, "team_member", **kw) == 7
    assert rules.conductor("committee", 1, "team_member", **{**kw, "assigned": 8}) == 8
    assert rules.conductor("committee", 7, "team_member", **kw) is None
    assert rules.conductor("party_secretary", 1, "team_member", **kw) == 9
    assert rules.conductor("party_secretary", 1, "department_head", **kw) == 5
    assert rules.conductor("party_secretary", 9, "team_member", **kw) == 5
    assert (
        rules.conductor("party_secretary", 1, "team_member", **{**kw, "party_secretary": None}) == 5
    )


def test_completion_rate_leaves_out_waived_and_not_required():
    counts = {
        **rules.empty_counts(),
        "done": 2,
        "done_late": 1,
        "overdue": 1,
        "waived": 3,
        "not_required": 4,
    }
    row = rules.completion(counts)
    assert row["required"] == 4 and row["completion_rate"] == 0.75
    assert rules.completion({**rules.empty_counts(), "waived": 2})["completion_rate"] is None


def test_types_for_a_period_follow_the_frequencies():
    s = rules.DEFAULT_SETTINGS
    assert rules.types_for(Period.parse("2025Q3"), s) == ["integrity_reminder"]
    assert rules.types_for(Period.parse("2025H2"), s) == ["supervision"]
    assert rules.types_for(Period.parse("2025"), s) == ["heart_to_heart"]


def test_settings_validation():
    assert rules.validate_settings(rules.DEFAULT_SETTINGS) == {}
    bad = {
        **rules.DEFAULT_SETTINGS,
        "integrity_reminder": {"min_days_in_period": 0, "bogus": 1},
        "supervision": {"leadership": ["team_member", "team_member"], "conductor": "x"},
        "heart_to_heart": {"frequency": "quarter"},
        "party_secretary_staff_no": 5,
    }
    errors = rules.validate_settings(bad)
    assert set(errors) == {
        "integrity_reminder.min_days_in_period",
        "integrity_reminder.bogus",
        "supervision.leadership",
        "supervision.conductor",
        "heart_to_heart.frequency",
        "party_secretary_staff_no",
    }
    assert rules.validate_settings({**rules.DEFAULT_SETTINGS, "supervision": 3}) == {
        "supervision": [rules.NOT_AN_OBJECT]
    }
    assert rules.validate_settings({"integrity_reminder": {"min_days_in_period": True}})


def test_with_defaults_fills_missing_fields():
    filled = rules.with_defaults({"integrity_reminder": {"min_days_in_period": 20}})
    assert filled["integrity_reminder"] == {
        "frequency": "quarter",
        "min_days_in_period": 20,
        "conductor": "responsible_head",
    }
    assert filled["party_secretary_staff_no"] == ""
