"""Dose arithmetic by hand-worked cases (no database)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from dosing.derivations.doses import (
    absolute_dose,
    bsa_m2,
    contiguous_runs,
    given_per_m2,
    hold_days_for,
    next_dose_time,
    percent_off_plan,
    plan_course,
    round_per_m2,
)
from trial.models import Drug, DrugHoldRule, RegimenItem


@pytest.mark.parametrize(
    ("height", "weight", "bsa"),
    [
        # √(170 × 70 / 3600) = √3.30556 = 1.8181… → 1.82
        ("170", "70", "1.82"),
        # √(160 × 50 / 3600) = √2.2222 = 1.4907 → 1.49
        ("160", "50", "1.49"),
        # √(180 × 90 / 3600) = √4.5 = 2.1213 → 2.12
        ("180", "90", "2.12"),
    ],
)
def test_mosteller_bsa(height, weight, bsa):
    assert bsa_m2(Decimal(height), Decimal(weight)) == Decimal(bsa)


def test_du_bois_bsa_170_70():
    # 0.007184 × 170^0.725 × 70^0.425 = 1.8097… → 1.81
    assert bsa_m2(Decimal(170), Decimal(70), "du_bois") == Decimal("1.81")


@pytest.mark.parametrize(
    ("amount", "unit", "dose", "abs_unit"),
    [
        ("150", "mg/m2", "273.00", "mg"),  # cyclophosphamide 150 mg/m² × 1.82
        ("0.5", "g/m2", "0.910", "g"),  # cytarabine 0.5 g/m² × 1.82
        ("0.6", "mg/m2", "1.09", "mg"),  # inotuzumab 0.6 mg/m² × 1.82 = 1.092
        ("2", "mg", "2.00", "mg"),  # vincristine flat, not scaled
        ("28", "ug/day", "28.0", "ug/day"),  # blinatumomab, not scaled
    ],
)
def test_absolute_dose(amount, unit, dose, abs_unit):
    assert absolute_dose(Decimal(amount), unit, Decimal("1.82")) == (Decimal(dose), abs_unit)


def test_bad_body_size_is_refused():
    with pytest.raises(ValueError):
        bsa_m2(Decimal(0), Decimal(70))


def test_runs_and_holds():
    assert contiguous_runs([11, 1, 2, 3, 4, 12]) == [(1, 4), (11, 12)]
    vincristine = Drug(id=1, code="vincristine", name="Vincristine")
    item = RegimenItem(drug=vincristine, days=[1, 8])
    rule = DrugHoldRule(held_drug_class="azole", anchor_drug_id=1, days_before=1, days_after=1)
    assert hold_days_for("azole", [item], [rule]) == [0, 1, 2, 7, 8, 9]


def test_q12h_gives_two_doses_a_day_and_holds_skip_single_doses():
    cyclo = Drug(id=2, code="cyclophosphamide", name="Cyclophosphamide")
    item = RegimenItem(
        drug=cyclo, dose_amount=Decimal(150), dose_unit="mg/m2", route="IV", frequency="q12h", doses_per_day=2,
        days=[1, 2, 3],
    )  # fmt: skip
    plan = plan_course([item], start_date=date(2024, 1, 1), bsa=Decimal("1.82"))
    assert [(p.day, p.dose_number, p.planned_dose) for p in plan] == [
        (d, n, Decimal("273.00")) for d in (1, 2, 3) for n in (1, 2)
    ]
    assert plan[-1].planned_date == date(2024, 1, 3)


def test_dose_given_as_planned_counts_exactly_its_planned_per_m2():
    assert given_per_m2(
        dose_given=Decimal("1.09"), planned_dose=Decimal("1.09"), dose_per_m2=Decimal("0.6"), bsa=Decimal("1.82")
    ) == Decimal("0.6")
    half = given_per_m2(
        dose_given=Decimal("0.545"), planned_dose=Decimal("1.09"), dose_per_m2=Decimal("0.6"), bsa=Decimal("1.82")
    )
    assert half == Decimal("0.3")


@pytest.mark.parametrize(
    ("amount", "kept"),
    [
        (Decimal("1.23456"), Decimal("1.2346")),
        (Decimal(2) / Decimal(3) * 3, Decimal("2.0000")),  # 1.99999… is 2 mg/m²
        (Decimal("3.50005"), Decimal("3.5000")),  # half to even: noise past 4 decimals never crosses 3.5
        (Decimal("0.1"), Decimal("0.1000")),
    ],
)
def test_per_m2_amounts_are_kept_to_four_decimals(amount, kept):
    assert round_per_m2(amount) == kept
    assert str(round_per_m2(amount)) == str(kept)


def test_next_dose_of_the_day_follows_the_interval():
    first = datetime(2024, 1, 3, 7, 30)

    assert next_dose_time(
        earlier_given_at=first, earlier_number=1, number=2, interval_hours=12, doses_per_day=2
    ) == datetime(2024, 1, 3, 19, 30)
    assert next_dose_time(
        earlier_given_at=first, earlier_number=1, number=3, interval_hours=None, doses_per_day=3
    ) == datetime(2024, 1, 4, 0, 0) - timedelta(minutes=30)


def test_percent_off_plan_is_a_deviation_only_past_the_tolerance_without_a_reduction():
    kwargs = {"planned_dose": Decimal(273), "tolerance_percent": Decimal(10)}

    assert percent_off_plan(dose_given=Decimal("136.5"), reduction_percent=None, **kwargs) == Decimal(50)
    assert percent_off_plan(dose_given=Decimal("136.5"), reduction_percent=Decimal(50), **kwargs) is None
    assert percent_off_plan(dose_given=Decimal(250), reduction_percent=None, **kwargs) is None
    assert (
        percent_off_plan(dose_given=Decimal(1), reduction_percent=None, planned_dose=None, tolerance_percent=10) is None
    )
