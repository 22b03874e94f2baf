"""Does the lead score predict sales? The statistics, on plain sequences (no database).

Kept apart from the queries (`crm/score_check.py`) so the maths can be tested on constructed
data with known answers, and so the demo test, the CLI and the dashboard share one definition
of each figure. Method and thresholds: docs/score.md.

- Conversion rate per score (0-5) with a Wilson 95% interval (`scipy.stats.binomtest`): honest
  for small counts and rates near 0, where the normal approximation gives negative bounds.
- AUC: the Mann-Whitney U statistic / (n1 x n2), ties counted as one half (most leads share a
  score of 0-5), with a percentile bootstrap interval from a seeded, bounded resampling loop.
- A calibrated probability per score: isotonic regression (`scipy.optimize.isotonic_regression`,
  non-decreasing in the score) fitted on the earlier months and judged on the latest month
  (Brier score, expected calibration error, a reliability table), never on the same leads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy.optimize import isotonic_regression
from scipy.stats import binomtest, mannwhitneyu, rankdata

SCORES = tuple(range(6))  # probabilidade_conversao is 0-5 (migration 0010)
CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 1000  # bounded: ~1 s for 10,000 leads
BOOTSTRAP_SEED = 13  # the same data gives the same interval on every page load
# Too few outcomes to judge (docs/score.md): below these, the figures are shown as
# "not enough data" and no verdict is given.
MIN_SALES = 10  # converted leads, overall and in the months the calibration is fitted on
MIN_NON_SALES = 10  # leads not converted, same
MIN_HELD_OUT_LEADS = 30  # leads of the latest month, on which the calibration is checked
MIN_HELD_OUT_SALES = 1  # with no sale in it, the latest month cannot tell good from bad


def auc(scores: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Area under the ROC curve: P(score of a random buyer > score of a random non-buyer).

    Computed as the Mann-Whitney U statistic divided by n1*n2, which counts ties as one half,
    the right treatment for a 0-5 score where most leads share a value. Raises ``ValueError``
    when the lengths differ or one class is empty (the AUC is undefined, not 0.5).
    """
    if len(scores) != len(outcomes):
        raise ValueError(f"scores ({len(scores)}) and outcomes ({len(outcomes)}) differ in length")
    positives = [float(s) for s, o in zip(scores, outcomes, strict=True) if o]
    negatives = [float(s) for s, o in zip(scores, outcomes, strict=True) if not o]
    if not positives or not negatives:
        raise ValueError("AUC needs at least one converted and one non-converted lead")
    result = mannwhitneyu(positives, negatives, alternative="two-sided", method="asymptotic")
    return float(result.statistic) / (len(positives) * len(negatives))


def _fast_auc(scores: np.ndarray, outcomes: np.ndarray) -> float | None:
    """The same AUC from mid-ranks (no test statistic), for the bootstrap's inner loop."""
    positives = int(outcomes.sum())
    negatives = len(outcomes) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(scores)
    u = float(ranks[outcomes].sum()) - positives * (positives + 1) / 2
    return u / (positives * negatives)


def auc_interval(
    scores: Sequence[float],
    outcomes: Sequence[bool],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the AUC: `resamples` (at most 10,000) resamples of the
    leads with replacement, seeded; a resample with only one class is skipped (undefined)."""
    resamples = max(1, min(int(resamples), 10_000))
    x = np.asarray(scores, dtype=float)
    y = np.asarray(outcomes, dtype=bool)
    auc(list(x), list(y))  # the same errors as the point estimate
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        pick = rng.integers(0, len(x), len(x))
        value = _fast_auc(x[pick], y[pick])
        if value is not None:
            values.append(value)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def wilson(sales: int, leads: int, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Wilson score interval of sales/leads (None with no leads)."""
    if leads <= 0:
        return None
    ci = binomtest(sales, leads).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class ScoreRate:
    """Leads of one score, how many converted, the rate and its Wilson interval."""

    score: int
    leads: int
    sales: int

    @property
    def rate(self) -> float | None:
        return self.sales / self.leads if self.leads else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.sales, self.leads)


def rates_by_score(scores: Sequence[int], outcomes: Sequence[bool]) -> list[ScoreRate]:
    """One `ScoreRate` per score 0-5 (zero leads included, so the table never skips one)."""
    leads = dict.fromkeys(SCORES, 0)
    sales = dict.fromkeys(SCORES, 0)
    for score, sold in zip(scores, outcomes, strict=True):
        leads[int(score)] += 1
        sales[int(score)] += bool(sold)
    return [ScoreRate(s, leads[s], sales[s]) for s in SCORES]


def fit_isotonic(scores: Sequence[int], outcomes: Sequence[bool]) -> dict[int, float]:
    """A calibrated probability of converting for each score 0-5, non-decreasing in the score.

    Isotonic regression of the outcome on the score (weighted by the leads of each score);
    scores with no lead in the fit take the straight line between their neighbours' values
    (the nearest one's beyond the ends), which keeps the result monotone."""
    rates = [r for r in rates_by_score(scores, outcomes) if r.leads]
    if not rates:
        raise ValueError("the calibration needs at least one lead")
    fitted = isotonic_regression(
        [r.sales / r.leads for r in rates], weights=[r.leads for r in rates], increasing=True
    ).x
    values = np.interp(SCORES, [r.score for r in rates], fitted)
    return {s: float(v) for s, v in zip(SCORES, values, strict=True)}


def brier(probabilities: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Mean squared difference between predicted probability and outcome (0 = perfect)."""
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    return float(np.mean((p - y) ** 2))


@dataclass(frozen=True)
class Reliability:
    """One point of the reliability diagram: the held-out leads of one score."""

    score: int
    predicted: float  # the calibrated probability fitted on earlier months
    leads: int
    sales: int

    @property
    def observed(self) -> float:
        return self.sales / self.leads

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.sales, self.leads)


@dataclass(frozen=True)
class Calibration:
    """The isotonic calibration fitted on `fit_months` and checked on `held_out_month`."""

    fit_months: list[date]
    held_out_month: date
    fit_leads: int
    fit_sales: int
    held_out_leads: int
    held_out_sales: int
    probabilities: dict[int, float]  # score -> calibrated probability
    brier: float  # on the held-out month
    brier_base_rate: float  # the same month predicted with the fit months' overall rate
    calibration_error: float  # expected calibration error on the held-out month (by score)
    reliability: list[Reliability]
    fitted_ids: frozenset[int] = field(repr=False)  # the leads it was fitted on
    held_out_ids: frozenset[int] = field(repr=False)  # the leads it was checked on


@dataclass(frozen=True)
class ScoredLead:
    """A lead whose outcome window is complete: its id, month, score and outcome."""

    lead_id: int
    month: date  # first day of the month of its first conversation
    score: int
    converted: bool


def calibrate(leads: Sequence[ScoredLead]) -> Calibration:
    """Fit on every month before the latest, check on the latest (a time split: a lead is in
    one side only). Raises ValueError with fewer than two months."""
    months = sorted({lead.month for lead in leads})
    if len(months) < 2:
        raise ValueError("the calibration needs leads of at least two months")
    held_month = months[-1]
    fit = [lead for lead in leads if lead.month < held_month]
    held = [lead for lead in leads if lead.month == held_month]
    probabilities = fit_isotonic([x.score for x in fit], [x.converted for x in fit])
    predicted = [probabilities[x.score] for x in held]
    outcomes = [x.converted for x in held]
    base = sum(x.converted for x in fit) / len(fit)
    reliability = [
        Reliability(r.score, probabilities[r.score], r.leads, r.sales)
        for r in rates_by_score([x.score for x in held], outcomes)
        if r.leads
    ]
    error = sum(abs(r.observed - r.predicted) * r.leads for r in reliability) / len(held)
    return Calibration(
        fit_months=months[:-1],
        held_out_month=held_month,
        fit_leads=len(fit),
        fit_sales=sum(x.converted for x in fit),
        held_out_leads=len(held),
        held_out_sales=sum(outcomes),
        probabilities=probabilities,
        brier=brier(predicted, outcomes),
        brier_base_rate=brier([base] * len(held), outcomes),
        calibration_error=error,
        reliability=reliability,
        fitted_ids=frozenset(x.lead_id for x in fit),
        held_out_ids=frozenset(x.lead_id for x in held),
    )


@dataclass(frozen=True)
class ScoreQuality:
    """Everything the page and the CLI show; `shortfalls` say why a figure is not judged."""

    leads: int
    sales: int
    rates: list[ScoreRate]
    auc: float | None
    auc_interval: tuple[float, float] | None
    calibration: Calibration | None
    shortfalls: list[str]  # codes: "sales", "non_sales", "months", "fit", "held_out"
    months: list[date] = field(default_factory=list)  # the judged leads' months
    fit_leads: int = 0  # leads and sales of the months before the latest (the fit)...
    fit_sales: int = 0
    held_out_leads: int = 0  # ...and of the latest month (the check)
    held_out_sales: int = 0

    @property
    def enough(self) -> bool:
        """Enough outcomes to judge the score (rates and AUC)."""
        return "sales" not in self.shortfalls and "non_sales" not in self.shortfalls


def assess(leads: Sequence[ScoredLead]) -> ScoreQuality:
    """Rates, AUC and calibration of `leads`, each only when there are enough outcomes for it
    (MIN_* above); what is missing is listed in `shortfalls` instead."""
    scores = [x.score for x in leads]
    outcomes = [x.converted for x in leads]
    sales = sum(outcomes)
    shortfalls = []
    if sales < MIN_SALES:
        shortfalls.append("sales")
    if len(leads) - sales < MIN_NON_SALES:
        shortfalls.append("non_sales")
    value = interval = None
    if not shortfalls:
        value = auc(scores, outcomes)
        interval = auc_interval(scores, outcomes)
    calibration = None
    months = sorted({x.month for x in leads})
    fit = [x for x in leads if months and x.month < months[-1]]
    held = [x for x in leads if months and x.month == months[-1]]
    fit_sales = sum(x.converted for x in fit)
    held_sales = sum(x.converted for x in held)
    if len(months) < 2:
        shortfalls.append("months")
    else:
        if fit_sales < MIN_SALES or len(fit) - fit_sales < MIN_NON_SALES:
            shortfalls.append("fit")
        if len(held) < MIN_HELD_OUT_LEADS or held_sales < MIN_HELD_OUT_SALES:
            shortfalls.append("held_out")
        if "fit" not in shortfalls and "held_out" not in shortfalls:
            calibration = calibrate(leads)
    return ScoreQuality(
        leads=len(leads),
        sales=sales,
        rates=rates_by_score(scores, outcomes),
        auc=value,
        auc_interval=interval,
        calibration=calibration,
        shortfalls=shortfalls,
        months=months,
        fit_leads=len(fit),
        fit_sales=fit_sales,
        held_out_leads=len(held),
        held_out_sales=held_sales,
    )
