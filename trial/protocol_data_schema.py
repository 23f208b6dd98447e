"""The schemas of a trial's protocol data files (trial.yaml and one file per protocol version).

Each schema says which fields an item has, their types, defaults and limits; the loader
(:mod:`trial.protocol_loader`) validates every item with them and then checks what one item says against
another (drug codes, course days, placements, criterion variables). Field types: :mod:`core.data_loading`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, PlainValidator

from core.comparators import COMPARATORS
from core.data_loading import (
    Code,
    Date,
    Flag,
    Number,
    RequiredText,
    Schema,
    Text,
    WholeNumber,
)

from .choices import (
    BSAFormula,
    Comparator,
    CoursePhase,
    CriterionKind,
    DataSource,
    DoseLevel,
    DoseUnit,
    Frequency,
    RegimenRole,
    ResponseCategory,
    Route,
    VersionAssignmentRule,
)

IGNORED_KEY_PREFIX = "x-"
# The one comparator table (core.comparators), longest first so that "<=" is not read as "<".
CONDITION_COMPARATORS = tuple(sorted(COMPARATORS, key=len, reverse=True))
BAD_CONDITION = "condition must read '<patient value> <comparator> <number>' ({comparators}), got {value!r}"
BAD_DAYS = "days must be a list of course days or ranges such as '1-4, 11-14', got {value!r}"
_CONDITION = re.compile(rf"^\s*([a-z][a-z0-9_]*)\s*({'|'.join(CONDITION_COMPARATORS)})\s*(-?\d+(?:\.\d+)?)\s*$")
_DAY_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def _days(value) -> list[int]:
    """Course days from a list of whole numbers or a text of ranges ('1-4, 11-14'), sorted."""
    days = []
    if isinstance(value, list):
        for day in value:
            if isinstance(day, bool) or not isinstance(day, int):
                raise ValueError(BAD_DAYS.format(value=value))
            days.append(day)
    elif isinstance(value, str):
        for part in value.split(","):
            match = _DAY_RANGE.match(part)
            if not match:
                raise ValueError(BAD_DAYS.format(value=value))
            first = int(match.group(1))
            last = int(match.group(2) or first)
            if last < first:
                raise ValueError(BAD_DAYS.format(value=value))
            days.extend(range(first, last + 1))
    if not days:
        raise ValueError(BAD_DAYS.format(value=value))
    if len(set(days)) != len(days):
        raise ValueError(f"lists a day twice: {value!r}")
    if min(days) < 1:
        raise ValueError(f"course days start at 1, got {min(days)}")
    return sorted(days)


def _condition(value) -> tuple[str, str, Decimal]:
    """'cd20_percent >= 20' → (patient value, comparator, threshold)."""
    match = _CONDITION.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(BAD_CONDITION.format(comparators=", ".join(CONDITION_COMPARATORS), value=value))
    return match.group(1), match.group(2), Decimal(match.group(3))


def _scalars(values: list) -> list:
    """A list of plain values (text, whole numbers, true/false), as criteria compare them."""
    for item in values:
        if not isinstance(item, str | int):  # bool is an int
            raise ValueError(f"must be a list of text, whole numbers or true/false, got {item!r}")
    if len(set(map(repr, values))) != len(values):
        raise ValueError(f"lists a value twice: {values!r}")
    return values


CourseDays = Annotated[list[int], PlainValidator(_days)]
Condition = Annotated[tuple[str, str, Decimal] | None, PlainValidator(_condition)]
AllowedValues = Annotated[list[Any], AfterValidator(_scalars)]
Dose = Number(4, gt=0)
Items = list[Any]  # validated item by item with the schema named in the comment


# --------------------------------------------------------------------------------------------
# trial.yaml
# --------------------------------------------------------------------------------------------


class TrialFile(Schema):
    ignored_prefix = IGNORED_KEY_PREFIX
    data_version: RequiredText
    trial: Any  # TrialSchema
    drugs: Items  # DrugSchema
    amendments: Items = []  # AmendmentSchema
    versions: Items  # file names of the protocol versions, in this folder
    condition_variables: dict[str, Any] = {}  # ConditionVariableSchema, by the name regimen conditions use


class ConditionVariableSchema(Schema):
    """A patient value regimen conditions refer to, as pages show it: "CD20 on blasts ≥ 20%"."""

    label: RequiredText
    unit: Text = ""
    kind: Literal["number", "yes_no"] = "number"
    no_label: Text = ""  # yes_no: the words when the value is no ("No active CNS disease")


class TrialSchema(Schema):
    nct_id: RequiredText
    title: RequiredText
    short_title: RequiredText
    sponsor: Text = ""


class DrugSchema(Schema):
    code: Code
    name: RequiredText
    drug_class: Text = ""
    is_study_drug: Flag = False
    cumulative_limit_parameter: Text = ""


class AmendmentSchema(Schema):
    code: Code
    title: RequiredText
    effective_date: Date
    summary: Text = ""


# --------------------------------------------------------------------------------------------
# A protocol version's file
# --------------------------------------------------------------------------------------------


class VersionFile(Schema):
    ignored_prefix = IGNORED_KEY_PREFIX
    data_version: RequiredText
    version: Any  # VersionSchema
    course_types: Items  # CourseTypeSchema
    course_sequence: Items  # SequenceStepSchema
    regimen: dict[str, Items]  # course type code → RegimenItemSchema
    hold_rules: Items = []  # HoldRuleSchema
    parameters: Items = []  # ParameterSchema
    eligibility_criteria: Items  # CriterionSchema
    response_rules: Items  # ResponseRuleSchema


class VersionSchema(Schema):
    code: Code
    name: RequiredText
    effective_date: Date
    applies_from_sequence_number: WholeNumber(1) | None = None
    created_by_amendment: Code | None = None
    assignment_rule: VersionAssignmentRule
    bsa_formula: BSAFormula = BSAFormula.MOSTELLER.value
    description: Text = ""


class CourseTypeSchema(Schema):
    code: Code
    name: RequiredText
    phase: CoursePhase
    length_days: WholeNumber(1)
    cycle_days: WholeNumber(1)
    min_interval_days: WholeNumber(1) | None = None


class SequenceStepSchema(Schema):
    course_number: WholeNumber(1)
    course_type: Code
    label: Text = ""


class AlternativeSchema(Schema):
    """Another way of giving a regimen item (stored with the item, as JSON)."""

    drug: Code
    dose_amount: Dose | None = None
    dose_unit: DoseUnit | None = None
    route: Route | None = None
    notes: Text = ""


class RegimenItemSchema(Schema):
    code: Code
    drug: Code
    role: RegimenRole
    dose_amount: Dose | None = None
    dose_unit: DoseUnit | None = None
    route: Route
    frequency: Frequency
    doses_per_day: WholeNumber(1) = 1
    interval_hours: WholeNumber(1) | None = None
    days: CourseDays
    day_window_before: WholeNumber(0) = 0
    day_window_after: WholeNumber(0) = 0
    course_number_min: WholeNumber(1) | None = None
    course_number_max: WholeNumber(1) | None = None
    type_ordinal_min: WholeNumber(1) | None = None
    type_ordinal_max: WholeNumber(1) | None = None
    condition: Condition = None
    dose_level: DoseLevel = DoseLevel.STANDARD.value
    introduced_by: Code | None = None
    alternatives: list[AlternativeSchema] = []
    notes: Text = ""
    source: DataSource = DataSource.PAPER.value


class HoldRuleSchema(Schema):
    code: Code
    held_drug_class: RequiredText
    anchor_drug: Code
    days_before: WholeNumber(0)
    days_after: WholeNumber(0)
    description: Text = ""


class CriterionSchema(Schema):
    code: Code
    kind: CriterionKind
    order: WholeNumber(0)
    text: RequiredText
    variable: Code
    comparator: Comparator
    threshold: Number(4) | None = None
    allowed_values: AllowedValues = []
    unit: Text = ""
    source: DataSource = DataSource.PAPER.value


class ResponseRuleSchema(Schema):
    code: Code
    order: WholeNumber(0)
    category: ResponseCategory
    label: RequiredText
    marrow_blasts_max_percent: Number(2)
    neutrophils_comparator: Literal[">", "<=", ""] = ""
    neutrophils_threshold: Number(3) | None = None
    platelets_comparator: Literal[">", "<=", ""] = ""
    platelets_threshold: Number(3) | None = None
    extramedullary_disease_allowed: Flag = False
    source: DataSource = DataSource.PAPER.value
    note: Text = ""


class ParameterSchema(Schema):
    key: Code
    value: Number(4)
    unit: Text = ""
    description: RequiredText
    source: DataSource = DataSource.PAPER.value
