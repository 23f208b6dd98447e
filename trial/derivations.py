"""Pure rules of the protocol data (no database): whether a regimen item applies to a course, and
what a course plans.

Services and selectors of later apps call these with protocol rows already loaded.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.comparators import COMPARATORS, compare
from core.formatting import plain_number

from .choices import DoseLevel
from .models import RegimenItem

PATIENT_VALUE_MISSING = "Regimen item {item} applies only when {condition}: the patient's {field} is needed."
PATIENT_VALUE_NOT_NUMBER = "The patient's {field} must be a number to decide regimen item {item}, got {value!r}."


class PatientValueRequired(ValueError):
    """A regimen item depends on a patient value (e.g. CD20 %) that the caller did not give.

    ``field`` names the value and ``item`` the regimen item (for the caller's message to the user).
    """

    def __init__(self, message, *, field, item):
        super().__init__(message)
        self.field, self.item = field, item


class DoseLevelRequired(ValueError):
    """A course has alternative dose levels and the patient's dose level was not given."""


def condition_met(comparator: str, threshold: Decimal, value) -> bool:
    """Whether ``value <comparator> threshold`` holds (booleans count as 1 and 0)."""
    if isinstance(value, bool):
        value = int(value)
    return compare(Decimal(str(value)), comparator, Decimal(threshold))


def condition_text(field: str, comparator: str, threshold, variables: dict) -> str:
    """A regimen condition in clinical words, e.g. "CD20 on blasts ≥ 20%", "Active CNS disease".

    ``variables`` are the labels of the patient values (``protocol_loader.condition_variables``); a value with
    no label (the loader refuses one) is shown by its name in words rather than as an identifier.
    """
    variable = variables.get(field) or {}
    label = variable.get("label") or field.replace("_", " ").capitalize()
    if variable.get("kind") == "yes_no":
        when_yes = condition_met(comparator, threshold, 1)
        when_no = condition_met(comparator, threshold, 0)
        if when_yes and not when_no:
            return label
        if when_no and not when_yes:
            return variable.get("no_label") or f"No {label[:1].lower()}{label[1:]}"
    unit = variable.get("unit") or ""
    number = plain_number(threshold)
    value = f"{number}{unit}" if unit == "%" else f"{number} {unit}".strip()
    symbol = COMPARATORS[comparator].symbol if comparator in COMPARATORS else comparator
    return f"{label} {symbol} {value}"


def item_condition_text(item: RegimenItem, variables: dict) -> str:
    """The condition of a regimen item in clinical words ("" when it has none)."""
    if not item.condition_field:
        return ""
    return condition_text(item.condition_field, item.condition_comparator, item.condition_threshold, variables)


def _number(value, field: str, item: RegimenItem):
    if isinstance(value, bool | int | Decimal):
        return value
    if isinstance(value, float | str):
        try:
            return Decimal(str(value).strip())
        except ArithmeticError:
            pass
    raise PatientValueRequired(
        PATIENT_VALUE_NOT_NUMBER.format(field=field, item=item.code, value=value), field=field, item=item
    )


def regimen_item_applies(
    item: RegimenItem,
    *,
    course_number: int,
    type_ordinal: int,
    patient_values: dict,
    course_start_date: date,
    dose_level: str | None,
) -> bool:
    """Whether ``item`` is part of a course: course-number and type-ordinal bounds, dose level,
    amendment effective date, then the patient condition (asked for only when the rest applies).

    ``dose_level`` None means "any": the caller resolves alternative levels (see
    :func:`regimen_items_for_course`).
    """
    if item.course_number_min is not None and course_number < item.course_number_min:
        return False
    if item.course_number_max is not None and course_number > item.course_number_max:
        return False
    if item.type_ordinal_min is not None and type_ordinal < item.type_ordinal_min:
        return False
    if item.type_ordinal_max is not None and type_ordinal > item.type_ordinal_max:
        return False
    if dose_level is not None and item.dose_level not in (DoseLevel.STANDARD, dose_level):
        return False
    if item.introduced_by_id is not None and course_start_date < item.introduced_by.effective_date:
        return False
    if item.condition_field:
        field = item.condition_field
        if patient_values.get(field) is None:
            condition = f"{field} {item.condition_comparator} {plain_number(item.condition_threshold)}"
            raise PatientValueRequired(
                PATIENT_VALUE_MISSING.format(item=item.code, condition=condition, field=field), field=field, item=item
            )
        value = _number(patient_values[field], field, item)
        if not condition_met(item.condition_comparator, item.condition_threshold, value):
            return False
    return True


def planned_amount(item: RegimenItem) -> Decimal:
    """Amount planned in one course by ``item``, in its dose unit (per m² for BSA-scaled doses;
    µg for µg/day infusions). Zero for items given only as indicated."""
    if item.dose_amount is None:
        return Decimal(0)
    return item.dose_amount * item.doses_in_course
