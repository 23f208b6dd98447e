"""The statistics of the reports, as pure functions over plain values (no database, no Django).

Every estimate comes from a well-kept library, none is written by hand: exact (Clopper–Pearson) binomial
intervals, Fisher's exact test, χ² and Mann–Whitney U from scipy; Kaplan–Meier estimates, their confidence
intervals, medians and the log-rank test from lifelines, and Cox regression with time-dependent covariates
(lifelines' ``CoxTimeVaryingFitter``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxTimeVaryingFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
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
        return SurvivalCurve(label, 0, 0, empty, dict.fromkeys(rate_times, empty), [], [])
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
    return SurvivalCurve(label, n, int(np.sum(events)), median, rates, points, at_risk)


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


# --- Cox regression ---------------------------------------------------------------------------------------

COX = "Cox proportional hazards (time-varying)"


@dataclass(frozen=True)
class HazardRatio:
    """exp(coefficient) of one covariate with its Wald confidence interval and p-value."""

    key: str
    label: str
    hazard_ratio: float
    lower: float
    upper: float
    p: float


@dataclass(frozen=True)
class CoxModel:
    """A fitted Cox model: its hazard ratios, the patients and events it used, and why it could not be fitted or
    how its fit is doubtful (``note``; empty when there is nothing to say)."""

    ratios: list[HazardRatio]
    patients: int
    events: int
    note: str = ""

    @property
    def fitted(self) -> bool:
        return bool(self.ratios)


NOTHING_TO_FIT = "No patient with every covariate known and at least one event."
NOT_ESTIMABLE = "Could not be estimated from these data"


def cox_time_varying(
    intervals: Sequence[dict], covariates: Sequence[tuple[str, str]], *, confidence: float = CONFIDENCE
) -> CoxModel:
    """lifelines' ``CoxTimeVaryingFitter`` (Efron ties) over counting-process intervals.

    ``intervals``: one dict per (patient, interval) with ``id``, ``start``, ``stop``, ``event`` (True only on a
    patient's last interval when it ends with the event) and a value for each covariate key; a patient with a
    covariate unknown (``None``) in any interval is left out (complete cases). ``covariates``: (key, label) pairs.
    """
    keys = [key for key, _ in covariates]
    incomplete = {row["id"] for row in intervals if any(row.get(k) is None for k in keys)}
    rows = [row for row in intervals if row["id"] not in incomplete]
    patients = len({row["id"] for row in rows})
    events = sum(1 for row in rows if row["event"])
    if not rows or not events:
        return CoxModel([], patients, events, NOTHING_TO_FIT)
    constant = [label for key, label in covariates if len({row[key] for row in rows}) < 2]
    if constant:
        return CoxModel([], patients, events, f"{NOT_ESTIMABLE}: every patient has the same {', '.join(constant)}.")
    columns = ["id", "start", "stop", "event", *keys]
    frame = pd.DataFrame([[row[c] for c in columns] for row in rows], columns=columns)
    frame["event"] = frame["event"].astype(bool)
    fitter = CoxTimeVaryingFitter(alpha=1 - confidence)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            fitter.fit(frame, id_col="id", event_col="event", start_col="start", stop_col="stop")
        except (ConvergenceError, np.linalg.LinAlgError, ValueError, ZeroDivisionError) as error:
            return CoxModel([], patients, events, f"{NOT_ESTIMABLE}: {_first_sentence(error)}")
    summary = fitter.summary
    lower_name, upper_name = (c for c in summary.columns if c.startswith("exp(coef) ") and "%" in c)
    labels = dict(covariates)
    ratios = []
    for key in keys:
        row = summary.loc[key]
        values = [float(row["exp(coef)"]), float(row[lower_name]), float(row[upper_name]), float(row["p"])]
        if not all(math.isfinite(v) for v in values):
            return CoxModel([], patients, events, f"{NOT_ESTIMABLE}: the estimate of {labels[key]} does not converge.")
        ratios.append(HazardRatio(key, labels[key], *values))
    doubtful = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    note = "The fit may be unstable (lifelines warns of near-complete separation or low variance)." if doubtful else ""
    return CoxModel(ratios, patients, events, note)


def _first_sentence(error: Exception) -> str:
    text = str(error).strip().split("\n")[0]
    return text.split(". ")[0].rstrip(".") + "." if text else type(error).__name__
