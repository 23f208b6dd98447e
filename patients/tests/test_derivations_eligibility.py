"""Pure eligibility evaluation at its boundaries (no database)."""

from decimal import Decimal

import pytest

from patients.derivations.eligibility import MET, MISSING, NOT_MET, CriterionSpec, evaluate, evaluate_criterion

BILIRUBIN = CriterionSpec("bilirubin", "inclusion", "bilirubin", "bilirubin_mg_dl", "<=", Decimal("1.95"), unit="mg/dL")
EF = CriterionSpec("ef", "inclusion", "EF", "ejection_fraction_percent", ">", Decimal("50"), unit="%")
PH = CriterionSpec("ph", "inclusion", "Ph-negative", "ph_status", "==", allowed_values=("negative",))
INFECTION = CriterionSpec("inf", "exclusion", "infection", "uncontrolled_infection", "==", allowed_values=(False,))


@pytest.mark.parametrize(
    ("criterion", "value", "status"),
    [
        (BILIRUBIN, Decimal("1.95"), MET),
        (BILIRUBIN, Decimal("1.96"), NOT_MET),
        (BILIRUBIN, None, MISSING),
        (EF, Decimal("50"), NOT_MET),
        (EF, Decimal("50.01"), MET),
        (PH, "negative", MET),
        (PH, "positive", NOT_MET),
        (PH, "", MISSING),
        (INFECTION, False, MET),
        (INFECTION, True, NOT_MET),
        (INFECTION, None, MISSING),
    ],
)
def test_boundaries(criterion, value, status):
    assert evaluate_criterion(criterion, value).status == status


def test_requirement_reads_as_words():
    assert BILIRUBIN.requirement == "≤ 1.95 mg/dL"
    assert EF.requirement == "> 50 %"
    assert PH.requirement == "negative"


def test_evaluate_reads_each_variable():
    results = evaluate([BILIRUBIN, EF], {"bilirubin_mg_dl": Decimal("2.5")})
    assert [(r.criterion.code, r.status) for r in results] == [("bilirubin", NOT_MET), ("ef", MISSING)]
