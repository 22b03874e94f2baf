"""The score check's statistics on constructed data whose answers are known by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from allpfit.crm import calibration as cal
from allpfit.crm.calibration import ScoredLead


def test_a_perfect_score_has_auc_1_and_a_reversed_one_0() -> None:
    scores = [0] * 40 + [5] * 10
    outcomes = [False] * 40 + [True] * 10
    assert cal.auc(scores, outcomes) == 1.0
    assert cal.auc_interval(scores, outcomes) == (1.0, 1.0)
    assert cal.auc(scores, [not o for o in outcomes]) == 0.0


def test_ties_count_one_half() -> None:
    # Buyer scored 2; non-buyers 1 (below: 1), 2 (tie: 1/2), 3 (above: 0) -> 1.5 / 3.
    assert cal.auc([2, 1, 2, 3], [True, False, False, False]) == pytest.approx(0.5)
    assert cal.auc([3, 3, 3, 3], [True, False, True, False]) == 0.5


def test_a_random_score_has_auc_near_one_half_and_its_interval_contains_it() -> None:
    rng = np.random.default_rng(2026)
    scores = rng.integers(0, 6, 3000).tolist()
    outcomes = (rng.random(3000) < 0.15).tolist()  # independent of the score
    value = cal.auc(scores, outcomes)
    low, high = cal.auc_interval(scores, outcomes)
    assert abs(value - 0.5) < 0.05
    assert low < 0.5 < high and low < value < high
    assert high - low < 0.1  # 3000 leads: a narrow interval
    assert cal.auc_interval(scores, outcomes) == (low, high)  # seeded: the same every time


def test_a_good_score_has_an_interval_above_one_half() -> None:
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 6, 2000)
    outcomes = rng.random(2000) < scores / 10  # 0% at score 0 ... 50% at score 5
    low, _ = cal.auc_interval(scores.tolist(), outcomes.tolist())
    assert cal.auc(scores.tolist(), outcomes.tolist()) > 0.7 and low > 0.6


def test_the_auc_is_undefined_without_both_outcomes() -> None:
    with pytest.raises(ValueError, match="at least one converted and one non-converted"):
        cal.auc([1, 2, 3], [True, True, True])
    with pytest.raises(ValueError, match="differ in length"):
        cal.auc([1, 2], [True])


def test_wilson_intervals_match_the_published_values() -> None:
    # Wilson 95% for 0/10 and 5/10 (Newcombe 1998, table I, method 3).
    low, high = cal.wilson(0, 10)
    assert low == pytest.approx(0.0, abs=1e-9) and high == pytest.approx(0.2775, abs=1e-4)
    low, high = cal.wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert cal.wilson(0, 0) is None


def test_rates_by_score_list_every_score() -> None:
    rates = cal.rates_by_score([0, 0, 3, 5], [False, True, True, False])
    assert [(r.score, r.leads, r.sales) for r in rates] == [
        (0, 2, 1), (1, 0, 0), (2, 0, 0), (3, 1, 1), (4, 0, 0), (5, 1, 0)
    ]  # fmt: skip
    assert rates[0].rate == 0.5 and rates[1].rate is None and rates[1].interval is None


def test_isotonic_calibration_is_monotone_and_pools_violators() -> None:
    # Rates 0.1, 0.3, 0.1, 0.5 over scores 0-3 (10 leads each): 1 and 2 violate the order and
    # pool to (3 + 1) / 20 = 0.2. Scores 4 and 5 have no lead: they take score 3's value.
    scores, outcomes = [], []
    for score, sales in ((0, 1), (1, 3), (2, 1), (3, 5)):
        scores += [score] * 10
        outcomes += [True] * sales + [False] * (10 - sales)
    fitted = cal.fit_isotonic(scores, outcomes)
    assert fitted == pytest.approx({0: 0.1, 1: 0.2, 2: 0.2, 3: 0.5, 4: 0.5, 5: 0.5})
    values = [fitted[s] for s in cal.SCORES]
    assert values == sorted(values)


def test_a_missing_middle_score_is_interpolated() -> None:
    fitted = cal.fit_isotonic([0] * 10 + [4] * 10, [False] * 10 + [True] * 10)
    assert fitted == pytest.approx({0: 0.0, 1: 0.25, 2: 0.5, 3: 0.75, 4: 1.0, 5: 1.0})


def test_brier_score() -> None:
    assert cal.brier([0.5, 0.5], [True, False]) == 0.25
    assert cal.brier([1.0, 0.0], [True, False]) == 0.0


def _month(month: int, first_id: int, pattern: dict[int, tuple[int, int]]) -> list[ScoredLead]:
    """Leads of 2026-`month`: for each score, (leads, sales)."""
    leads, next_id = [], first_id
    for score, (count, sales) in pattern.items():
        for i in range(count):
            leads.append(ScoredLead(next_id, date(2026, month, 1), score, i < sales))
            next_id += 1
    return leads


def test_the_calibration_is_fitted_on_earlier_months_and_checked_on_the_latest() -> None:
    earlier = _month(1, 1, {1: (20, 2), 4: (20, 10)}) + _month(2, 100, {1: (20, 2), 4: (20, 10)})
    # The latest month says the opposite: were it in the fit, score 1 would rise above 0.1.
    latest = _month(3, 200, {1: (20, 18), 4: (20, 2)})

    result = cal.calibrate(earlier + latest)

    assert result.fit_months == [date(2026, 1, 1), date(2026, 2, 1)]
    assert result.held_out_month == date(2026, 3, 1)
    assert result.fitted_ids == {x.lead_id for x in earlier}
    assert result.held_out_ids == {x.lead_id for x in latest}
    assert not result.fitted_ids & result.held_out_ids  # never the same leads
    assert result.probabilities[1] == pytest.approx(0.1)  # 4/40 from Jan+Feb only
    assert result.probabilities[4] == pytest.approx(0.5)
    # Held out: score 1 predicted 0.1, observed 0.9; score 4 predicted 0.5, observed 0.1.
    by_score = {r.score: r for r in result.reliability}
    assert by_score[1].observed == pytest.approx(0.9) and by_score[4].observed == pytest.approx(0.1)
    assert result.calibration_error == pytest.approx((0.8 * 20 + 0.4 * 20) / 40)
    expected_brier = (18 * 0.9**2 + 2 * 0.1**2 + 2 * 0.5**2 + 18 * 0.5**2) / 40
    assert result.brier == pytest.approx(expected_brier)
    assert result.brier_base_rate == pytest.approx((20 * 0.7**2 + 20 * 0.3**2) / 40)


def test_too_few_outcomes_are_not_judged() -> None:
    few = _month(1, 1, {1: (30, 1), 5: (10, 2)})
    quality = cal.assess(few)
    assert not quality.enough
    assert quality.auc is None and quality.auc_interval is None and quality.calibration is None
    assert quality.shortfalls == ["sales", "months"]
    assert quality.sales == 3 and quality.leads == 40


def test_enough_outcomes_are_judged() -> None:
    pattern = {0: (30, 1), 2: (30, 3), 5: (30, 12)}
    leads = _month(1, 1, pattern) + _month(2, 1000, pattern)
    quality = cal.assess(leads)
    assert quality.enough and quality.shortfalls == []
    assert quality.auc is not None and quality.auc > 0.7
    assert quality.calibration is not None
    assert quality.calibration.probabilities[5] == pytest.approx(12 / 30)
