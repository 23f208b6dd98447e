"""Derived baseline values at their boundaries (pure functions, no database)."""

from datetime import date
from decimal import Decimal

import pytest

from patients.choices import KaryotypeGroup, SalvageStatus, YesNoUnknown
from patients.derivations.baseline import age_at, high_risk_cytogenetics, rituximab_indicated, salvage_status

CRD1_THRESHOLD = Decimal("12")
YES, NO, UNKNOWN = YesNoUnknown.YES, YesNoUnknown.NO, YesNoUnknown.UNKNOWN


@pytest.mark.parametrize(
    ("primary_refractory", "crd1_months", "prior_lines", "expected"),
    [
        (True, None, 0, SalvageStatus.S1_PRIMARY_REFRACTORY),
        (False, Decimal("11.9"), 0, SalvageStatus.S1_CRD1_SHORT),
        (False, Decimal("12.0"), 0, SalvageStatus.S1_CRD1_LONG),
        (False, Decimal("0"), 0, SalvageStatus.S1_CRD1_SHORT),
        (False, Decimal("40"), 0, SalvageStatus.S1_CRD1_LONG),
        (False, Decimal("30"), 1, SalvageStatus.S2),
        (True, None, 1, SalvageStatus.S2),
        (False, Decimal("5"), 2, SalvageStatus.S3_PLUS),
        (None, None, 5, SalvageStatus.S3_PLUS),
    ],
)
def test_every_salvage_class(primary_refractory, crd1_months, prior_lines, expected):
    status = salvage_status(
        primary_refractory=primary_refractory,
        first_remission_duration_months=crd1_months,
        prior_salvage_lines=prior_lines,
        crd1_threshold_months=CRD1_THRESHOLD,
    )
    assert status == expected


@pytest.mark.parametrize(
    ("primary_refractory", "crd1_months", "prior_lines"),
    [
        (False, Decimal("20"), None),  # prior salvage lines not recorded
        (None, None, 0),  # salvage 1, but how the first remission went is not recorded
        (False, None, 0),  # not primary refractory, first remission duration not recorded
    ],
)
def test_salvage_status_needs_its_inputs(primary_refractory, crd1_months, prior_lines):
    status = salvage_status(
        primary_refractory=primary_refractory,
        first_remission_duration_months=crd1_months,
        prior_salvage_lines=prior_lines,
        crd1_threshold_months=CRD1_THRESHOLD,
    )
    assert status is None


def test_the_crd1_threshold_is_the_callers():
    kwargs = {"primary_refractory": False, "first_remission_duration_months": Decimal("8"), "prior_salvage_lines": 0}
    assert salvage_status(**kwargs, crd1_threshold_months=12) == SalvageStatus.S1_CRD1_SHORT
    assert salvage_status(**kwargs, crd1_threshold_months=6) == SalvageStatus.S1_CRD1_LONG


@pytest.mark.parametrize(
    ("karyotype", "kmt2a", "low_hypo", "expected"),
    [
        (KaryotypeGroup.KMT2A, "", "", True),
        (KaryotypeGroup.LOW_HYPODIPLOIDY, "", "", True),
        (KaryotypeGroup.DIPLOID, YES, NO, True),  # cryptic KMT2A found by FISH
        ("", "", YES, True),
        (KaryotypeGroup.COMPLEX, UNKNOWN, UNKNOWN, False),
        (KaryotypeGroup.DIPLOID, "", "", False),
        ("", NO, NO, False),
        (KaryotypeGroup.INSUFFICIENT, NO, NO, False),
        (KaryotypeGroup.INSUFFICIENT, NO, UNKNOWN, None),
        ("", "", "", None),
        (KaryotypeGroup.INSUFFICIENT, UNKNOWN, "", None),
    ],
)
def test_high_risk_cytogenetics(karyotype, kmt2a, low_hypo, expected):
    result = high_risk_cytogenetics(
        karyotype_group=karyotype, kmt2a_rearranged=kmt2a, low_hypodiploidy_near_triploidy=low_hypo
    )
    assert result is expected


@pytest.mark.parametrize(
    ("cd20", "expected"),
    [(Decimal("19.9"), False), (Decimal("19.99"), False), (Decimal("20"), True), (Decimal("20.00"), True),
     (Decimal("100"), True), (Decimal("0"), False), (None, None)],
)  # fmt: skip
def test_rituximab_from_cd20_threshold(cd20, expected):
    assert rituximab_indicated(cd20, Decimal("20.0000")) is expected


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1960, 6, 15), date(2015, 6, 14), 54),
        (date(1960, 6, 15), date(2015, 6, 15), 55),
        (date(1960, 6, 15), date(2015, 6, 16), 55),
        (date(1960, 12, 31), date(2016, 1, 1), 55),
        # Born on 29 February: a year older on 1 March in common years, on 29 February in leap years.
        (date(1996, 2, 29), date(2015, 2, 28), 18),
        (date(1996, 2, 29), date(2015, 3, 1), 19),
        (date(1996, 2, 29), date(2016, 2, 28), 19),
        (date(1996, 2, 29), date(2016, 2, 29), 20),
        # Registered on 29 February, born on 28 February or 1 March.
        (date(1980, 2, 28), date(2016, 2, 29), 36),
        (date(1980, 3, 1), date(2016, 2, 29), 35),
        (date(1990, 5, 5), date(1990, 5, 5), 0),
    ],
)
def test_age_in_whole_years(born, on, age):
    assert age_at(born, on) == age


@pytest.mark.parametrize(
    ("born", "on"), [(None, date(2016, 1, 1)), (date(1960, 1, 1), None), (date(2020, 1, 2), date(2020, 1, 1))]
)
def test_age_needs_both_dates_in_order(born, on):
    assert age_at(born, on) is None
