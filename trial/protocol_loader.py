"""Load a trial's protocol from its versioned data files (YAML) into the protocol models.

A trial's directory holds ``trial.yaml`` (the trial, its drug dictionary, its amendments and the
list of protocol-version files) and one YAML file per protocol version (how patients are assigned
to it, eligibility criteria, course types, planned course sequence, regimen items, drug-hold rules
and parameters); see the comments at the top of those files for how they are written, and
:mod:`trial.protocol_data_schema` for the fields of each item.

Eligibility criteria read values that a higher app records (patients). That app declares those
values with :func:`eligibility_variables_register` when it starts, so the loader can refuse a
criterion naming an unknown value, comparing a category with a number, or allowing a category
value that does not exist, without this app importing the higher one.

:func:`protocol_load` reads and validates every file before it writes anything; an error names
the file and the item. What is specific to the protocol is here: the cross-checks (drug, amendment and
course-type codes, regimen placement, criteria against the values they read). The schemas of the files
are in :mod:`trial.protocol_data_schema`, the table of what is upserted in :mod:`trial.protocol_tables`;
reading, schema validation and the audited upsert by natural key are :mod:`core.data_loading`: new rows
are created, changed values updated with the file and its checksum as the reason for change, rows no
longer in the files deleted, and unchanged rows are left alone, so loading the same files twice writes
nothing (not even history rows).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from core.data_loading import (
    DataFile,
    DataLoadError,
    DataLoadReport,
    Errors,
    load_tables,
    read_yaml,
    validate,
    validate_items,
)

from . import protocol_data_schema as schema
from .choices import Comparator, Frequency, ResponseCategory, VersionAssignmentRule
from .protocol_tables import LOAD_ORDER, protocol_tables

TRIAL_FILE = "trial.yaml"

# Error messages of the cross-checks (each is reported as "<file>: <item>: <message>").
UNKNOWN_DRUG = "unknown drug code {code!r} (not in the drugs of trial.yaml)"
UNKNOWN_DRUG_CLASS = "no drug in trial.yaml has drug_class {value!r}"
UNKNOWN_AMENDMENT = "unknown amendment code {code!r} (not in the amendments of trial.yaml)"
UNKNOWN_COURSE_TYPE = "unknown course type {code!r} (not in course_types)"
DUPLICATE = "duplicate {what} {code!r}"
DAY_OUT_OF_COURSE = "day {day} is outside the course (days 1–{length})"
BOUNDS_REVERSED = "{low_field} ({low}) is greater than {high_field} ({high})"
APPLIES_TO_NO_COURSE = "applies to no course of type {course_type!r} in course_sequence"
DOSE_WITHOUT_UNIT = "dose_amount needs a dose_unit"
UNIT_WITHOUT_DOSE = "dose_unit is given without a dose_amount"
DOSE_REQUIRED = "dose_amount is required unless frequency is as_indicated"
DOSES_PER_DAY_MISMATCH = "frequency {frequency} means {expected} dose(s) a day, but doses_per_day is {got}"
SEQUENCE_GAP = "course numbers must run 1, 2, 3, … without gaps; expected {expected}, got {got}"
COURSE_TYPE_UNUSED = "course type {code!r} is not used in course_sequence"
RULE_NEEDS_SEQUENCE_NUMBER = "assignment_rule {rule} needs applies_from_sequence_number"
BASE_VERSION_COUNT = "exactly one protocol version must have assignment_rule base, got {count}{codes}"
RESPONSE_RULE_PAIR = "{count}_comparator and {count}_threshold go together (both or neither)"
NO_RESPONSE_CATEGORY = "at least one rule must define a response category"
CRITERION_NEEDS_THRESHOLD = "comparator {comparator} needs a threshold"
CRITERION_TAKES_NO_THRESHOLD = "comparator {comparator} takes no threshold"
CRITERION_NEEDS_VALUES = "comparator {comparator} needs allowed_values"
CRITERION_TAKES_NO_VALUES = "comparator {comparator} takes no allowed_values"
CRITERION_ONE_VALUE = "comparator == takes exactly one allowed value, got {count} (use 'in' for several)"
UNKNOWN_VARIABLE = "unknown variable {name!r} (expected one of: {allowed})"
UNLABELLED_CONDITION = "condition on {name!r}, which has no label in the condition_variables of trial.yaml"
VARIABLE_NOT_NUMBER = "variable {name!r} is not a number, so it cannot be compared with {comparator}"
VALUE_NOT_OF_VARIABLE = "{value!r} is not a value of {name!r} (expected one of: {allowed})"

# Doses a day implied by a frequency (as_indicated has no fixed number).
DOSES_PER_DAY_FOR_FREQUENCY = {
    Frequency.ONCE_DAILY: 1,
    Frequency.EVERY_12_HOURS: 2,
    Frequency.TWICE_DAILY: 2,
    Frequency.THREE_TIMES_DAILY: 3,
    Frequency.WEEKLY: 1,
    Frequency.CONTINUOUS: 1,
}


class ProtocolDataError(DataLoadError):
    """The protocol data files cannot be loaded; ``errors`` lists each problem with its file and item."""

    heading = "Protocol data not loaded"


# --------------------------------------------------------------------------------------------
# Values eligibility criteria may read
# --------------------------------------------------------------------------------------------

NUMBER, CHOICE, BOOLEAN, DATE = "number", "choice", "boolean", "date"


@dataclass(frozen=True)
class EligibilityVariable:
    """A value recorded for eligibility that a criterion may read, and what it can hold.

    ``kind`` is number, choice (one of ``choices``), boolean or date.
    """

    name: str
    kind: str
    choices: tuple = ()


_eligibility_variables: dict[str, EligibilityVariable] = {}


def eligibility_variables_register(variables) -> None:
    """Declare the values criteria may read (called by the app that records them, in ``ready()``).

    Until something is registered the loader checks criteria only for their own consistency.
    """
    for variable in variables:
        _eligibility_variables[variable.name] = variable


def registered_eligibility_variables() -> dict[str, EligibilityVariable]:
    """The values criteria may read, as declared so far (name → variable)."""
    return dict(_eligibility_variables)


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


@dataclass
class LoadReport(DataLoadReport):
    """What a protocol load did (see :class:`core.data_loading.DataLoadReport`), with the files read."""

    files: list[DataFile] = field(default_factory=list)

    def heading_lines(self) -> list[str]:
        return [f"Protocol data from {self.directory}"] + [
            f"  {f.name}  data version {f.data_version}  sha256 {f.sha256}" for f in self.files
        ]


# --------------------------------------------------------------------------------------------
# Reading and checking
# --------------------------------------------------------------------------------------------


@dataclass
class VersionData:
    """A protocol version's file, validated and checked."""

    file: DataFile
    version: dict
    course_types: list[dict]
    sequence: list[dict]
    regimen: list[dict]  # each with "course_type" (code)
    hold_rules: list[dict]
    parameters: list[dict]
    criteria: list[dict]
    response_rules: list[dict]


@dataclass
class TrialData:
    """A trial's files, validated and checked."""

    file: DataFile
    trial: dict
    drugs: list[dict]
    amendments: list[dict]
    versions: list[VersionData]


def _read_file(directory: Path, filename: str, file_schema, errors: Errors):
    """(validated top level, DataFile with its data version), or (None, None) after reporting why not."""
    name = f"{directory.name}/{filename}"
    data, file = read_yaml(directory / filename, name, errors)
    if file is None:
        return None, None
    top = validate(errors, name, "", file_schema, data)
    if top is None:
        return None, None
    return top, replace(file, data_version=top["data_version"])


def _read_trial(directory: Path, errors: Errors) -> TrialData | None:
    root = directory.name
    top, file = _read_file(directory, TRIAL_FILE, schema.TrialFile, errors)
    if top is None:
        return None
    name = file.name
    trial = validate(errors, name, "trial", schema.TrialSchema, top["trial"])
    drugs = validate_items(errors, name, top["drugs"], schema.DrugSchema, "drug")
    amendments = validate_items(errors, name, top["amendments"], schema.AmendmentSchema, "amendment")
    drug_codes = {d["code"] for d in drugs}
    drug_classes = {d["drug_class"] for d in drugs if d["drug_class"]}
    amendment_codes = {a["code"] for a in amendments}

    versions, seen_files, seen_codes = [], set(), set()
    for index, entry in enumerate(top["versions"]):
        if not isinstance(entry, str) or "/" in entry or not entry.endswith((".yaml", ".yml")):
            errors.add(name, f"versions #{index + 1}", f"must be a .yaml file name in {root}/, got {entry!r}")
            continue
        if entry in seen_files:
            errors.add(name, f"versions #{index + 1}", DUPLICATE.format(what="version file", code=entry))
            continue
        seen_files.add(entry)
        version = _read_version(directory, entry, errors, drug_codes, drug_classes, amendment_codes)
        if version is None:
            continue
        code = version.version["code"]
        if code in seen_codes:
            errors.add(version.file.name, "version", DUPLICATE.format(what="protocol version code", code=code))
            continue
        seen_codes.add(code)
        versions.append(version)
    variables = _condition_variables(errors, name, top["condition_variables"])
    for version in versions:
        for row in version.regimen:
            if row["condition_field"] and row["condition_field"] not in variables:
                where = f"regimen item {row['course_type']}/{row['code']}"
                errors.add(version.file.name, where, UNLABELLED_CONDITION.format(name=row["condition_field"]))
    base = [v.version["code"] for v in versions if v.version["assignment_rule"] == VersionAssignmentRule.BASE]
    if versions and len(base) != 1:
        codes = f" ({', '.join(base)})" if base else ""
        errors.add(name, "versions", BASE_VERSION_COUNT.format(count=len(base), codes=codes))
    if trial is None:
        return None
    return TrialData(file, trial, drugs, amendments, versions)


def _condition_variables(errors: Errors, file_name: str, entries: dict) -> dict[str, dict]:
    variables = {}
    for variable, entry in (entries or {}).items():
        checked = validate(errors, file_name, f"condition variable {variable}", schema.ConditionVariableSchema, entry)
        if checked is not None:
            variables[variable] = checked
    return variables


@functools.cache
def condition_variables(nct_id: str) -> dict[str, dict]:
    """The patient values the regimen conditions of a trial refer to, as pages show them (name → label, unit,
    kind, no_label), from the ``trial.yaml`` of its data folder (``PROTOCOL_DATA_DIR/<nct_id>``), read once per
    process. ``load_protocol`` refuses a condition whose value has no label there."""
    from django.conf import settings

    errors = Errors()
    top, _file = _read_file(Path(settings.PROTOCOL_DATA_DIR) / nct_id, TRIAL_FILE, schema.TrialFile, errors)
    return _condition_variables(errors, TRIAL_FILE, top["condition_variables"]) if top else {}


def _read_version(directory, filename, errors, drug_codes, drug_classes, amendment_codes) -> VersionData | None:
    top, file = _read_file(directory, filename, schema.VersionFile, errors)
    if top is None:
        return None
    name = file.name
    before = len(errors)

    version = validate(errors, name, "version", schema.VersionSchema, top["version"])
    if version and version["created_by_amendment"] and version["created_by_amendment"] not in amendment_codes:
        errors.add(name, "version", UNKNOWN_AMENDMENT.format(code=version["created_by_amendment"]))
    if (
        version
        and version["assignment_rule"] in (VersionAssignmentRule.SEQUENCE, VersionAssignmentRule.SEQUENCE_OR_DATE)
        and version["applies_from_sequence_number"] is None
    ):
        errors.add(name, "version", RULE_NEEDS_SEQUENCE_NUMBER.format(rule=version["assignment_rule"]))

    criteria = validate_items(
        errors, name, top["eligibility_criteria"], schema.CriterionSchema, "eligibility criterion"
    )
    for criterion in criteria:
        _check_criterion(errors, name, criterion)

    course_types = validate_items(errors, name, top["course_types"], schema.CourseTypeSchema, "course type")
    types_by_code = {ct["code"]: ct for ct in course_types}

    sequence = validate_items(
        errors, name, top["course_sequence"], schema.SequenceStepSchema, "course", key="course_number"
    )
    sequence.sort(key=lambda s: s["course_number"])
    ordinals: dict[str, int] = {}
    placements = []  # (course_type, course_number, type_ordinal) for every planned course
    for expected, step in enumerate(sequence, start=1):
        where = f"course {step['course_number']}"
        if step["course_number"] != expected:
            errors.add(name, where, SEQUENCE_GAP.format(expected=expected, got=step["course_number"]))
            break
        if step["course_type"] not in types_by_code:
            errors.add(name, where, UNKNOWN_COURSE_TYPE.format(code=step["course_type"]))
            continue
        ordinals[step["course_type"]] = ordinals.get(step["course_type"], 0) + 1
        placements.append((step["course_type"], step["course_number"], ordinals[step["course_type"]]))
    for code in types_by_code:
        if code not in ordinals:
            errors.add(name, f"course type {code}", COURSE_TYPE_UNUSED.format(code=code))

    regimen = []
    for type_code, items in top["regimen"].items():
        if type_code not in types_by_code:
            errors.add(name, f"regimen {type_code}", UNKNOWN_COURSE_TYPE.format(code=type_code))
            continue
        for item in validate_items(
            errors, name, items, schema.RegimenItemSchema, "regimen item", prefix=f"{type_code}/"
        ):
            _check_regimen_item(
                errors, name, type_code, item, types_by_code[type_code], placements, drug_codes, amendment_codes
            )
            regimen.append(_regimen_row(item, type_code))

    hold_rules = validate_items(errors, name, top["hold_rules"], schema.HoldRuleSchema, "hold rule")
    for rule in hold_rules:
        where = f"hold rule {rule['code']}"
        if rule["anchor_drug"] not in drug_codes:
            errors.add(name, where, UNKNOWN_DRUG.format(code=rule["anchor_drug"]))
        if rule["held_drug_class"] not in drug_classes:
            errors.add(name, where, UNKNOWN_DRUG_CLASS.format(value=rule["held_drug_class"]))

    parameters = validate_items(errors, name, top["parameters"], schema.ParameterSchema, "parameter", key="key")

    response_rules = validate_items(errors, name, top["response_rules"], schema.ResponseRuleSchema, "response rule")
    for rule in response_rules:
        for count in ("neutrophils", "platelets"):
            if bool(rule[f"{count}_comparator"]) != (rule[f"{count}_threshold"] is not None):
                errors.add(name, f"response rule {rule['code']}", RESPONSE_RULE_PAIR.format(count=count))
    if not any(r["category"] != ResponseCategory.NO_RESPONSE for r in response_rules):
        errors.add(name, "response_rules", NO_RESPONSE_CATEGORY)
    if version is None or len(errors) > before:
        return None
    return VersionData(file, version, course_types, sequence, regimen, hold_rules, parameters, criteria, response_rules)


def _check_criterion(errors, file, criterion):
    """Cross-field checks of one eligibility criterion, and against the values it may read."""
    where = f"eligibility criterion {criterion['code']}"
    comparator, threshold, values = criterion["comparator"], criterion["threshold"], criterion["allowed_values"]

    def bad(message):
        errors.add(file, where, message)

    numeric = comparator in (Comparator.LE, Comparator.LT, Comparator.GE, Comparator.GT)
    categorical = comparator in (Comparator.EQ, Comparator.IN)
    if numeric and threshold is None:
        bad(CRITERION_NEEDS_THRESHOLD.format(comparator=comparator))
    if not numeric and threshold is not None:
        bad(CRITERION_TAKES_NO_THRESHOLD.format(comparator=comparator))
    if categorical and not values:
        bad(CRITERION_NEEDS_VALUES.format(comparator=comparator))
    if not categorical and values:
        bad(CRITERION_TAKES_NO_VALUES.format(comparator=comparator))
    if comparator == Comparator.EQ and len(values) > 1:
        bad(CRITERION_ONE_VALUE.format(count=len(values)))

    known = _eligibility_variables
    if not known:
        return
    variable = known.get(criterion["variable"])
    if variable is None:
        bad(UNKNOWN_VARIABLE.format(name=criterion["variable"], allowed=", ".join(sorted(known))))
        return
    if numeric and variable.kind != NUMBER:
        bad(VARIABLE_NOT_NUMBER.format(name=variable.name, comparator=comparator))
    if categorical:
        if variable.kind == BOOLEAN:
            allowed = (True, False)
        elif variable.kind == CHOICE:
            allowed = variable.choices
        else:
            allowed = None  # numbers and dates compared for equality: any value of the right type
        for value in values:
            if allowed is not None and not any(value is a or (type(value) is type(a) and value == a) for a in allowed):
                shown = ", ".join("true" if a is True else "false" if a is False else str(a) for a in allowed)
                bad(VALUE_NOT_OF_VARIABLE.format(value=value, name=variable.name, allowed=shown))


def _check_regimen_item(errors, file, type_code, item, course_type, placements, drug_codes, amendment_codes):
    """Cross-field checks of one regimen item: its codes, dose, days and the courses it applies to."""
    where = f"regimen item {type_code}/{item['code']}"

    def bad(message):
        errors.add(file, where, message)

    if item["drug"] not in drug_codes:
        bad(UNKNOWN_DRUG.format(code=item["drug"]))
    if item["introduced_by"] and item["introduced_by"] not in amendment_codes:
        bad(UNKNOWN_AMENDMENT.format(code=item["introduced_by"]))
    if item["dose_amount"] is not None and not item["dose_unit"]:
        bad(DOSE_WITHOUT_UNIT)
    if item["dose_amount"] is None and item["dose_unit"]:
        bad(UNIT_WITHOUT_DOSE)
    if item["dose_amount"] is None and item["frequency"] != Frequency.AS_INDICATED:
        bad(DOSE_REQUIRED)
    expected = DOSES_PER_DAY_FOR_FREQUENCY.get(item["frequency"])
    if expected is not None and item["doses_per_day"] != expected:
        bad(DOSES_PER_DAY_MISMATCH.format(frequency=item["frequency"], expected=expected, got=item["doses_per_day"]))
    for day in item["days"]:
        if day > course_type["length_days"]:
            bad(DAY_OUT_OF_COURSE.format(day=day, length=course_type["length_days"]))
            break
    for low, high in (("course_number_min", "course_number_max"), ("type_ordinal_min", "type_ordinal_max")):
        if item[low] is not None and item[high] is not None and item[low] > item[high]:
            bad(BOUNDS_REVERSED.format(low_field=low, low=item[low], high_field=high, high=item[high]))
    if not any(
        ct == type_code
        and (item["course_number_min"] is None or number >= item["course_number_min"])
        and (item["course_number_max"] is None or number <= item["course_number_max"])
        and (item["type_ordinal_min"] is None or ordinal >= item["type_ordinal_min"])
        and (item["type_ordinal_max"] is None or ordinal <= item["type_ordinal_max"])
        for ct, number, ordinal in placements
    ):
        bad(APPLIES_TO_NO_COURSE.format(course_type=type_code))
    for index, alternative in enumerate(item["alternatives"]):
        if alternative["drug"] not in drug_codes:
            errors.add(file, f"{where} alternative #{index + 1}", UNKNOWN_DRUG.format(code=alternative["drug"]))
        if alternative["dose_amount"] is not None and not alternative["dose_unit"]:
            errors.add(file, f"{where} alternative #{index + 1}", DOSE_WITHOUT_UNIT)


def _regimen_row(item: dict, type_code: str) -> dict:
    """A regimen item as stored: the condition in three fields, alternatives as JSON (decimals as text, so no
    precision is lost; empty fields left out)."""
    condition = item.pop("condition")
    item["condition_field"], item["condition_comparator"], item["condition_threshold"] = (
        condition if condition else ("", "", None)
    )
    item["dose_unit"] = item["dose_unit"] or ""
    item["alternatives"] = [
        {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in alt.items() if v is not None and v != ""}
        for alt in item["alternatives"]
    ]
    item["course_type"] = type_code
    return item


def protocol_load(*, actor, directory) -> LoadReport:
    """Validate the protocol data files in ``directory`` and bring the database in line with them.

    Raises :class:`ProtocolDataError` (nothing written) when a file is missing or invalid.
    """
    directory = Path(directory)
    errors = Errors()
    data = _read_trial(directory, errors)
    if errors or data is None:
        raise ProtocolDataError(errors.messages or [f"{directory}: nothing to load"])
    report = LoadReport.for_models(
        LOAD_ORDER, directory=str(directory), files=[data.file] + [v.file for v in data.versions]
    )
    load_tables(protocol_tables(data), actor=actor, report=report, error=ProtocolDataError)
    return report
