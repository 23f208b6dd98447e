"""Response, relapse and endpoints at every threshold (no database)."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from responses.derivations import EARLY_DEATH, Evaluation, RuleSpec, best_response, classify, endpoints, outcomes

# The definitions of PROTOCOL.md §4 as the protocol data writes them.
RULES = [
    RuleSpec("cr", "cr", "CR", D(5), ">", D(1), ">", D(100)),
    RuleSpec("crp", "crp", "CRp", D(5), ">", D(1), "<=", D(100)),
    RuleSpec("cri", "cri", "CRi", D(5), "<=", D(1), "<=", D(100)),
    RuleSpec(
        "cri-plt", "cri", "CRi (neutrophils < 1, platelets ≥ 100)", D(5), "<=", D(1), ">", D(100), source="not_in_paper"
    ),
]
START = date(2020, 1, 1)


@pytest.mark.parametrize(
    ("blasts", "anc", "plt", "emd", "category", "rule"),
    [
        ("5", "1.1", "101", False, "cr", "cr"),
        ("5.1", "1.1", "101", False, "no_response", None),
        ("5", "1.0", "101", False, "cri", "cri-plt"),
        ("5", "1.01", "100", False, "crp", "crp"),
        ("5", "1.01", "100.1", False, "cr", "cr"),
        ("0", "0.5", "40", False, "cri", "cri"),
        ("2", "3", "250", True, "no_response", None),
    ],
)
def test_classify_at_thresholds(blasts, anc, plt, emd, category, rule):
    got, matched = classify(RULES, blasts=D(blasts), neutrophils=D(anc), platelets=D(plt), extramedullary=emd)
    assert got == category
    assert (matched.code if matched else None) == rule


def ev(day, blasts, anc="2", plt="150", **kw):
    return Evaluation(START + timedelta(days=day), D(blasts), D(anc), D(plt), **kw)


def test_relapse_only_after_a_response():
    history = outcomes([ev(30, "40"), ev(60, "3"), ev(120, "5.1"), ev(150, "30")], RULES, D(5))
    assert [(o.category, o.relapse) for o in history] == [
        ("no_response", False),
        ("cr", False),
        ("no_response", True),
        ("no_response", False),
    ]


def test_blasts_from_recovery_or_extramedullary_disease():
    recovery = outcomes([ev(30, "2"), ev(60, "8", blasts_due_to_recovery=True)], RULES, D(5))
    assert [o.relapse for o in recovery] == [False, False]
    emd = outcomes([ev(30, "2"), ev(60, "1", extramedullary=True)], RULES, D(5))
    assert [o.relapse for o in emd] == [False, True]


def test_best_response_across_assessments():
    history = outcomes([ev(30, "3", anc="0.5", plt="50"), ev(60, "3", plt="80"), ev(90, "3")], RULES, D(5))
    assert [o.category for o in history] == ["cri", "crp", "cr"]
    assert best_response(history) == "cr"
    assert best_response(outcomes([ev(30, "3", plt="80"), ev(60, "40")], RULES, D(5))) == "crp"


def test_endpoints_with_censoring_relapse_and_death():
    history = outcomes(
        [ev(28, "2", mrd_flow="detected"), ev(90, "1", mrd_flow="not_detected"), ev(200, "20")], RULES, D(5)
    )
    e = endpoints(
        treatment_start=START, history=history, death_date=START + timedelta(days=400), last_contact=None,
        early_death_days=28, abnormal_karyotype=False,
    )  # fmt: skip
    assert (e.best_response, e.time_to_response_days, e.mrd_negative_at_response, e.mrd_negative_any_time) == (
        "cr", 28, False, True,
    )  # fmt: skip
    assert (e.os_days, e.os_event, e.rfs_days, e.rfs_event) == (400, True, 172, True)
    alive = endpoints(
        treatment_start=START, history=history[:2], death_date=None, last_contact=START + timedelta(days=500),
        early_death_days=28, abnormal_karyotype=False,
    )  # fmt: skip
    assert (alive.os_days, alive.os_event, alive.rfs_days, alive.rfs_event) == (500, False, 472, False)


@pytest.mark.parametrize(("days", "early"), [(28, True), (29, False)])
def test_early_death_at_28_vs_29_days(days, early):
    e = endpoints(
        treatment_start=START, history=[], death_date=START + timedelta(days=days), last_contact=None,
        early_death_days=28, abnormal_karyotype=None,
    )  # fmt: skip
    assert e.early_death is early
    assert e.best_response == (EARLY_DEATH if early else "not_evaluable")
    assert (e.os_days, e.os_event, e.rfs_days) == (days, True, None)


def test_death_before_any_response_has_no_rfs_and_counts_as_no_response():
    history = outcomes([ev(28, "60")], RULES, D(5))
    e = endpoints(
        treatment_start=START, history=history, death_date=START + timedelta(days=70), last_contact=None,
        early_death_days=28, abnormal_karyotype=True,
    )  # fmt: skip
    assert (e.best_response, e.responded, e.rfs_days, e.rfs_event, e.cytogenetic_response) == (
        "no_response", False, None, None, None,
    )  # fmt: skip


def test_cytogenetic_response_needs_an_abnormal_karyotype():
    history = outcomes([ev(28, "2", cytogenetics="normalised")], RULES, D(5))
    kw = {
        "treatment_start": START,
        "history": history,
        "death_date": None,
        "last_contact": None,
        "early_death_days": 28,
    }
    assert endpoints(**kw, abnormal_karyotype=True).cytogenetic_response is True
    assert endpoints(**kw, abnormal_karyotype=False).cytogenetic_response is None
