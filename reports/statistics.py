"""The statistics of the reports, as pure functions over plain values (no database, no Django).

Every estimate comes from a well-kept library, none is written by hand: exact (Clopper–Pearson) binomial
intervals, Fisher's exact test, χ² and Mann–Whitney U from scipy; Kaplan–Meier estimates, their confidence
intervals, medians and the log-rank test from lifelines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import median_survival_times
from scipy import stats

CONFIDENCE = 0.95
FISHER = "Fisher exact"
CHI_SQUARED = "χ²"
MANN_WHITNEY = "Mann–Whitney U"
LOG_RANK = "log-rank"


# --- Proportions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proportion:
    """n of N, with its exact (Clopper–Pearson) confidence interval; no interval when N is 0."""

    n: int
    total: int
    lower: float | None
    upper: float | None

    @property
    def fraction(self) -> float | None:
        return self.n / self.total if self.total else None

    @property
    def percent(self) -> float | None:
        return None if self.fraction is None else 100 * self.fraction


def proportion(n: int, total: int, *, confidence: float = CONFIDENCE) -> Proportion:
    """``n``/``total`` with the exact binomial (Clopper–Pearson) interval of scipy's ``binomtest``."""
    if total == 0:
        return Proportion(n, total, None, None)
    ci = stats.binomtest(n, total).proportion_ci(confidence_level=confidence, method="exact")
    return Proportion(n, total, float(ci.low), float(ci.high))


@dataclass(frozen=True)
class TestResult:
    """A p-value and the test that gave it (``p`` None: the test does not apply, e.g. an empty group)."""

    test: str
    p: float | None


def compare_counts(table: Sequence[Sequence[int]]) -> TestResult:
    """Compare counts between groups: a contingency table, one row per group, one column per category.

    Fisher's exact test for a 2×2 table, χ² (without continuity correction) for a larger one; rows or
    columns that are all zero are left out first, and with fewer than two of either there is nothing to test.
    """
    array = np.asarray(table, dtype=int)
    if array.ndim != 2:
        return TestResult(CHI_SQUARED, None)
    array = array[array.sum(axis=1) > 0]
    array = array[:, array.sum(axis=0) > 0] if array.size else array
    if array.shape[0] < 2 or array.shape[1] < 2:
        return TestResult(FISHER if array.shape == (2, 1) or array.shape == (1, 2) else CHI_SQUARED, None)
    if array.shape == (2, 2):
        return TestResult(FISHER, float(stats.fisher_exact(array).pvalue))
    return TestResult(CHI_SQUARED, float(stats.chi2_contingency(array, correction=False).pvalue))


def compare_proportions(groups: Sequence[tuple[int, int]]) -> TestResult:
    """Compare n/N between groups: Fisher's exact test for two groups, χ² for more (see :func:`compare_counts`)."""
    return compare_counts([[n, total - n] for n, total in groups])


# --- Continuous values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """Median and range of the known values, and how many were known."""

    known: int
    median: float | None
    minimum: float | None
    maximum: float | None


def distribution(values: Sequence[float | None]) -> Distribution:
    known = [float(v) for v in values if v is not None]
    if not known:
        return Distribution(0, None, None, None)
    return Distribution(len(known), float(np.median(known)), min(known), max(known))


def compare_distributions(groups: Sequence[Sequence[float | None]]) -> TestResult:
    """Mann–Whitney U (two-sided) between two groups; Kruskal–Wallis would be the test for more (not used)."""
    known = [[float(v) for v in group if v is not None] for group in groups]
    if len(known) != 2 or not all(known) or len(set(known[0] + known[1])) < 2:
        return TestResult(MANN_WHITNEY, None)
    return TestResult(MANN_WHITNEY, float(stats.mannwhitneyu(known[0], known[1], alternative="two-sided").pvalue))


# --- Survival ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A survival probability (or a median time) with its confidence interval; ``None`` where not estimable
    (a median not reached, a time after the last follow-up)."""

    value: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class CurvePoint:
    """One time of the Kaplan–Meier event table: the estimate just after it and what happened at it."""

    time: float
    survival: float
    lower: float
    upper: float
    at_risk: int
    events: int
    censored: int


@dataclass(frozen=True)
class AtRisk:
    """Number at risk at a time, and the censored and events up to it (lifelines' convention, as on its plots)."""

    time: float
    at_risk: int
    censored: int
    events: int


@dataclass
class SurvivalCurve:
    """The Kaplan–Meier estimate of one group (times in the unit of the durations given)."""

    label: str
    n: int
    events: int
    median: Estimate
    rates: dict[float, Estimate]
    points: list[CurvePoint]
    at_risk: list[AtRisk]
    fitter: KaplanMeierFitter | None = field(default=None, repr=False)


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def kaplan_meier(
    durations: Sequence[float],
    events: Sequence[bool],
    *,
    label: str,
    rate_times: Sequence[float] = (),
    at_risk_times: Sequence[float] = (),
    confidence: float = CONFIDENCE,
) -> SurvivalCurve:
    """lifelines' ``KaplanMeierFitter`` over (duration, event) pairs: the curve with its pointwise confidence
    interval (lifelines' exponential Greenwood), the median with its interval (``median_survival_times`` of
    the interval's bounds), the survival at ``rate_times`` and the numbers at risk at ``at_risk_times``."""
    n = len(durations)
    if n == 0:
        empty = Estimate(None, None, None)
        return SurvivalCurve(label, 0, 0, empty, dict.fromkeys(rate_times, empty), [], [], None)
    fitter = KaplanMeierFitter(alpha=1 - confidence, label=label)
    fitter.fit(np.asarray(durations, dtype=float), np.asarray(events, dtype=bool))
    ci = fitter.confidence_interval_survival_function_
    lower_name, upper_name = ci.columns
    median_ci = median_survival_times(fitter.confidence_interval_)
    # The lower bound of the curve reaches 0.5 first, so it gives the median's lower bound (and the upper the upper).
    median = Estimate(
        _finite(fitter.median_survival_time_),
        _finite(median_ci.iloc[0][lower_name]),
        _finite(median_ci.iloc[0][upper_name]),
    )
    last_time = float(fitter.event_table.index.max())
    rates = {}
    for t in rate_times:
        if t > last_time:
            rates[t] = Estimate(None, None, None)
            continue
        row = ci.loc[ci.index <= t].iloc[-1]
        rates[t] = Estimate(
            float(fitter.survival_function_at_times(t).iloc[0]), float(row[lower_name]), float(row[upper_name])
        )
    table = fitter.event_table
    survival = fitter.survival_function_
    points = [
        CurvePoint(
            time=float(t),
            survival=float(survival.loc[t].iloc[0]),
            lower=float(ci.loc[t][lower_name]),
            upper=float(ci.loc[t][upper_name]),
            at_risk=int(row["at_risk"]),
            events=int(row["observed"]),
            censored=int(row["censored"]),
        )
        for t, row in table.iterrows()
    ]
    after = table.assign(at_risk=table["at_risk"] - table["removed"])
    at_risk = []
    for t in at_risk_times:
        upto = after.loc[after.index <= t]
        at_risk.append(
            AtRisk(
                time=float(t),
                at_risk=int(upto["at_risk"].iloc[-1]) if len(upto) else n,
                censored=int(upto["censored"].sum()),
                events=int(upto["observed"].sum()),
            )
        )
    return SurvivalCurve(label, n, int(np.sum(events)), median, rates, points, at_risk, fitter)


def log_rank(groups: Sequence[tuple[Sequence[float], Sequence[bool]]]) -> TestResult:
    """lifelines' log-rank test between groups of (durations, events): ``logrank_test`` for two groups,
    ``multivariate_logrank_test`` for more; no p-value with fewer than two non-empty groups or no event."""
    groups = [(list(d), list(e)) for d, e in groups if len(d)]
    if len(groups) < 2 or not any(any(e) for _, e in groups):
        return TestResult(LOG_RANK, None)
    if len(groups) == 2:
        (d1, e1), (d2, e2) = groups
        return TestResult(LOG_RANK, float(logrank_test(d1, d2, event_observed_A=e1, event_observed_B=e2).p_value))
    durations = [t for d, _ in groups for t in d]
    events = [x for _, e in groups for x in e]
    labels = [i for i, (d, _) in enumerate(groups) for _ in d]
    return TestResult(LOG_RANK, float(multivariate_logrank_test(durations, labels, events).p_value))
