"""Risk level, review cycle and a unit's campaign state (SPEC §5), without an app."""

from datetime import date

import pytest

from supervision.risks import rules


# Scores reachable with 1-5 x 1-5 around the edges: 6 | 8 (medium) ... 12 | 15 (high).
@pytest.mark.parametrize(
    "likelihood,impact,expected",
    [
        (1, 1, "low"),
        (2, 3, "low"),  # 6: the highest low score
        (2, 4, "medium"),  # 8: the medium edge
        (4, 2, "medium"),  # 8, the other way round
        (3, 4, "medium"),  # 12: the highest medium score
        (3, 5, "high"),  # 15: the high edge
        (5, 3, "high"),  # 15, the other way round
        (5, 5, "high"),  # 25
    ],
)
def test_default_level_edges(likelihood, impact, expected):
    assert rules.level(likelihood, impact) == expected


def test_every_score_against_every_threshold():
    """Exhaustive over the 25 cells: high iff score ≥ 15, medium iff 8 ≤ score < 15."""
    for lk in range(1, 6):
        for im in range(1, 6):
            s = lk * im
            want = "high" if s >= 15 else "medium" if s >= 8 else "low"
            assert rules.level(lk, im) == want, (lk, im)


def test_thresholds_are_settings_and_edges_are_inclusive():
    strict = rules.RiskSettings(high_min_score=20, medium_min_score=10)
    assert rules.level(4, 4, strict) == "medium"  # 16 < 20
    assert rules.level(4, 5, strict) == "high"  # 20 = edge
    assert rules.level(3, 3, strict) == "low"  # 9 < 10
    assert rules.level(2, 5, strict) == "medium"  # 10 = edge


def test_review_due_uses_the_level_cycle():
    s = rules.RiskSettings()
    assert rules.review_due_on(date(2025, 1, 10), "medium", s) == date(2026, 1, 10)
    assert rules.review_due_on(date(2025, 1, 10), "high", s) == date(2025, 7, 9)
    assert rules.review_due_on(None, "high", s) is None


def test_settings_validation():
    ok = {"high_min_score": 15, "medium_min_score": 8, "review_days": 365, "high_review_days": 180}
    assert rules.validate_settings(ok) == {}
    assert "high_min_score" in rules.validate_settings({**ok, "medium_min_score": 15})
    assert "high_min_score" in rules.validate_settings({**ok, "high_min_score": 26})
    assert "review_days" in rules.validate_settings({**ok, "review_days": 0})
    assert "review_days" in rules.validate_settings({**ok, "review_days": "365"})
    assert "high_review_days" in rules.validate_settings({**ok, "high_review_days": True})


@pytest.mark.parametrize(
    "counts,state",
    [
        ((0, 0, 0, 0), "not_started"),
        ((3, 0, 0, 0), "not_started"),
        ((3, 0, 0, 1), "submitted"),
        ((3, 0, 2, 2), "submitted"),
        ((3, 1, 2, 2), "returned"),
        ((3, 0, 3, 3), "approved"),
    ],
)
def test_unit_state(counts, state):
    assert rules.unit_state(*counts) == state
