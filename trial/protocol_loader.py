"""Load a trial's protocol from its versioned data files (YAML) into the protocol models.

A trial's directory holds ``trial.yaml`` (the trial, its drug dictionary, its amendments and the
list of protocol-version files) and one YAML file per protocol version (how patients are assigned
to it, eligibility criteria, course types, planned course sequence, regimen items, drug-hold rules
and parameters); see the comments at the top of those files for how they are written.

Eligibility criteria read values that a higher app records (patients). That app declares those
values with :func:`eligibility_variables_register` when it starts, so the loader can refuse a
criterion naming an unknown value, comparing a category with a number, or allowing a category
value that does not exist, without this app importing the higher one.

:func:`protocol_load` reads and validates every file before it writes anything; an error names
the file and the item. It then upserts each row by its natural key inside one transaction,
through the audited helpers only: new rows are created, changed values updated with the file and
its checksum as the reason for change, rows no longer in the files deleted, and unchanged rows are
left alone, so loading the same files twice writes nothing (not even history rows).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from core.audit.writes import audited_create, audited_delete, audited_update, changed_fields
from core.data_loading import DataLoadReport

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
from .models import (
    CourseSequenceStep,
    CourseType,
    Drug,
    DrugHoldRule,
    EligibilityCriterion,
    ProtocolAmendment,
    ProtocolParameter,
    ProtocolVersion,
    RegimenItem,
    ResponseRule,
    Trial,
)

TRIAL_FILE = "trial.yaml"
IGNORED_KEY_PREFIX = "x-"

# Error messages (each is reported as "<file>: <item>: <message>").
FILE_NOT_FOUND = "file not found"
NOT_YAML = "not valid YAML: {error}"
NOT_MAPPING = "must be a mapping of field: value"
NOT_LIST = "{field} must be a list"
REQUIRED = "{field} is required"
UNKNOWN_FIELD = "unknown field {field!r} (expected one of: {allowed})"
UNKNOWN_DRUG = "unknown drug code {code!r} (not in the drugs of trial.yaml)"
UNKNOWN_DRUG_CLASS = "no drug in trial.yaml has drug_class {value!r}"
UNKNOWN_AMENDMENT = "unknown amendment code {code!r} (not in the amendments of trial.yaml)"
UNKNOWN_COURSE_TYPE = "unknown course type {code!r} (not in course_types)"
DUPLICATE = "duplicate {what} {code!r}"
NOT_POSITIVE = "must be greater than 0, got {value}"
TOO_PRECISE = "has more than {places} decimal places: {value}"
DAY_OUT_OF_COURSE = "day {day} is outside the course (days 1–{length})"
BOUNDS_REVERSED = "{low_field} ({low}) is greater than {high_field} ({high})"
APPLIES_TO_NO_COURSE = "applies to no course of type {course_type!r} in course_sequence"
DOSE_WITHOUT_UNIT = "dose_amount needs a dose_unit"
UNIT_WITHOUT_DOSE = "dose_unit is given without a dose_amount"
DOSE_REQUIRED = "dose_amount is required unless frequency is as_indicated"
DOSES_PER_DAY_MISMATCH = "frequency {frequency} means {expected} dose(s) a day, but doses_per_day is {got}"
SEQUENCE_GAP = "course numbers must run 1, 2, 3, … without gaps; expected {expected}, got {got}"
COURSE_TYPE_UNUSED = "course type {code!r} is not used in course_sequence"
BAD_CONDITION = "condition must read '<patient value> <comparator> <number>' ({comparators}), got {value!r}"
BAD_DAYS = "days must be a list of course days or ranges such as '1-4, 11-14', got {value!r}"
CANNOT_DELETE = "is no longer in the data file but cannot be removed: other records still refer to it ({refs})"
RULE_NEEDS_SEQUENCE_NUMBER = "assignment_rule {rule} needs applies_from_sequence_number"
BASE_VERSION_COUNT = "exactly one protocol version must have assignment_rule base, got {count}{codes}"
RESPONSE_RULE_PAIR = "{count}_comparator and {count}_threshold go together (both or neither)"
CRITERION_NEEDS_THRESHOLD = "comparator {comparator} needs a threshold"
CRITERION_TAKES_NO_THRESHOLD = "comparator {comparator} takes no threshold"
CRITERION_NEEDS_VALUES = "comparator {comparator} needs allowed_values"
CRITERION_TAKES_NO_VALUES = "comparator {comparator} takes no allowed_values"
CRITERION_ONE_VALUE = "comparator == takes exactly one allowed value, got {count} (use 'in' for several)"
UNKNOWN_VARIABLE = "unknown variable {name!r} (expected one of: {allowed})"
VARIABLE_NOT_NUMBER = "variable {name!r} is not a number, so it cannot be compared with {comparator}"
VALUE_NOT_OF_VARIABLE = "{value!r} is not a value of {name!r} (expected one of: {allowed})"

CONDITION_COMPARATORS = ("<=", ">=", "==", "<", ">")
_CONDITION = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?)\s*$")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_DAY_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")

# Doses a day implied by a frequency (as_indicated has no fixed number).
DOSES_PER_DAY_FOR_FREQUENCY = {
    Frequency.ONCE_DAILY: 1,
    Frequency.EVERY_12_HOURS: 2,
    Frequency.TWICE_DAILY: 2,
    Frequency.THREE_TIMES_DAILY: 3,
    Frequency.WEEKLY: 1,
    Frequency.CONTINUOUS: 1,
}

# Models in the order they are upserted; rows no longer in the files are deleted in reverse order.
LOAD_ORDER = (
    Trial,
    Drug,
    ProtocolAmendment,
    ProtocolVersion,
    CourseType,
    CourseSequenceStep,
    ProtocolParameter,
    RegimenItem,
    DrugHoldRule,
    EligibilityCriterion,
    ResponseRule,
)


class ProtocolDataError(Exception):
    """The protocol data files cannot be loaded; ``errors`` lists each problem with its file and item."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("Protocol data not loaded:\n" + "\n".join(f"  {e}" for e in self.errors))


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


@dataclass(frozen=True)
class LoadedFile:
    """One data file as read: its name (relative to the data root), checksum and declared data version."""

    name: str
    sha256: str
    data_version: str

    def _tag(self):
        return f"{self.name} sha256 {self.sha256} (data version {self.data_version})"

    @property
    def create_reason(self):
        return f"Protocol data load: {self._tag()}"

    @property
    def update_reason(self):
        return f"Protocol data reload: {self._tag()}"

    @property
    def delete_reason(self):
        return f"Protocol data reload: {self._tag()}: no longer in the file"


@dataclass
class LoadReport(DataLoadReport):
    """What a protocol load did (see :class:`core.data_loading.DataLoadReport`), with the files read."""

    files: list[LoadedFile] = field(default_factory=list)

    def heading_lines(self) -> list[str]:
        return [f"Protocol data from {self.directory}"] + [
            f"  {f.name}  data version {f.data_version}  sha256 {f.sha256}" for f in self.files
        ]


# --------------------------------------------------------------------------------------------
# Reading YAML
# --------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a mapping naming the same key twice (PyYAML keeps the last)."""


def _construct_mapping_strict(loader, node, deep=False):
    seen = set()
    for key_node, _value in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_strict)


class _Invalid(ValueError):
    """A value that cannot be loaded; the message says why."""


class _Errors:
    def __init__(self):
        self.messages: list[str] = []

    def add(self, file: str, where: str, message: str):
        self.messages.append(f"{file}: {where}: {message}" if where else f"{file}: {message}")

    def __bool__(self):
        return bool(self.messages)


# Field parsers: each takes the YAML value and returns the model value or raises _Invalid.


def _text(value):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Invalid(f"must be text, got {value!r}")
    return value.strip()


def _required_text(value):
    text = _text(value)
    if not text:
        raise _Invalid("must not be empty")
    return text


def _slug(value):
    if not isinstance(value, str) or not _SLUG.match(value):
        raise _Invalid(f"must be a code of letters, digits, '-' and '_', got {value!r}")
    return value


def _integer(minimum):
    def parse(value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"must be a whole number, got {value!r}")
        if value < minimum:
            raise _Invalid(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _decimal(places):
    def parse(value):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _Invalid(f"must be a number, got {value!r}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise _Invalid(f"must be a number, got {value!r}") from None
        if not number.is_finite():
            raise _Invalid(f"must be a number, got {value!r}")
        if number.as_tuple().exponent < -places:
            raise _Invalid(TOO_PRECISE.format(places=places, value=value))
        return number

    return parse


def _positive(parser):
    def parse(value):
        number = parser(value)
        if number <= 0:
            raise _Invalid(NOT_POSITIVE.format(value=value))
        return number

    return parse


def _boolean(value):
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, got {value!r}")
    return value


def _date(value):
    if isinstance(value, datetime):
        raise _Invalid(f"must be a date (YYYY-MM-DD), got {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Invalid(f"must be a date (YYYY-MM-DD), got {value!r}")


def _choice(choices):
    def parse(value):
        if value not in choices.values:
            raise _Invalid(f"must be one of {', '.join(repr(v) for v in choices.values)}, got {value!r}")
        return value

    return parse


def _choice_or_blank(values):
    def parse(value):
        if value in (None, ""):
            return ""
        if value not in values:
            raise _Invalid(f"must be one of {', '.join(repr(v) for v in values)} or empty, got {value!r}")
        return value

    return parse


def _optional(parser):
    def parse(value):
        return None if value is None else parser(value)

    return parse


def _days(value):
    """Course days from a list of whole numbers or a text of ranges ('1-4, 11-14'), sorted."""
    days = []
    if isinstance(value, list):
        for day in value:
            if isinstance(day, bool) or not isinstance(day, int):
                raise _Invalid(BAD_DAYS.format(value=value))
            days.append(day)
    elif isinstance(value, str):
        for part in value.split(","):
            match = _DAY_RANGE.match(part)
            if not match:
                raise _Invalid(BAD_DAYS.format(value=value))
            first = int(match.group(1))
            last = int(match.group(2) or first)
            if last < first:
                raise _Invalid(BAD_DAYS.format(value=value))
            days.extend(range(first, last + 1))
    else:
        raise _Invalid(BAD_DAYS.format(value=value))
    if not days:
        raise _Invalid(BAD_DAYS.format(value=value))
    if len(set(days)) != len(days):
        raise _Invalid(f"lists a day twice: {value!r}")
    if min(days) < 1:
        raise _Invalid(f"course days start at 1, got {min(days)}")
    return sorted(days)


def _condition(value):
    """'cd20_percent >= 20' → (field, comparator, threshold)."""
    match = _CONDITION.match(value) if isinstance(value, str) else None
    if not match:
        raise _Invalid(BAD_CONDITION.format(comparators=", ".join(CONDITION_COMPARATORS), value=value))
    return match.group(1), match.group(2), Decimal(match.group(3))


def _list(value):
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Invalid("must be a list")
    return value


def _scalars(value):
    """A list of plain values (text, whole numbers, true/false), as criteria compare them."""
    values = _list(value)
    for item in values:
        if not isinstance(item, str | int):  # bool is an int
            raise _Invalid(f"must be a list of text, whole numbers or true/false, got {item!r}")
    if len(set(map(repr, values))) != len(values):
        raise _Invalid(f"lists a value twice: {value!r}")
    return values


_REQUIRED = object()


def _fields(errors: _Errors, file: str, where: str, obj, spec: dict) -> dict | None:
    """Parse the mapping ``obj`` by ``spec`` ({field: (parser, default)}); problems go to ``errors``."""
    if not isinstance(obj, dict):
        errors.add(file, where, NOT_MAPPING)
        return None
    ok = True
    for key in obj:
        if key not in spec:
            errors.add(file, where, UNKNOWN_FIELD.format(field=key, allowed=", ".join(spec)))
            ok = False
    parsed = {}
    for name, (parser, default) in spec.items():
        if name not in obj:
            if default is _REQUIRED:
                errors.add(file, where, REQUIRED.format(field=name))
                ok = False
            else:
                parsed[name] = default() if callable(default) else default
            continue
        try:
            parsed[name] = parser(obj[name])
        except _Invalid as exc:
            errors.add(file, where, f"{name}: {exc}")
            ok = False
    return parsed if ok else None


def _top_level(errors: _Errors, file: str, data, spec: dict) -> dict | None:
    if not isinstance(data, dict):
        errors.add(file, "", NOT_MAPPING)
        return None
    kept = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith(IGNORED_KEY_PREFIX))}
    return _fields(errors, file, "", kept, spec)


def _item_label(obj, key="code"):
    return obj.get(key) if isinstance(obj, dict) and isinstance(obj.get(key), str | int) else None


# --------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------

TRIAL_FILE_SPEC = {
    "data_version": (_required_text, _REQUIRED),
    "trial": (lambda v: v, _REQUIRED),
    "drugs": (_list, _REQUIRED),
    "amendments": (_list, list),
    "versions": (_list, _REQUIRED),
}
TRIAL_SPEC = {
    "nct_id": (_required_text, _REQUIRED),
    "title": (_required_text, _REQUIRED),
    "short_title": (_required_text, _REQUIRED),
    "sponsor": (_text, ""),
}
DRUG_SPEC = {
    "code": (_slug, _REQUIRED),
    "name": (_required_text, _REQUIRED),
    "drug_class": (_text, ""),
    "is_study_drug": (_boolean, False),
    "cumulative_limit_parameter": (_text, ""),
}
AMENDMENT_SPEC = {
    "code": (_slug, _REQUIRED),
    "title": (_required_text, _REQUIRED),
    "effective_date": (_date, _REQUIRED),
    "summary": (_text, ""),
}
VERSION_FILE_SPEC = {
    "data_version": (_required_text, _REQUIRED),
    "version": (lambda v: v, _REQUIRED),
    "course_types": (_list, _REQUIRED),
    "course_sequence": (_list, _REQUIRED),
    "regimen": (lambda v: v, _REQUIRED),
    "hold_rules": (_list, list),
    "parameters": (_list, list),
    "eligibility_criteria": (_list, _REQUIRED),
    "response_rules": (_list, _REQUIRED),
}
VERSION_SPEC = {
    "code": (_slug, _REQUIRED),
    "name": (_required_text, _REQUIRED),
    "effective_date": (_date, _REQUIRED),
    "applies_from_sequence_number": (_optional(_integer(1)), None),
    "created_by_amendment": (_optional(_slug), None),
    "assignment_rule": (_choice(VersionAssignmentRule), _REQUIRED),
    "bsa_formula": (_choice(BSAFormula), BSAFormula.MOSTELLER.value),
    "description": (_text, ""),
}
COURSE_TYPE_SPEC = {
    "code": (_slug, _REQUIRED),
    "name": (_required_text, _REQUIRED),
    "phase": (_choice(CoursePhase), _REQUIRED),
    "length_days": (_integer(1), _REQUIRED),
    "cycle_days": (_integer(1), _REQUIRED),
    "min_interval_days": (_optional(_integer(1)), None),
}
SEQUENCE_SPEC = {
    "course_number": (_integer(1), _REQUIRED),
    "course_type": (_slug, _REQUIRED),
    "label": (_text, ""),
}
ALTERNATIVE_SPEC = {
    "drug": (_slug, _REQUIRED),
    "dose_amount": (_optional(_positive(_decimal(4))), None),
    "dose_unit": (_optional(_choice(DoseUnit)), None),
    "route": (_optional(_choice(Route)), None),
    "notes": (_text, ""),
}
REGIMEN_ITEM_SPEC = {
    "code": (_slug, _REQUIRED),
    "drug": (_slug, _REQUIRED),
    "role": (_choice(RegimenRole), _REQUIRED),
    "dose_amount": (_optional(_positive(_decimal(4))), None),
    "dose_unit": (_optional(_choice(DoseUnit)), None),
    "route": (_choice(Route), _REQUIRED),
    "frequency": (_choice(Frequency), _REQUIRED),
    "doses_per_day": (_integer(1), 1),
    "interval_hours": (_optional(_integer(1)), None),
    "days": (_days, _REQUIRED),
    "day_window_before": (_integer(0), 0),
    "day_window_after": (_integer(0), 0),
    "course_number_min": (_optional(_integer(1)), None),
    "course_number_max": (_optional(_integer(1)), None),
    "type_ordinal_min": (_optional(_integer(1)), None),
    "type_ordinal_max": (_optional(_integer(1)), None),
    "condition": (_optional(_condition), None),
    "dose_level": (_choice(DoseLevel), DoseLevel.STANDARD),
    "introduced_by": (_optional(_slug), None),
    "alternatives": (_list, list),
    "notes": (_text, ""),
    "source": (_choice(DataSource), DataSource.PAPER),
}
HOLD_RULE_SPEC = {
    "code": (_slug, _REQUIRED),
    "held_drug_class": (_required_text, _REQUIRED),
    "anchor_drug": (_slug, _REQUIRED),
    "days_before": (_integer(0), _REQUIRED),
    "days_after": (_integer(0), _REQUIRED),
    "description": (_text, ""),
}
CRITERION_SPEC = {
    "code": (_slug, _REQUIRED),
    "kind": (_choice(CriterionKind), _REQUIRED),
    "order": (_integer(0), _REQUIRED),
    "text": (_required_text, _REQUIRED),
    "variable": (_slug, _REQUIRED),
    "comparator": (_choice(Comparator), _REQUIRED),
    "threshold": (_optional(_decimal(4)), None),
    "allowed_values": (_scalars, list),
    "unit": (_text, ""),
    "source": (_choice(DataSource), DataSource.PAPER),
}
RESPONSE_RULE_SPEC = {
    "code": (_slug, _REQUIRED),
    "order": (_integer(0), _REQUIRED),
    "category": (_choice(ResponseCategory), _REQUIRED),
    "label": (_required_text, _REQUIRED),
    "marrow_blasts_max_percent": (_decimal(2), _REQUIRED),
    "neutrophils_comparator": (_choice_or_blank((">", "<=")), ""),
    "neutrophils_threshold": (_optional(_decimal(3)), None),
    "platelets_comparator": (_choice_or_blank((">", "<=")), ""),
    "platelets_threshold": (_optional(_decimal(3)), None),
    "extramedullary_disease_allowed": (_boolean, False),
    "source": (_choice(DataSource), DataSource.PAPER),
    "note": (_text, ""),
}
PARAMETER_SPEC = {
    "key": (_slug, _REQUIRED),
    "value": (_decimal(4), _REQUIRED),
    "unit": (_text, ""),
    "description": (_required_text, _REQUIRED),
    "source": (_choice(DataSource), DataSource.PAPER),
}


# --------------------------------------------------------------------------------------------
# Parsed data
# --------------------------------------------------------------------------------------------


@dataclass
class _VersionData:
    file: LoadedFile
    version: dict
    course_types: list[dict]
    sequence: list[dict]
    regimen: list[dict]  # each with "course_type" (code)
    hold_rules: list[dict]
    parameters: list[dict]
    criteria: list[dict]
    response_rules: list[dict]


@dataclass
class _TrialData:
    file: LoadedFile
    trial: dict
    drugs: list[dict]
    amendments: list[dict]
    versions: list[_VersionData]


def _read_yaml(path: Path, name: str, errors: _Errors):
    """(data, LoadedFile-without-version) or (None, None) when the file is missing or not YAML."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        errors.add(name, "", FILE_NOT_FOUND)
        return None, None
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        errors.add(name, "", NOT_YAML.format(error=str(exc).replace("\n", " ")))
        return None, None
    return data, hashlib.sha256(raw).hexdigest()


def _parse_list(errors, file, items, spec, what, key="code", prefix=""):
    """Parse a list of mappings, reporting duplicates of ``key``; returns the parsed ones.

    Problems are reported at "<what> <prefix><key>" (e.g. "regimen item mini-hcvd-odd/vincristine").
    """
    parsed, seen = [], set()
    for index, obj in enumerate(items):
        label = _item_label(obj, key)
        where = f"{what} {prefix}{label}" if label is not None else f"{what} {prefix}#{index + 1}"
        values = _fields(errors, file, where, obj, spec)
        if values is None:
            continue
        if values[key] in seen:
            errors.add(file, where, DUPLICATE.format(what=what, code=values[key]))
            continue
        seen.add(values[key])
        parsed.append(values)
    return parsed


def _read_trial(directory: Path, errors: _Errors) -> _TrialData | None:
    root = directory.name
    name = f"{root}/{TRIAL_FILE}"
    data, sha = _read_yaml(directory / TRIAL_FILE, name, errors)
    if data is None:
        return None
    top = _top_level(errors, name, data, TRIAL_FILE_SPEC)
    if top is None:
        return None
    file = LoadedFile(name, sha, top["data_version"])
    trial = _fields(errors, name, "trial", top["trial"], TRIAL_SPEC)
    drugs = _parse_list(errors, name, top["drugs"], DRUG_SPEC, "drug")
    amendments = _parse_list(errors, name, top["amendments"], AMENDMENT_SPEC, "amendment")
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
    base = [v.version["code"] for v in versions if v.version["assignment_rule"] == VersionAssignmentRule.BASE]
    if versions and len(base) != 1:
        codes = f" ({', '.join(base)})" if base else ""
        errors.add(name, "versions", BASE_VERSION_COUNT.format(count=len(base), codes=codes))
    if trial is None:
        return None
    return _TrialData(file, trial, drugs, amendments, versions)


def _read_version(directory, filename, errors, drug_codes, drug_classes, amendment_codes) -> _VersionData | None:
    name = f"{directory.name}/{filename}"
    data, sha = _read_yaml(directory / filename, name, errors)
    if data is None:
        return None
    top = _top_level(errors, name, data, VERSION_FILE_SPEC)
    if top is None:
        return None
    file = LoadedFile(name, sha, top["data_version"])
    before = len(errors.messages)

    version = _fields(errors, name, "version", top["version"], VERSION_SPEC)
    if version and version["created_by_amendment"] and version["created_by_amendment"] not in amendment_codes:
        errors.add(name, "version", UNKNOWN_AMENDMENT.format(code=version["created_by_amendment"]))
    if (
        version
        and version["assignment_rule"] in (VersionAssignmentRule.SEQUENCE, VersionAssignmentRule.SEQUENCE_OR_DATE)
        and version["applies_from_sequence_number"] is None
    ):
        errors.add(name, "version", RULE_NEEDS_SEQUENCE_NUMBER.format(rule=version["assignment_rule"]))

    criteria = _parse_list(errors, name, top["eligibility_criteria"], CRITERION_SPEC, "eligibility criterion")
    for criterion in criteria:
        _check_criterion(errors, name, criterion)

    course_types = _parse_list(errors, name, top["course_types"], COURSE_TYPE_SPEC, "course type")
    types_by_code = {ct["code"]: ct for ct in course_types}

    sequence = _parse_list(errors, name, top["course_sequence"], SEQUENCE_SPEC, "course", key="course_number")
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
    if not isinstance(top["regimen"], dict):
        errors.add(name, "regimen", "must be a mapping of course type code to a list of items")
    else:
        for type_code, items in top["regimen"].items():
            if type_code not in types_by_code:
                errors.add(name, f"regimen {type_code}", UNKNOWN_COURSE_TYPE.format(code=type_code))
                continue
            if not isinstance(items, list):
                errors.add(name, f"regimen {type_code}", NOT_LIST.format(field=f"regimen {type_code}"))
                continue
            for item in _parse_list(errors, name, items, REGIMEN_ITEM_SPEC, "regimen item", prefix=f"{type_code}/"):
                _check_regimen_item(
                    errors, name, type_code, item, types_by_code[type_code], placements, drug_codes, amendment_codes
                )
                item["course_type"] = type_code
                regimen.append(item)

    hold_rules = _parse_list(errors, name, top["hold_rules"], HOLD_RULE_SPEC, "hold rule")
    for rule in hold_rules:
        where = f"hold rule {rule['code']}"
        if rule["anchor_drug"] not in drug_codes:
            errors.add(name, where, UNKNOWN_DRUG.format(code=rule["anchor_drug"]))
        if rule["held_drug_class"] not in drug_classes:
            errors.add(name, where, UNKNOWN_DRUG_CLASS.format(value=rule["held_drug_class"]))

    parameters = _parse_list(errors, name, top["parameters"], PARAMETER_SPEC, "parameter", key="key")

    if version is None or len(errors.messages) > before:
        return None
    response_rules = _parse_list(errors, name, top["response_rules"], RESPONSE_RULE_SPEC, "response rule")
    for rule in response_rules:
        for count in ("neutrophils", "platelets"):
            if bool(rule[f"{count}_comparator"]) != (rule[f"{count}_threshold"] is not None):
                errors.add(name, f"response rule {rule['code']}", RESPONSE_RULE_PAIR.format(count=count))
    if not any(r["category"] != ResponseCategory.NO_RESPONSE for r in response_rules):
        errors.add(name, "response_rules", "at least one rule must define a response category")
    if version is None or len(errors.messages) > before:
        return None
    return _VersionData(
        file, version, course_types, sequence, regimen, hold_rules, parameters, criteria, response_rules
    )


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
    """Cross-field checks of one regimen item; normalises condition and alternatives in place."""
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

    alternatives = []
    for index, alt in enumerate(item["alternatives"]):
        values = _fields(errors, file, f"{where} alternative #{index + 1}", alt, ALTERNATIVE_SPEC)
        if values is None:
            continue
        if values["drug"] not in drug_codes:
            errors.add(file, f"{where} alternative #{index + 1}", UNKNOWN_DRUG.format(code=values["drug"]))
        if values["dose_amount"] is not None and not values["dose_unit"]:
            errors.add(file, f"{where} alternative #{index + 1}", DOSE_WITHOUT_UNIT)
        # Stored as JSON: decimals as text so no precision is lost; empty fields left out.
        alternatives.append(
            {
                k: (format(v, "f") if isinstance(v, Decimal) else v)
                for k, v in values.items()
                if v is not None and v != ""
            }
        )
    item["alternatives"] = alternatives

    condition = item.pop("condition")
    item["condition_field"], item["condition_comparator"], item["condition_threshold"] = (
        condition if condition else ("", "", None)
    )
    item["dose_unit"] = item["dose_unit"] or ""


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _describe(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "_meta"):
        return f"{value.code!r}" if hasattr(value, "code") else str(value)
    return repr(value) if isinstance(value, str) else str(value)


class _Writer:
    """Upserts rows by natural key through the audited helpers and keeps the report."""

    def __init__(self, actor, report: LoadReport):
        self.actor = actor
        self.report = report
        self.stale: dict[type, list[tuple[object, LoadedFile, str]]] = {m: [] for m in LOAD_ORDER}

    def _fail(self, file: LoadedFile, label: str, exc: ValidationError):
        messages = []
        if hasattr(exc, "message_dict"):
            for fld, msgs in exc.message_dict.items():
                messages += [f"{fld}: {m}" if fld != "__all__" else m for m in msgs]
        else:
            messages = list(exc.messages)
        raise ProtocolDataError([f"{file.name}: {label}: {m}" for m in messages]) from exc

    def upsert(self, model, existing: dict, key, values: dict, file: LoadedFile, label: str):
        counts = self.report.counts[model.__name__]
        obj = existing.pop(key, None)
        try:
            if obj is None:
                obj = audited_create(model(**values), actor=self.actor, reason=file.create_reason)
                counts.created += 1
                return obj
            # Related records as users read them (not ids), taken before the update replaces them.
            old_related = {
                name: getattr(obj, name)
                for name in changed_fields(obj, values)
                if obj._meta.get_field(name).is_relation
            }
            obj, diff = audited_update(obj, actor=self.actor, reason=file.update_reason, **values)
        except ValidationError as exc:
            self._fail(file, label, exc)
        if diff:
            counts.updated += 1
            shown = {
                name: (old_related[name], values[name]) if name in old_related else (old, new)
                for name, (old, new) in diff.items()
            }
            changes = "; ".join(f"{name} {_describe(old)} → {_describe(new)}" for name, (old, new) in shown.items())
            self.report.changes.append(f"{model.__name__} {label}: {changes}")
        else:
            counts.unchanged += 1
        return obj

    def mark_stale(self, model, rows, file_for, label_for):
        for row in rows:
            self.stale[model].append((row, file_for(row), label_for(row)))

    def delete_stale(self):
        for model in reversed(LOAD_ORDER):
            for row, file, label in self.stale[model]:
                try:
                    audited_delete(row, actor=self.actor, reason=file.delete_reason)
                except ProtectedError as exc:
                    refs = ", ".join(sorted({f"{type(o).__name__} {o.pk}" for o in exc.protected_objects})[:5])
                    raise ProtocolDataError([f"{file.name}: {label}: {CANNOT_DELETE.format(refs=refs)}"]) from exc
                self.report.counts[model.__name__].deleted += 1
                self.report.deletions.append(f"{model.__name__} {label}")


def protocol_load(*, actor, directory) -> LoadReport:
    """Validate the protocol data files in ``directory`` and bring the database in line with them.

    Raises :class:`ProtocolDataError` (nothing written) when a file is missing or invalid.
    """
    directory = Path(directory)
    errors = _Errors()
    data = _read_trial(directory, errors)
    if errors or data is None:
        raise ProtocolDataError(errors.messages or [f"{directory}: nothing to load"])
    report = LoadReport.for_models(
        LOAD_ORDER, directory=str(directory), files=[data.file] + [v.file for v in data.versions]
    )
    _write(data, _Writer(actor, report))
    return report


@transaction.atomic
def _write(data: _TrialData, writer: _Writer):
    tfile = data.file
    nct_id = data.trial["nct_id"]
    existing_trial = {t.nct_id: t for t in Trial.objects.filter(nct_id=nct_id)}
    trial = writer.upsert(Trial, existing_trial, nct_id, data.trial, tfile, f"trial {nct_id}")

    drugs_existing = {d.code: d for d in Drug.objects.filter(trial=trial)}
    drugs = {
        d["code"]: writer.upsert(Drug, drugs_existing, d["code"], {"trial": trial, **d}, tfile, f"drug {d['code']}")
        for d in data.drugs
    }

    amendments_existing = {a.code: a for a in ProtocolAmendment.objects.filter(trial=trial)}
    amendments = {
        a["code"]: writer.upsert(
            ProtocolAmendment, amendments_existing, a["code"], {"trial": trial, **a}, tfile, f"amendment {a['code']}"
        )
        for a in data.amendments
    }

    versions_existing = {v.code: v for v in ProtocolVersion.objects.filter(trial=trial)}
    course_types_existing = {
        (ct.protocol_version_id, ct.code): ct for ct in CourseType.objects.filter(protocol_version__trial=trial)
    }
    steps_existing = {
        (s.protocol_version_id, s.course_number): s
        for s in CourseSequenceStep.objects.filter(protocol_version__trial=trial)
    }
    parameters_existing = {
        (p.protocol_version_id, p.key): p for p in ProtocolParameter.objects.filter(protocol_version__trial=trial)
    }
    items_existing = {
        (i.protocol_version_id, i.course_type_id, i.code): i
        for i in RegimenItem.objects.filter(protocol_version__trial=trial)
    }
    rules_existing = {
        (r.protocol_version_id, r.code): r for r in DrugHoldRule.objects.filter(protocol_version__trial=trial)
    }
    criteria_existing = {
        (c.protocol_version_id, c.code): c for c in EligibilityCriterion.objects.filter(protocol_version__trial=trial)
    }
    response_rules_existing = {
        (r.protocol_version_id, r.code): r for r in ResponseRule.objects.filter(protocol_version__trial=trial)
    }

    file_of_version: dict[int, LoadedFile] = {}
    for vdata in data.versions:
        vfile = vdata.file
        v = vdata.version
        vcode = v["code"]
        version = writer.upsert(
            ProtocolVersion,
            versions_existing,
            vcode,
            {
                "trial": trial,
                **v,
                "created_by_amendment": amendments[v["created_by_amendment"]] if v["created_by_amendment"] else None,
                "data_file": vfile.name,
                "data_sha256": vfile.sha256,
                "data_version": vfile.data_version,
            },
            vfile,
            f"version {vcode}",
        )
        file_of_version[version.pk] = vfile

        course_types = {}
        for ct in vdata.course_types:
            course_types[ct["code"]] = writer.upsert(
                CourseType,
                course_types_existing,
                (version.pk, ct["code"]),
                {"protocol_version": version, **ct},
                vfile,
                f"course type {vcode}/{ct['code']}",
            )
        for step in vdata.sequence:
            writer.upsert(
                CourseSequenceStep,
                steps_existing,
                (version.pk, step["course_number"]),
                {"protocol_version": version, **step, "course_type": course_types[step["course_type"]]},
                vfile,
                f"course {vcode}/{step['course_number']}",
            )
        for param in vdata.parameters:
            writer.upsert(
                ProtocolParameter,
                parameters_existing,
                (version.pk, param["key"]),
                {"protocol_version": version, **param},
                vfile,
                f"parameter {vcode}/{param['key']}",
            )
        for item in vdata.regimen:
            course_type = course_types[item["course_type"]]
            writer.upsert(
                RegimenItem,
                items_existing,
                (version.pk, course_type.pk, item["code"]),
                {
                    "protocol_version": version,
                    **item,
                    "course_type": course_type,
                    "drug": drugs[item["drug"]],
                    "introduced_by": amendments[item["introduced_by"]] if item["introduced_by"] else None,
                },
                vfile,
                f"regimen item {vcode}/{item['course_type']}/{item['code']}",
            )
        for rule in vdata.hold_rules:
            writer.upsert(
                DrugHoldRule,
                rules_existing,
                (version.pk, rule["code"]),
                {"protocol_version": version, **rule, "anchor_drug": drugs[rule["anchor_drug"]]},
                vfile,
                f"hold rule {vcode}/{rule['code']}",
            )
        for criterion in vdata.criteria:
            writer.upsert(
                EligibilityCriterion,
                criteria_existing,
                (version.pk, criterion["code"]),
                {"protocol_version": version, **criterion},
                vfile,
                f"eligibility criterion {vcode}/{criterion['code']}",
            )
        for rule in vdata.response_rules:
            writer.upsert(
                ResponseRule,
                response_rules_existing,
                (version.pk, rule["code"]),
                {"protocol_version": version, **rule},
                vfile,
                f"response rule {vcode}/{rule['code']}",
            )

    # What is left in the "existing" maps is no longer in the files.
    def file_for(row):
        return file_of_version.get(getattr(row, "protocol_version_id", None), tfile)

    versions_by_pk = {v.pk: v.code for v in ProtocolVersion.objects.filter(trial=trial)}

    def child_label(kind, *parts):
        return lambda row: (
            f"{kind} {versions_by_pk.get(row.protocol_version_id, '?')}/" + "/".join(str(p(row)) for p in parts)
        )

    writer.mark_stale(Drug, drugs_existing.values(), file_for, lambda r: f"drug {r.code}")
    writer.mark_stale(ProtocolAmendment, amendments_existing.values(), file_for, lambda r: f"amendment {r.code}")
    writer.mark_stale(ProtocolVersion, versions_existing.values(), file_for, lambda r: f"version {r.code}")
    writer.mark_stale(
        CourseType, course_types_existing.values(), file_for, child_label("course type", lambda r: r.code)
    )
    writer.mark_stale(
        CourseSequenceStep, steps_existing.values(), file_for, child_label("course", lambda r: r.course_number)
    )
    writer.mark_stale(
        ProtocolParameter, parameters_existing.values(), file_for, child_label("parameter", lambda r: r.key)
    )
    writer.mark_stale(
        RegimenItem,
        items_existing.values(),
        file_for,
        child_label("regimen item", lambda r: r.course_type.code, lambda r: r.code),
    )
    writer.mark_stale(DrugHoldRule, rules_existing.values(), file_for, child_label("hold rule", lambda r: r.code))
    writer.mark_stale(
        EligibilityCriterion,
        criteria_existing.values(),
        file_for,
        child_label("eligibility criterion", lambda r: r.code),
    )
    writer.mark_stale(
        ResponseRule, response_rules_existing.values(), file_for, child_label("response rule", lambda r: r.code)
    )
    writer.delete_stale()
