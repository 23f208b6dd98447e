"""The statistics against values known by hand or published (no database)."""

import math

import pytest

from reports import formatting
from reports.statistics import (
    CHI_SQUARED,
    FISHER,
    NOTHING_TO_FIT,
    compare_counts,
    compare_distributions,
    cox_time_varying,
    distribution,
    kaplan_meier,
    log_rank,
    proportion,
)

# Freireich et al. (1963), the 6-MP leukaemia remission data (weeks; False = censored), as in Kleinbaum & Klein,
# Survival Analysis, chapter 2: KM of 6-MP .857, .807, .753, .690, .627, .538, .448; median 23 weeks (placebo 8);
# log-rank chi-squared 16.79 (p ≈ 0.00004).
SIX_MP = [
    (6, True), (6, True), (6, True), (6, False), (7, True), (9, False), (10, True), (10, False), (11, False),
    (13, True), (16, True), (17, False), (19, False), (20, False), (22, True), (23, True), (25, False), (32, False),
    (32, False), (34, False), (35, False),
]  # fmt: skip
PLACEBO = [(t, True) for t in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23)]


def _curve(data, **kw):
    return kaplan_meier([t for t, _ in data], [e for _, e in data], label="g", **kw)


def test_kaplan_meier_of_a_hand_worked_example():
    # 4 patients: event at 1, censored at 2, events at 3 and 4: S = 3/4, then 3/4 × 1/2, then 0.
    curve = _curve([(1, True), (2, False), (3, True), (4, True)], rate_times=[2.5])
    survival = {p.time: round(p.survival, 4) for p in curve.points}
    assert survival == {0: 1.0, 1: 0.75, 2: 0.75, 3: 0.375, 4: 0.0}
    assert curve.median.value == 3
    assert curve.rates[2.5].value == pytest.approx(0.75)
    assert (curve.n, curve.events) == (4, 3)


def test_kaplan_meier_and_log_rank_reproduce_the_freireich_6mp_data():
    curve = _curve(SIX_MP, rate_times=[10, 40], at_risk_times=[0, 10, 20])
    steps = [round(p.survival, 3) for p in curve.points if p.events]
    assert steps == [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
    assert curve.median.value == 23
    assert curve.median.lower == 13 and curve.median.upper is None  # the upper CI band never reaches 0.5
    assert curve.rates[10].value == pytest.approx(0.753, abs=1e-3)
    assert curve.rates[10].lower < 0.753 < curve.rates[10].upper
    assert curve.rates[40].value is None  # after the last follow-up (35 weeks): not estimable
    # By hand at 10 weeks: 8 left the risk set (4 at 6, 1 at 7, 1 at 9, 2 at 10), 3 of them censored, 5 events.
    assert [(a.at_risk, a.censored, a.events) for a in curve.at_risk] == [(21, 0, 0), (13, 3, 5), (7, 7, 7)]
    assert _curve(PLACEBO).median.value == 8
    test = log_rank([([t for t, _ in SIX_MP], [e for _, e in SIX_MP]), ([t for t, _ in PLACEBO], [True] * 21)])
    assert 4.0e-5 < test.p < 4.4e-5  # χ²(1) = 16.79


def test_log_rank_needs_two_groups_with_patients():
    assert log_rank([([1, 2], [True, False]), ([], [])]).p is None


def test_empty_curve_has_no_estimates():
    curve = _curve([], rate_times=[12])
    assert (curve.n, curve.median.value, curve.rates[12].value, curve.points) == (0, None, None, [])


def test_clopper_pearson_intervals_match_published_and_closed_form_values():
    # 5/10: 0.187–0.813 (Clopper & Pearson 1934; e.g. Newcombe 1998, Stat Med 17:857, table II).
    half = proportion(5, 10)
    assert (round(half.lower, 3), round(half.upper, 3)) == (0.187, 0.813)
    # 0/10: the upper bound solves (1 - p)^10 = 0.025.
    none = proportion(0, 10)
    assert none.lower == 0 and none.upper == pytest.approx(1 - 0.025 ** (1 / 10))
    assert proportion(0, 0).lower is None
    assert formatting.count_percent(proportion(69, 110)) == "69/110 (63%)"


def test_fisher_exact_of_the_lady_tasting_tea():
    # Fisher (1935): 3 of 4 cups right each way, two-sided p = 34/70.
    result = compare_counts([[3, 1], [1, 3]])
    assert result.test == FISHER and result.p == pytest.approx(34 / 70)


def test_chi_squared_for_more_than_two_categories_and_nothing_to_test_without_two_groups():
    result = compare_counts([[10, 0, 5], [0, 10, 5]])
    assert result.test == CHI_SQUARED and result.p == pytest.approx(math.exp(-20 / 2), rel=1e-9)  # χ²(2) = 20
    assert compare_counts([[3, 1], [0, 0]]).p is None


def test_mann_whitney_and_median_with_range():
    # Complete separation of 3 and 3 values: exact two-sided p = 2 / C(6, 3) = 0.1.
    assert compare_distributions([[1, 2, 3], [4, 5, 6]]).p == pytest.approx(0.1)
    d = distribution([34, None, 17, 87, 40])
    assert (d.known, d.median, d.minimum, d.maximum) == (4, 37, 17, 87)
    assert formatting.median_range(d) == "37 (17–87)"


def _static_intervals(groups):
    """One interval per patient, the covariate fixed: ``groups`` maps a covariate value to (time, event) pairs."""
    return [
        {"id": f"{value}-{i}", "start": 0.0, "stop": float(t), "event": e, "placebo": value}
        for value, data in groups.items()
        for i, (t, e) in enumerate(data)
    ]


def test_cox_reproduces_the_published_hazard_ratio_of_the_freireich_data():
    # Placebo vs 6-MP, Efron ties (R's coxph default): coefficient 1.572, HR 4.82 (95% CI 2.15–10.81), Wald p 1.4e-4.
    model = cox_time_varying(_static_intervals({0: SIX_MP, 1: PLACEBO}), [("placebo", "Placebo")])
    (hr,) = model.ratios
    assert hr.hazard_ratio == pytest.approx(4.817, abs=1e-3)
    assert (round(hr.lower, 2), round(hr.upper, 2)) == (2.15, 10.81)
    assert hr.p == pytest.approx(1.4e-4, abs=1e-5)
    assert (model.patients, model.events) == (42, 30)


def test_cox_leaves_out_patients_with_an_unknown_covariate_and_says_when_nothing_can_be_fitted():
    rows = _static_intervals({0: SIX_MP, 1: PLACEBO})
    rows[0]["placebo"] = None
    assert cox_time_varying(rows, [("placebo", "Placebo")]).patients == 41
    constant = cox_time_varying(_static_intervals({1: PLACEBO}), [("placebo", "Placebo")])
    assert not constant.fitted and "every patient has the same Placebo" in constant.note
    censored = [{**r, "event": False} for r in rows]
    assert cox_time_varying(censored, [("placebo", "Placebo")]).note == NOTHING_TO_FIT
