"""Reads of the protocol as loaded from its data files: parameters, planned courses and a course's regimen.

Services and selectors of later apps call these instead of writing protocol numbers in Python.
Nothing here writes. The rule deciding whether a regimen item applies to a course is a pure
function (:func:`regimen_item_applies`) over the item and plain values.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .choices import DoseLevel
from .models import CourseSequenceStep, CourseType, ProtocolParameter, ProtocolVersion, RegimenItem

PARAMETER_MISSING = (
    "Protocol version {version} has no parameter {key!r}: add it to the version's data file "
    "and run manage.py load_protocol."
)
PATIENT_VALUE_MISSING = "Regimen item {item} applies only when {condition}: the patient's {field} is needed."
PATIENT_VALUE_NOT_NUMBER = "The patient's {field} must be a number to decide regimen item {item}, got {value!r}."
DOSE_LEVEL_REQUIRED = (
    "Course {course_number} of protocol version {version} has a higher and a lower dose level: "
    "the patient's dose level is needed."
)
COURSE_TYPE_OF_OTHER_VERSION = "Course type {course_type} belongs to another protocol version than {version}."

COMPARATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


class ProtocolParameterMissing(LookupError):
    """A protocol version's data file does not define a parameter that code asked for."""


class PatientValueRequired(ValueError):
    """A regimen item depends on a patient value (e.g. CD20 %) that the caller did not give."""


class DoseLevelRequired(ValueError):
    """A course has alternative dose levels and the patient's dose level was not given."""


def parameter_value(version: ProtocolVersion, key: str) -> Decimal:
    """The value of parameter ``key`` in ``version`` (e.g. ``early_death_days``)."""
    try:
        return ProtocolParameter.objects.values_list("value", flat=True).get(protocol_version=version, key=key)
    except ProtocolParameter.DoesNotExist:
        raise ProtocolParameterMissing(PARAMETER_MISSING.format(version=version.code, key=key)) from None


def condition_met(comparator: str, threshold: Decimal, value) -> bool:
    """Whether ``value <comparator> threshold`` holds (booleans count as 1 and 0)."""
    if isinstance(value, bool):
        value = int(value)
    return COMPARATORS[comparator](Decimal(str(value)), Decimal(threshold))


def _number(value, field: str, item: RegimenItem):
    if isinstance(value, bool | int | Decimal):
        return value
    if isinstance(value, float | str):
        try:
            return Decimal(str(value).strip())
        except ArithmeticError:
            pass
    raise PatientValueRequired(PATIENT_VALUE_NOT_NUMBER.format(field=field, item=item.code, value=value))


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
            condition = f"{field} {item.condition_comparator} {item.condition_threshold.normalize():f}"
            raise PatientValueRequired(PATIENT_VALUE_MISSING.format(item=item.code, condition=condition, field=field))
        value = _number(patient_values[field], field, item)
        if not condition_met(item.condition_comparator, item.condition_threshold, value):
            return False
    return True


def regimen_items_for_course(
    version: ProtocolVersion,
    course_type: CourseType,
    course_number: int,
    type_ordinal: int,
    patient_values: dict,
    course_start_date: date,
    *,
    dose_level: str | None = None,
) -> list[RegimenItem]:
    """The regimen items that apply to one patient's course.

    ``course_number`` is the course's position in the patient's sequence (1, 2, …) and
    ``type_ordinal`` its position among courses of the same type (the 1st blinatumomab course,
    the 13th POMP course). ``patient_values`` holds the values regimen conditions refer to
    (``cd20_percent``, ``cns_disease_active``); a value is asked for only when an item depending on
    it would otherwise apply, and :class:`PatientValueRequired` is raised when it is missing.
    Items introduced by an amendment apply only to courses started on/after its effective date.
    ``dose_level`` ("higher"/"lower") picks among alternative dose levels; when the course has
    such items and no level is given, :class:`DoseLevelRequired` is raised.
    """
    if course_type.protocol_version_id != version.pk:
        raise ValueError(COURSE_TYPE_OF_OTHER_VERSION.format(course_type=course_type.code, version=version.code))
    candidates = (
        RegimenItem.objects.filter(protocol_version=version, course_type=course_type)
        .select_related("drug", "introduced_by", "course_type")
        .order_by("code")
    )
    items = [
        item
        for item in candidates
        if regimen_item_applies(
            item,
            course_number=course_number,
            type_ordinal=type_ordinal,
            patient_values=patient_values,
            course_start_date=course_start_date,
            dose_level=dose_level,
        )
    ]
    if dose_level is None and any(item.dose_level != DoseLevel.STANDARD for item in items):
        raise DoseLevelRequired(DOSE_LEVEL_REQUIRED.format(course_number=course_number, version=version.code))
    return items


def planned_amount(item: RegimenItem) -> Decimal:
    """Amount planned in one course by ``item``, in its dose unit (per m² for BSA-scaled doses;
    µg for µg/day infusions). Zero for items given only as indicated."""
    if item.dose_amount is None:
        return Decimal(0)
    return item.dose_amount * item.doses_in_course


@dataclass(frozen=True)
class PlannedCourse:
    """One course of a version's planned sequence with its position among courses of its type."""

    course_number: int
    course_type: CourseType
    type_ordinal: int
    label: str


def planned_courses(version: ProtocolVersion) -> list[PlannedCourse]:
    """The version's planned sequence of courses, in order, with each course's type ordinal."""
    steps = CourseSequenceStep.objects.filter(protocol_version=version).select_related("course_type")
    seen: dict[int, int] = {}
    courses = []
    for step in steps.order_by("course_number"):
        seen[step.course_type_id] = seen.get(step.course_type_id, 0) + 1
        courses.append(PlannedCourse(step.course_number, step.course_type, seen[step.course_type_id], step.label))
    return courses
