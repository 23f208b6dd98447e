"""CTCAE lab grading by the shipped rules.

The expected grades are read off NCI's CTCAE v5.0 grade text (quoted above each test), not computed from the
rules file; values sit on and just past each boundary. Most tests need no database: they grade with the rules as
read from the shipped file. The last ones read the rules loaded into the test database.
"""

import csv
from decimal import Decimal
from functools import cache

import pytest

from adverse_events.derivations.grading import (
    LabRuleError,
    LabRuleSpec,
    LabValues,
    UnknownLabTest,
    grade_lab,
    matching_rule,
    parse_condition,
)
from adverse_events.dictionary import DEFAULT_DIRECTORY, LAB_COLUMNS, ctcae_read
from adverse_events.models import LabGradingRule, LabResult
from adverse_events.selectors import clear_lab_rules_cache, grade_result, lab_tests, rules_for

LAB_FILE = DEFAULT_DIRECTORY / "ctcae_v5_lab_grading.csv"


@cache
def shipped_rules() -> dict[tuple, tuple[LabRuleSpec, ...]]:
    """The shipped rules as specs, by (lab term, unit system, unit), read and validated without the database."""
    by_test: dict[tuple, list[LabRuleSpec]] = {}
    for values in ctcae_read(DEFAULT_DIRECTORY).lab_rules:
        spec = LabRuleSpec(**{k: v for k, v in values.items() if k not in ("direction", "ctcae_term")})
        by_test.setdefault(spec.test, []).append(spec)
    return {test: tuple(specs) for test, specs in by_test.items()}


def rules(lab_term, unit_system="SI", unit=""):
    return shipped_rules()[(lab_term, unit_system, unit)]


def grade(lab_term, value, *, unit_system="SI", unit="", **reference):
    return grade_lab(rules(lab_term, unit_system, unit), value=value, **reference)


# --------------------------------------------------------------------------------------------
# The rule language
# --------------------------------------------------------------------------------------------


def test_every_condition_in_the_shipped_file_is_understood():
    with LAB_FILE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == LAB_COLUMNS and len(rows) == 569
    conditions = {row["condition"] for row in rows}
    extras = {row["extra_condition"] for row in rows if row["extra_condition"]}
    for text in conditions | extras:
        assert parse_condition(text), text
    # ...and every rule, with its structured columns checked against its condition.
    assert sum(len(specs) for specs in shipped_rules().values()) == 569
    assert len({lab_term for lab_term, _system, _unit in shipped_rules()}) == 40


@pytest.mark.parametrize(
    "condition",
    [
        "result is unknown",
        "result ≥ 5",
        "result > 5 * ALT",
        "result > ULN * 5",
        "(result > ULN)",
        "result > ULN and baseline is present",
        "otherwise AND result > 1",
        "baseline_range_indicator is LOW",
        "pct_change_from_baseline <= ULN",
        "",
    ],
)
def test_a_condition_it_does_not_understand_is_refused(condition):
    with pytest.raises(LabRuleError, match="not understood|must stand alone"):
        LabRuleSpec("Test", "SI", "", 1, 1, condition)


def test_columns_that_disagree_with_the_condition_are_refused():
    ok = LabRuleSpec("Test", "SI", "", 1, 2, "result > 1.5 * ULN", ">", "ULN", Decimal("1.5"))
    assert ok.groups
    with pytest.raises(LabRuleError, match="do not say the same"):
        LabRuleSpec("Test", "SI", "", 1, 2, "result > 1.5 * ULN", ">", "ULN", Decimal("2.5"))
    with pytest.raises(LabRuleError, match="do not say the same"):
        LabRuleSpec("Test", "SI", "", 1, 2, "result > 1.5 * ULN", ">=", "ULN", Decimal("1.5"))
    with pytest.raises(LabRuleError, match="do not say the same"):
        LabRuleSpec(
            "Test", "SI", "", 1, 2, "result > 1.5 * ULN", ">", "ULN", Decimal("1.5"), extra_condition="ULN is present"
        )
    with pytest.raises(LabRuleError, match="grade must be"):
        LabRuleSpec("Test", "SI", "", 1, 5, "otherwise")


def test_rules_of_two_tests_cannot_be_mixed():
    mixed = rules("Neutrophil count decreased", unit="10^9/L") + rules("Platelet count decreased", unit="10^9/L")
    with pytest.raises(LabRuleError, match="more than one lab test"):
        grade_lab(mixed, value=1)


# --------------------------------------------------------------------------------------------
# Counts: absolute thresholds, then the LLN
# --------------------------------------------------------------------------------------------

NEUTROPHILS = "Neutrophil count decreased"
PLATELETS = "Platelet count decreased"


@pytest.mark.parametrize(
    "value, expected",
    [
        # Grade 4 <0.5 × 10e9/L; grade 3 <1.0 - 0.5; grade 2 <1.5 - 1.0; grade 1 <LLN - 1.5 (LLN 2.0 here).
        ("0.49", 4),
        ("0.5", 3),
        ("0.99", 3),
        ("1.0", 2),
        ("1.49", 2),
        ("1.5", 1),
        ("1.99", 1),
        ("2.0", 0),
        ("7.5", 0),
    ],
)
def test_neutrophil_count_decreased_si(value, expected):
    assert grade(NEUTROPHILS, Decimal(value), unit="10^9/L", lln=Decimal("2.0")) == expected


def test_neutrophil_count_needs_the_lln_only_above_the_grade_2_threshold():
    assert grade(NEUTROPHILS, Decimal("1.2"), unit="10^9/L") == 2
    assert grade(NEUTROPHILS, Decimal("1.6"), unit="10^9/L") is None
    assert grade(NEUTROPHILS, None, unit="10^9/L", lln=Decimal("2.0")) is None


def test_neutrophil_count_in_us_conventional_units():
    us = {"unit_system": "US_conventional"}
    assert grade(NEUTROPHILS, "0.49", unit="10^3/uL", lln="1.8", **us) == 4
    assert grade(NEUTROPHILS, "1.6", unit="10^3/uL", lln="1.8", **us) == 1
    # admiral's legacy "10^3/mL" is cells per mm³ (10^3 per mL = 1 per µL): <500/mm3 is grade 4.
    assert grade(NEUTROPHILS, "490", unit="10^3/mL", lln="1800", **us) == 4
    assert grade(NEUTROPHILS, "1600", unit="10^3/mL", lln="1800", **us) == 1


@pytest.mark.parametrize(
    "value, expected",
    [
        # Grade 4 <25.0 × 10e9/L; grade 3 <50.0 - 25.0; grade 2 <75.0 - 50.0; grade 1 <LLN - 75.0 (LLN 150).
        ("24.9", 4),
        ("25", 3),
        ("49.9", 3),
        ("50", 2),
        ("74.9", 2),
        ("75", 1),
        ("149", 1),
        ("150", 0),
    ],
)
def test_platelet_count_decreased_si(value, expected):
    assert grade(PLATELETS, Decimal(value), unit="10^9/L", lln=Decimal("150")) == expected


def test_float_noise_does_not_cross_a_threshold():
    # admiral compares after signif(x, 15), and so does the engine: float noise stays on its side of a threshold.
    assert 0.3 - 0.1 < 0.2  # 0.19999999999999998
    assert grade("Lymphocyte count decreased", 0.3 - 0.1, unit="10^9/L", lln=1) == 3  # 0.2: "<0.5 - 0.2" is grade 3
    assert grade(PLATELETS, 24.999999999999996, unit="10^9/L", lln=150) == 3  # 25: "<50.0 - 25.0" is grade 3


# --------------------------------------------------------------------------------------------
# Blood bilirubin increased: × ULN if the baseline was normal, × baseline if it was above the ULN
# --------------------------------------------------------------------------------------------

BILIRUBIN = "Blood bilirubin increased"
BILIRUBIN_ULN = Decimal("21")  # µmol/L


@pytest.mark.parametrize(
    "value, expected",
    [
        # >ULN - 1.5 × ULN: 1; >1.5 - 3.0 × ULN: 2; >3.0 - 10.0 × ULN: 3; >10.0 × ULN: 4 (baseline normal).
        ("21", 0),
        ("21.1", 1),
        ("31.5", 1),
        ("31.6", 2),
        ("63", 2),
        ("63.1", 3),
        ("210", 3),
        ("210.1", 4),
    ],
)
def test_bilirubin_with_a_normal_baseline_is_graded_against_the_uln(value, expected):
    assert grade(BILIRUBIN, Decimal(value), uln=BILIRUBIN_ULN, baseline=Decimal("12")) == expected
    # A missing baseline is not "HIGH": the ULN branch applies, as in admiral.
    assert grade(BILIRUBIN, Decimal(value), uln=BILIRUBIN_ULN) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        # Baseline 30 > ULN 21: >1.0 - 1.5 × baseline: 1; >1.5 - 3.0: 2; >3.0 - 10.0: 3; >10.0 × baseline: 4.
        ("25", 0),  # above the ULN, but not above the (abnormal) baseline
        ("30", 0),
        ("30.1", 1),
        ("45", 1),
        ("45.1", 2),
        ("90", 2),
        ("90.1", 3),
        ("300", 3),
        ("300.1", 4),
    ],
)
def test_bilirubin_with_a_high_baseline_is_graded_against_the_baseline(value, expected):
    assert grade(BILIRUBIN, Decimal(value), uln=BILIRUBIN_ULN, baseline=Decimal("30")) == expected


def test_bilirubin_baseline_at_the_uln_is_not_high():
    assert grade(BILIRUBIN, Decimal("32"), uln=BILIRUBIN_ULN, baseline=BILIRUBIN_ULN) == 2  # 32 > 1.5 × ULN


def test_the_matching_rule_explains_the_grade():
    rule = matching_rule(rules(BILIRUBIN), value=Decimal("100"), uln=BILIRUBIN_ULN, baseline=Decimal("30"))
    assert (rule.grade, rule.condition) == (3, "baseline_range_indicator is HIGH AND result > 3 * baseline")


# --------------------------------------------------------------------------------------------
# Creatinine increased: × ULN, and × baseline for grades 2 and 3
# --------------------------------------------------------------------------------------------

CREATININE = "Creatinine increased"
CREATININE_ULN = Decimal("100")  # µmol/L


@pytest.mark.parametrize(
    "value, expected",
    [
        # >ULN - 1.5 × ULN: 1; >1.5 - 3.0 × ULN: 2; >3.0 - 6.0 × ULN: 3; >6.0 × ULN: 4.
        ("100", 0),
        ("101", 1),
        ("150", 1),
        ("151", 2),
        ("300", 2),
        ("301", 3),
        ("600", 3),
        ("601", 4),
    ],
)
def test_creatinine_against_the_uln(value, expected):
    assert grade(CREATININE, Decimal(value), uln=CREATININE_ULN) == expected
    # A baseline at the ULN changes nothing: its multiples are the ULN's.
    assert grade(CREATININE, Decimal(value), uln=CREATININE_ULN, baseline=CREATININE_ULN) == expected


@pytest.mark.parametrize(
    "value, uln, expected",
    [
        # Baseline 40: >1.5 - 3.0 × baseline: 2; >3.0 × baseline: 3, even within the normal range.
        ("60", "100", 0),
        ("61", "100", 2),
        ("120", "100", 2),
        ("121", "100", 3),
        # Without a ULN the baseline rules still grade 2 and 3; below them the value cannot be graded.
        ("121", None, 3),
        ("61", None, 2),
        ("60", None, None),
        # A rise by the ULN rules wins when it gives the higher grade.
        ("700", "100", 4),
    ],
)
def test_creatinine_against_the_baseline(value, uln, expected):
    assert grade(CREATININE, Decimal(value), uln=uln and Decimal(uln), baseline=Decimal("40")) == expected


def test_missing_uln_is_not_gradable():
    assert grade(CREATININE, Decimal("130")) is None
    assert grade(BILIRUBIN, Decimal("130"), baseline=Decimal("10")) is None
    assert grade("Alanine aminotransferase increased", Decimal("500")) is None
    assert grade("Alanine aminotransferase increased", Decimal("500"), uln=Decimal("40")) == 3  # >5 - 20 × ULN


# --------------------------------------------------------------------------------------------
# Other shapes of rule: offsets from the ULN, percentage change from baseline
# --------------------------------------------------------------------------------------------


def test_hemoglobin_increased_by_offsets_above_the_uln():
    # Increase in >0 - 2 g/dL: 1; >2 - 4 g/dL: 2; >4 g/dL: 3 (20 and 40 g/L in SI).
    hb = {"unit": "g/L", "uln": Decimal("160")}
    assert [grade("Hemoglobin increased", Decimal(v), **hb) for v in ("160", "161", "180", "181", "200", "201")] == [
        0,
        1,
        1,
        2,
        2,
        3,
    ]


def test_fibrinogen_decrease_from_baseline():
    # <0.75 - 0.5 × LLN: 2, or if abnormal a 25 - <50% decrease from baseline: 2.
    fib = {"unit": "g/L", "lln": Decimal("2.0")}
    assert grade("Fibrinogen decreased", Decimal("1.9"), **fib) == 1
    assert grade("Fibrinogen decreased", Decimal("1.9"), baseline=Decimal("2.5"), **fib) == 1  # −24 %
    assert grade("Fibrinogen decreased", Decimal("1.875"), baseline=Decimal("2.5"), **fib) == 2  # −25 %
    assert grade("Fibrinogen decreased", Decimal("1.25"), baseline=Decimal("2.5"), **fib) == 3  # −50 %
    assert grade("Fibrinogen decreased", Decimal("0.6"), baseline=Decimal("2.5"), **fib) == 4  # −76 %
    assert grade("Fibrinogen decreased", Decimal("0.4"), **fib) == 4  # absolute <0.5 g/L


# --------------------------------------------------------------------------------------------
# Reading the rules loaded into the database
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_cache():
    clear_lab_rules_cache()
    yield
    clear_lab_rules_cache()


@pytest.mark.django_db
def test_lab_tests_lists_each_gradable_test_with_its_ctcae_term(django_assert_num_queries):
    with django_assert_num_queries(1):
        tests = lab_tests()
    assert len(tests) == 86  # 40 SI tests, 46 US conventional
    hypocalcemia = {t for t in tests if t.lab_term == "Hypocalcemia (Ionized)"}
    assert {(t.unit_system, t.unit, t.ctcae_term, t.meddra_code, t.direction) for t in hypocalcemia} == {
        ("SI", "MMOL/L", "Hypocalcemia", "10020949", "L"),
        ("US_conventional", "mg/dL", "Hypocalcemia", "10020949", "L"),
    }
    assert lab_tests("5.0") == tests and lab_tests("4.03") == []


@pytest.mark.django_db
def test_grade_result_reads_the_rules_once(fresh_cache, django_assert_num_queries):
    values = {"lab_term": NEUTROPHILS, "unit": "10^9/L", "value": Decimal("0.4"), "lln": Decimal("1.8")}
    with django_assert_num_queries(1):
        assert grade_result(values) == 4
    with django_assert_num_queries(0):
        assert grade_result(values | {"value": Decimal("1.2")}) == 2
        assert grade_result(LabValues(**values | {"value": Decimal("1.8")})) == 0


@pytest.mark.django_db
def test_grade_result_of_a_lab_result(fresh_cache):
    result = LabResult(
        lab_term=CREATININE,
        unit="umol/L",  # the creatinine rules read only ULN and baseline, so any unit is accepted
        value=Decimal("130"),
        upper_limit_normal=None,
        baseline_value=Decimal("40"),
    )
    assert grade_result(result) == 3
    result.baseline_value = None
    assert grade_result(result) is None


@pytest.mark.django_db
def test_grade_result_matches_the_unit(fresh_cache):
    potassium = {"lab_term": "Hypokalemia", "value": Decimal("2.4"), "lln": Decimal("3.5")}
    assert grade_result(potassium | {"unit": "mmol/L"}) == 4  # the file writes MMOL/L
    with pytest.raises(UnknownLabTest, match="graded in MMOL/L, not in 'mg/dL'"):
        grade_result(potassium | {"unit": "mg/dL"})
    with pytest.raises(UnknownLabTest, match="no CTCAE lab-grading rules for 'Hyperglycemia'"):
        grade_result({"lab_term": "Hyperglycemia", "value": 20})


@pytest.mark.django_db
def test_rules_in_the_database_are_the_shipped_rules(fresh_cache):
    for (lab_term, unit_system, unit), specs in shipped_rules().items():
        assert rules_for(lab_term, unit_system, unit) == specs
    assert LabGradingRule.objects.filter(version__code="5.0").count() == 569
