"""Dose arithmetic and course planning: pure functions over plain values and unsaved protocol rows.

Nothing here reads or writes the database; services call these with the regimen items that apply.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from trial.choices import BSAFormula, DoseUnit, Frequency, Route

from ..choices import DoseAmountUnit

BSA_PLACES = Decimal("0.01")
# Per-m² amounts (planned per-m² doses, cumulative mg/m² and the like) are kept, shown and compared to 4 decimals,
# so arithmetic noise far below a measurable dose never moves a total across a maximum.
PER_M2_DECIMALS = 4
PER_M2_PLACES = Decimal(1).scaleb(-PER_M2_DECIMALS)
# How finely an absolute dose is written down, by unit (pharmacy rounding, not a protocol fact).
DOSE_PLACES = {
    DoseAmountUnit.MG: Decimal("0.01"),
    DoseAmountUnit.G: Decimal("0.001"),
    DoseAmountUnit.UG_PER_DAY: Decimal("0.1"),
}
ABSOLUTE_UNIT = {
    DoseUnit.MG_PER_M2: DoseAmountUnit.MG,
    DoseUnit.G_PER_M2: DoseAmountUnit.G,
    DoseUnit.MG: DoseAmountUnit.MG,
    DoseUnit.UG_PER_DAY: DoseAmountUnit.UG_PER_DAY,
}
# Given as one planned period rather than dose by dose: infusions, as-needed supportive care, daily oral drugs.
PERIOD_FREQUENCIES = {Frequency.CONTINUOUS, Frequency.AS_INDICATED}
DAILY_ORAL_FREQUENCIES = {Frequency.ONCE_DAILY, Frequency.TWICE_DAILY, Frequency.THREE_TIMES_DAILY}


def bsa_m2(height_cm: Decimal, weight_kg: Decimal, formula: str = BSAFormula.MOSTELLER) -> Decimal:
    """Body-surface area in m², rounded to 0.01 m²."""
    height, weight = Decimal(height_cm), Decimal(weight_kg)
    if height <= 0 or weight <= 0:
        raise ValueError("Height and weight must be positive.")
    if formula == BSAFormula.MOSTELLER:
        value = (height * weight / Decimal(3600)).sqrt()
    elif formula == BSAFormula.DU_BOIS:
        value = Decimal(0.007184 * float(height) ** 0.725 * float(weight) ** 0.425)
    else:
        raise ValueError(f"Unknown BSA formula {formula!r}")
    return value.quantize(BSA_PLACES, rounding=ROUND_HALF_UP)


def round_per_m2(value) -> Decimal:
    """A per-m² amount to the precision it is kept at: 1.23456 mg/m² → 1.2346 mg/m²."""
    return Decimal(value).quantize(PER_M2_PLACES, rounding=ROUND_HALF_EVEN)


def round_dose(value: Decimal, absolute_unit: str) -> Decimal:
    """An absolute dose written to the precision used for its unit."""
    return Decimal(value).quantize(DOSE_PLACES[absolute_unit], rounding=ROUND_HALF_UP)


def absolute_dose(amount: Decimal, unit: str, bsa: Decimal) -> tuple[Decimal, str]:
    """The dose to give: per-m² doses × BSA; flat and µg/day doses unchanged. Returns (amount, absolute unit)."""
    absolute_unit = ABSOLUTE_UNIT[unit]
    value = Decimal(amount) * Decimal(bsa) if unit in (DoseUnit.MG_PER_M2, DoseUnit.G_PER_M2) else Decimal(amount)
    return round_dose(value, absolute_unit), absolute_unit


def contiguous_runs(days: Iterable[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 4, 11, 12] → [(1, 4), (11, 12)]."""
    runs: list[tuple[int, int]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def is_period_item(item) -> bool:
    """Whether an item is planned as periods (infusion, as-indicated, daily oral) rather than single doses."""
    if item.frequency in PERIOD_FREQUENCIES or item.route == Route.CIV:
        return True
    return item.route == Route.PO and item.frequency in DAILY_ORAL_FREQUENCIES and len(item.days) > 1


def hold_days_for(held_class: str, items, hold_rules) -> list[int]:
    """Course days on which drugs of ``held_class`` are held, from the rules anchored on other drugs' days."""
    days: set[int] = set()
    for rule in hold_rules:
        if rule.held_drug_class != held_class:
            continue
        for item in items:
            if item.drug_id == rule.anchor_drug_id:
                for anchor in item.days:
                    days.update(range(anchor - rule.days_before, anchor + rule.days_after + 1))
    return sorted(days)


@dataclass
class PlannedDose:
    """One row of a course plan, before it is saved."""

    item: object
    day: int
    last_day: int | None
    dose_number: int
    planned_date: date
    planned_dose: Decimal | None
    dose_unit: str
    dose_per_m2: Decimal | None
    doses_per_day: int
    route: str
    window_before_days: int
    window_after_days: int
    hold_days: list[int] = field(default_factory=list)


def plan_course(items, *, start_date: date, bsa: Decimal, hold_rules=()) -> list[PlannedDose]:
    """Every planned dose (or period) of a course from its applicable regimen items.

    BSA-scaled doses are multiplied by ``bsa``; an every-12-hours drug gives two doses a day; a drug
    whose class a hold rule names gets the rule's hold days (and no single dose on a hold day).
    """
    items = list(items)
    planned: list[PlannedDose] = []
    for item in items:
        if item.dose_amount is not None:
            dose, unit = absolute_dose(item.dose_amount, item.dose_unit, bsa)
            per_m2 = item.dose_amount if item.is_bsa_scaled else None
        else:
            dose, unit, per_m2 = None, "", None
        holds = hold_days_for(item.drug.drug_class, items, hold_rules) if item.drug.drug_class else []
        common = {
            "item": item,
            "planned_dose": dose,
            "dose_unit": unit,
            "dose_per_m2": per_m2,
            "doses_per_day": item.doses_per_day,
            "route": item.route,
            "window_before_days": item.day_window_before,
            "window_after_days": item.day_window_after,
        }
        if is_period_item(item):
            for first, last in contiguous_runs(item.days):
                planned.append(
                    PlannedDose(
                        day=first,
                        last_day=last if last != first else None,
                        dose_number=1,
                        planned_date=start_date + timedelta(days=first - 1),
                        hold_days=[d for d in holds if first <= d <= last],
                        **common,
                    )
                )
            continue
        for day in sorted(item.days):
            if day in holds:
                continue
            for number in range(1, item.doses_per_day + 1):
                planned.append(
                    PlannedDose(
                        day=day,
                        last_day=None,
                        dose_number=number,
                        planned_date=start_date + timedelta(days=day - 1),
                        **common,
                    )
                )
    planned.sort(key=lambda p: (p.day, p.item.drug.name, p.dose_number))
    return planned


# The protocol parameter and the deviation flag of a given dose off its plan with no recorded reduction
# (safety's DEV-02 reads the same parameter through this function; the dosing form warns with it before saving).
DOSE_TOLERANCE_PARAMETER = "dose_deviation_tolerance_percent"
DOSE_OFF_PLAN_FLAG = "DEV-02"
DOSE_OFF_PLAN_TITLE = "Dose differs from plan without a recorded reduction"


def percent_off_plan(*, planned_dose, dose_given, reduction_percent, tolerance_percent) -> Decimal | None:
    """How far (in %) a given dose lies from its planned dose when that makes it a deviation — more than
    ``tolerance_percent`` away with no dose reduction recorded — else None."""
    if planned_dose is None or dose_given is None or reduction_percent is not None:
        return None
    off = abs(Decimal(dose_given) - Decimal(planned_dose)) / Decimal(planned_dose) * 100
    return off if off > tolerance_percent else None


def next_dose_time(*, earlier_given_at, earlier_number: int, number: int, interval_hours, doses_per_day: int):
    """When the ``number``-th dose of a day is due after the ``earlier_number``-th was given at
    ``earlier_given_at``: ``interval_hours`` apart (12 for q12h), or the day split evenly without one."""
    hours = interval_hours or (24 // max(doses_per_day, 1))
    return earlier_given_at + timedelta(hours=hours * (number - earlier_number))


def given_per_m2(*, dose_given: Decimal, planned_dose: Decimal | None, dose_per_m2: Decimal | None, bsa: Decimal):
    """The per-m² amount a recorded dose counts for: the plan's per-m² scaled by the fraction given.

    Scaling the planned per-m² (rather than dividing by BSA) keeps a dose given exactly as planned at
    exactly its planned per-m² figure, so cumulative totals are not pushed over a maximum by rounding.
    """
    if dose_per_m2 is not None and planned_dose:
        return Decimal(dose_per_m2) * Decimal(dose_given) / Decimal(planned_dose)
    return Decimal(dose_given) / Decimal(bsa)


def cumulative_given_per_m2(doses) -> Decimal:
    """The per-m² total of given doses (each with dose_given, planned_dose, dose_per_m2 and course.bsa_m2)."""
    return sum(
        (
            given_per_m2(
                dose_given=d.dose_given, planned_dose=d.planned_dose, dose_per_m2=d.dose_per_m2, bsa=d.course.bsa_m2
            )
            for d in doses
            if d.dose_given is not None
        ),
        Decimal(0),
    )
