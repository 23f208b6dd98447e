"""Response, relapse and endpoints at every threshold (no database)."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from responses.derivations import (
    AFTER_COURSE_1,
    DONE,
    DONE_LATE,
    DUE,
    EARLY_DEATH,
    NOT_EXPECTED,
    NOT_YET_DUE,
    OVERDUE,
    AssessmentSchedule,
    CourseStart,
    Evaluation,
    RuleSpec,
    assessment_expectations,
    best_response,
    classify,
    endpoints,
    outcomes,
)

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


# --- Marrow evaluations due: one definition for the "Marrow due" list and DEV-11 ----------------------------

SCHEDULE = AssessmentSchedule(
    after_course_1_days=28,
    after_course_1_grace_days=14,
    every_courses_min=2,
    every_courses_max=4,
    maintenance_months_min=3,
    maintenance_months_max=6,
)
C1 = date(2024, 1, 3)


def first_after_course_1(day, marrows=(), ended=None):
    [first] = [
        e
        for e in assessment_expectations(
            courses=[CourseStart(C1)],
            marrows=marrows,
            schedule=SCHEDULE,
            today=C1 + timedelta(days=day),
            ended_on=ended,
        )
        if e.kind == AFTER_COURSE_1
    ]
    return first


@pytest.mark.parametrize(
    ("day", "state", "listed", "deviation"),
    [
        (27, NOT_YET_DUE, False, False),
        (28, DUE, True, False),
        (29, DUE, True, False),
        (42, DUE, True, False),
        (43, OVERDUE, True, True),
    ],
)
def test_first_marrow_due_from_day_28_overdue_from_day_43(day, state, listed, deviation):
    first = first_after_course_1(day)
    assert (first.due_on, first.overdue_from) == (C1 + timedelta(days=28), C1 + timedelta(days=43))
    assert first.last_day_in_time == C1 + timedelta(days=42)
    assert (first.state, first.listed, first.deviation) == (state, listed, deviation)


@pytest.mark.parametrize(("marrow_day", "state"), [(1, DONE), (42, DONE), (43, DONE_LATE)])
def test_first_marrow_done_in_time_or_late(marrow_day, state):
    first = first_after_course_1(60, marrows=[C1 + timedelta(days=marrow_day)])
    assert (first.state, first.done_on, first.listed) == (state, C1 + timedelta(days=marrow_day), False)
    assert first.deviation is (state == DONE_LATE)


def test_marrow_on_or_before_course_1_start_is_not_the_evaluation_after_it():
    first = first_after_course_1(43, marrows=[C1 - timedelta(days=5), C1])
    assert first.state == OVERDUE


def test_marrow_recorded_after_today_is_not_yet_known():
    assert first_after_course_1(43, marrows=[C1 + timedelta(days=50)]).state == OVERDUE


@pytest.mark.parametrize(("ended_day", "state"), [(42, NOT_EXPECTED), (43, OVERDUE)])
def test_not_expected_of_a_patient_who_ended_before_it_was_overdue(ended_day, state):
    assert first_after_course_1(60, ended=C1 + timedelta(days=ended_day)).state == state


def test_nothing_expected_before_course_1():
    assert assessment_expectations(courses=[], marrows=[], schedule=SCHEDULE, today=C1) == []
    assert (
        assessment_expectations(courses=[CourseStart(C1)], marrows=[], schedule=SCHEDULE, today=C1 - timedelta(1)) == []
    )


def _later(today, courses, marrows):
    found = assessment_expectations(courses=courses, marrows=marrows, schedule=SCHEDULE, today=today)
    assert found[0].kind == AFTER_COURSE_1 and found[0].state == DONE
    [later] = found[1:]
    return later


def test_every_2_to_4_courses_due_from_the_2nd_course_since_overdue_from_the_5th():
    courses = [CourseStart(C1 + timedelta(days=28 * n)) for n in range(7)]
    marrow = C1 + timedelta(days=27)  # before course 2
    day = lambda n: C1 + timedelta(days=28 * n)  # noqa: E731  course n + 1 starts
    assert _later(day(1), courses, [marrow]).state == NOT_YET_DUE
    due = _later(day(2), courses, [marrow])
    assert (due.state, due.due_on, due.overdue_from, due.overdue_with_course) == (DUE, day(2), None, 6)
    assert due.reason == "2 courses since the last evaluation (due every 2–4)"
    assert _later(day(4), courses, [marrow]).state == DUE
    overdue = _later(day(5), courses, [marrow])
    assert (overdue.state, overdue.due_on, overdue.overdue_from) == (OVERDUE, day(2), day(5))
    assert overdue.overdue_with_course is None


def test_maintenance_due_3_months_after_the_last_marrow_overdue_after_6():
    courses = [CourseStart(C1), CourseStart(date(2024, 2, 1), maintenance=True)]
    marrows = [date(2024, 1, 30), date(2024, 3, 1)]
    assert _later(date(2024, 5, 31), courses, marrows).state == NOT_YET_DUE
    due = _later(date(2024, 6, 1), courses, marrows)
    assert (due.state, due.due_on, due.overdue_from) == (DUE, date(2024, 6, 1), date(2024, 9, 2))
    assert _later(date(2024, 9, 1), courses, marrows).state == DUE
    assert _later(date(2024, 9, 2), courses, marrows).state == OVERDUE
