"""Load a CTCAE version (terms, navigational notes, lab-grading rules) from its data folder into the dictionary.

A version's folder (``data/ctcae_v5.0/``) holds ``version.yaml`` (code, name, publication date, the file names,
the counts the files must have and the provenance) and three CSV files, described in the folder's README.md:
the terms (one row per CTCAE term, ``-`` for an undefined grade), the navigational notes (merged into the terms
by MedDRA code) and the lab-grading rules (linked to the terms by MedDRA code; ``NA`` grade = not gradable).

:func:`ctcae_load` reads and validates every file before it writes anything; an error names the file, the line
and the row. It then brings the version in line with the files inside one transaction, through the audited
helpers only: rows are matched by natural key (the version by code, a term by MedDRA code, a rule by lab term,
unit system, unit and rule order); new rows are created in bulk (``audited_bulk_create``, one history row each),
changed rows are updated (``audited_update``) with the file and its checksum as the reason for change, rows no
longer in the files are deleted (refused while other records refer to them), and unchanged rows are left alone,
so loading the same files twice writes nothing (not even history rows).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from core.audit.writes import audited_bulk_create, audited_create, audited_delete, audited_update, changed_fields
from core.data_loading import DataLoadReport

from .choices import UnitSystem
from .derivations.grading import NAMES, LabRuleError, LabRuleSpec
from .models import OTHER_SPECIFY_SUFFIX, CTCAETerm, CTCAEVersion, LabGradingRule
from .selectors import clear_lab_rules_cache

DATA_ROOT = Path(__file__).resolve().parent / "data"
DEFAULT_DIRECTORY = DATA_ROOT / "ctcae_v5.0"
VERSION_FILE = "version.yaml"

TERM_COLUMNS = ("meddra_code", "soc", "term", "grade_1", "grade_2", "grade_3", "grade_4", "grade_5", "definition")
NOTE_COLUMNS = ("meddra_code", "soc", "term", "navigational_note")
LAB_COLUMNS = (
    "term",
    "ctcae_term",
    "meddra_code",
    "soc",
    "unit_system",
    "unit",
    "direction",
    "required_inputs",
    "rule_order",
    "grade",
    "condition",
    "comparator",
    "threshold_ref",
    "threshold_factor",
    "threshold_offset",
    "threshold_value",
    "extra_condition",
    "ctcae_grade_text",
    "admiral_comment",
)
GRADE_FIELDS = ("grade_1", "grade_2", "grade_3", "grade_4", "grade_5")
UNDEFINED_GRADE = "-"
NOT_GRADABLE = "NA"
DIRECTIONS = ("H", "L")
VERSION_KEYS = ("code", "name", "published", "files", "expected", "provenance")
FILE_KEYS = ("terms", "navigational_notes", "lab_grading")
EXPECTED_KEYS = ("terms", "socs", "other_specify_terms", "navigational_notes", "lab_rules", "lab_terms")
_MEDDRA_CODE = re.compile(r"^\d{8}$")

# Error messages (each is reported as "<file>: <where>: <message>").
FILE_NOT_FOUND = "file not found"
NOT_UTF8 = "not UTF-8 text: {error}"
NOT_CSV = "not valid CSV: {error}"
NOT_YAML = "not valid YAML: {error}"
BAD_HEADER = "the header must be {expected}, got {got}"
FIELD_COUNT = "has {got} fields, the header has {expected}"
REQUIRED = "{field} is required"
UNKNOWN_KEY = "unknown key {key!r} (expected one of: {allowed})"
BAD_VERSION_VALUE = "{field} must be {what}, got {value!r}"
BAD_MEDDRA_CODE = "meddra_code must be 8 digits, got {value!r}"
EMPTY_GRADE = "{field} is empty (write '-' for a grade that is not defined)"
DUPLICATE_CODE = "duplicate MedDRA code {code!r} (first on line {first})"
DUPLICATE_TERM = "duplicate term {term!r} (first on line {first})"
DUPLICATE_NOTE = "a second navigational note for MedDRA code {code!r} (first on line {first})"
DUPLICATE_RULE = "duplicate rule {key} (first on line {first})"
UNKNOWN_CODE = "MedDRA code {code!r} is not a term of {terms_file}"
TERM_MISMATCH = "{column} {got!r} does not match {terms_file}, where MedDRA code {code} is {expected!r}"
GRADE_TEXT_MISMATCH = "ctcae_grade_text does not match grade_{grade} of {term!r} in {terms_file}"
GRADE_TEXT_NOT_EMPTY = "ctcae_grade_text must be empty for grade {grade}"
BAD_CHOICE = "{field} must be one of {allowed}, got {value!r}"
BAD_INTEGER = "{field} must be a whole number of at least 1, got {value!r}"
BAD_DECIMAL = "{field} must be a number or empty, got {value!r}"
BAD_RULE_GRADE = "grade must be 0–4 or NA, got {value!r}"
BAD_REQUIRED_INPUTS = "required_inputs names unknown inputs: {names}"
LAST_RULE_NOT_OTHERWISE = "the last rule of {test} (rule_order {order}) must be 'otherwise', got {condition!r}"
TEST_INCONSISTENT = "{field} differs between the rules of {test}: {values}"
COUNT_MISMATCH = "version.yaml expects {expected} {what}, the files have {got}"
CANNOT_DELETE = "is no longer in the data files but cannot be removed: other records still refer to it ({refs})"


class CTCAEDataError(Exception):
    """The CTCAE data files cannot be loaded; ``errors`` lists each problem with its file and row."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("CTCAE data not loaded:\n" + "\n".join(f"  {e}" for e in self.errors))


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

LOADED_MODELS = (CTCAEVersion, CTCAETerm, LabGradingRule)


@dataclass(frozen=True)
class DataFile:
    """One data file as read: its name (``<folder>/<file>``) and SHA-256."""

    name: str
    sha256: str

    def __str__(self):
        return f"{self.name} sha256 {self.sha256}"


@dataclass
class CTCAELoadReport(DataLoadReport):
    """What a CTCAE load did (see :class:`core.data_loading.DataLoadReport`), with the files read."""

    version_code: str = ""
    files: list[DataFile] = field(default_factory=list)

    def heading_lines(self) -> list[str]:
        return [f"CTCAE v{self.version_code} from {self.directory}"] + [
            f"  {f.name}  sha256 {f.sha256}" for f in self.files
        ]


# --------------------------------------------------------------------------------------------
# Reading and validating
# --------------------------------------------------------------------------------------------


class _Errors:
    def __init__(self):
        self.messages: list[str] = []

    def add(self, file: str, where: str, message: str):
        self.messages.append(f"{file}: {where}: {message}" if where else f"{file}: {message}")

    def __bool__(self):
        return bool(self.messages)


@dataclass
class CTCAEData:
    """The validated content of a version's folder, ready to be written."""

    directory: Path
    version: dict
    version_file: DataFile
    terms_file: DataFile
    notes_file: DataFile | None
    lab_file: DataFile | None
    terms: list[dict] = field(default_factory=list)  # CTCAETerm values (no version), in file order
    lab_rules: list[dict] = field(default_factory=list)  # LabGradingRule values, ctcae_term as a MedDRA code
    term_lines: dict[str, int] = field(default_factory=dict)  # MedDRA code → line in the terms file
    rule_lines: dict[tuple, int] = field(default_factory=dict)  # rule key → line in the lab-grading file

    @property
    def files(self) -> list[DataFile]:
        return [f for f in (self.version_file, self.terms_file, self.notes_file, self.lab_file) if f]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_bytes(path: Path, name: str, errors: _Errors) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        errors.add(name, "", FILE_NOT_FOUND)
    except OSError as exc:
        errors.add(name, "", str(exc))
    return None


def _read_csv(path: Path, name: str, columns: tuple, errors: _Errors):
    """(DataFile, [(line, row dict)]) or (None, None) when the file cannot be read as the expected CSV."""
    raw = _read_bytes(path, name, errors)
    if raw is None:
        return None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.add(name, "", NOT_UTF8.format(error=exc))
        return None, None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    try:
        header = next(reader, None)
        if header is None or tuple(header) != columns:
            errors.add(name, "line 1", BAD_HEADER.format(expected=",".join(columns), got=",".join(header or [])))
            return None, None
        while True:
            line = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            if len(record) != len(columns):
                errors.add(name, f"line {line}", FIELD_COUNT.format(got=len(record), expected=len(columns)))
                continue
            rows.append((line, dict(zip(columns, record, strict=True))))
    except csv.Error as exc:
        errors.add(name, f"line {reader.line_num}", NOT_CSV.format(error=exc))
        return None, None
    return DataFile(name, _sha256(raw)), rows


def _read_version(directory: Path, folder: str, errors: _Errors):
    name = f"{folder}/{VERSION_FILE}"
    raw = _read_bytes(directory / VERSION_FILE, name, errors)
    if raw is None:
        return None, None
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        errors.add(name, "", NOT_YAML.format(error=exc))
        return None, None
    if not isinstance(data, dict):
        errors.add(name, "", BAD_VERSION_VALUE.format(field="the file", what="a mapping of key: value", value=data))
        return None, None
    before = len(errors.messages)
    for key in data:
        if key not in VERSION_KEYS:
            errors.add(name, "", UNKNOWN_KEY.format(key=key, allowed=", ".join(VERSION_KEYS)))
    for key in ("code", "name", "provenance"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            errors.add(
                name, key, BAD_VERSION_VALUE.format(field=key, what="quoted, non-empty text", value=data.get(key))
            )
    published = data.get("published")
    if not isinstance(published, date) or isinstance(published, datetime):
        errors.add(name, "published", BAD_VERSION_VALUE.format(field="published", what="a date", value=published))
    files = data.get("files")
    if not isinstance(files, dict) or not isinstance(files.get("terms"), str):
        errors.add(name, "files", REQUIRED.format(field="files.terms"))
        files = {}
    for key, value in files.items():
        if key not in FILE_KEYS:
            errors.add(name, "files", UNKNOWN_KEY.format(key=key, allowed=", ".join(FILE_KEYS)))
        elif not isinstance(value, str) or not value or "/" in value or "\\" in value:
            errors.add(name, f"files.{key}", BAD_VERSION_VALUE.format(field=key, what="a file name", value=value))
    expected = data.get("expected") or {}
    if not isinstance(expected, dict):
        errors.add(name, "expected", BAD_VERSION_VALUE.format(field="expected", what="a mapping", value=expected))
        expected = {}
    for key, value in expected.items():
        if key not in EXPECTED_KEYS:
            errors.add(name, "expected", UNKNOWN_KEY.format(key=key, allowed=", ".join(EXPECTED_KEYS)))
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.add(name, f"expected.{key}", BAD_VERSION_VALUE.format(field=key, what="a count", value=value))
    if len(errors.messages) > before:
        return None, None
    version = {
        "code": data["code"].strip(),
        "name": data["name"].strip(),
        "published": published,
        "provenance": data["provenance"].strip(),
        "files": files,
        "expected": expected,
    }
    return version, DataFile(name, _sha256(raw))


def _cell(value: str) -> str:
    return value.strip()


def _check_model_fields(model, values: dict, exclude: set, file: str, where: str, errors: _Errors):
    """Field checks (lengths, choices, digits) of the model, without touching the database."""
    try:
        model(**values).clean_fields(exclude=exclude)
    except ValidationError as exc:
        for fld, messages in exc.message_dict.items():
            for message in messages:
                errors.add(file, where, f"{fld}: {message}")


def _read_terms(data: CTCAEData, rows, errors: _Errors):
    name = data.terms_file.name
    first_line_of_code: dict[str, int] = {}
    first_line_of_term: dict[str, int] = {}
    for line, row in rows:
        code, soc, term = _cell(row["meddra_code"]), _cell(row["soc"]), _cell(row["term"])
        where = f"line {line} ({term or code or 'row'})"
        ok = code_ok = True
        if not _MEDDRA_CODE.match(code):
            errors.add(name, where, BAD_MEDDRA_CODE.format(value=row["meddra_code"]))
            ok = code_ok = False
        elif code in first_line_of_code:
            errors.add(name, where, DUPLICATE_CODE.format(code=code, first=first_line_of_code[code]))
            ok = code_ok = False
        for column, value in (("soc", soc), ("term", term)):
            if not value:
                errors.add(name, where, REQUIRED.format(field=column))
                ok = False
        if term and term in first_line_of_term:
            errors.add(name, where, DUPLICATE_TERM.format(term=term, first=first_line_of_term[term]))
            ok = False
        values = {"meddra_code": code, "soc": soc, "term": term}
        for column in GRADE_FIELDS:
            text = _cell(row[column])
            if not text:
                errors.add(name, where, EMPTY_GRADE.format(field=column))
                ok = False
            values[column] = "" if text == UNDEFINED_GRADE else text
        values["definition"] = _cell(row["definition"])
        values["navigational_note"] = ""
        if ok:
            _check_model_fields(CTCAETerm, values, {"version"}, name, where, errors)
            first_line_of_term[term] = line
        if code_ok:  # kept even when invalid, so the other files' references to it are not reported as well
            first_line_of_code[code] = line
            data.terms.append(values)
            data.term_lines[code] = line


def _read_notes(data: CTCAEData, rows, errors: _Errors):
    name = data.notes_file.name
    terms = {t["meddra_code"]: t for t in data.terms}
    first_line: dict[str, int] = {}
    for line, row in rows:
        code, note = _cell(row["meddra_code"]), _cell(row["navigational_note"])
        where = f"line {line} ({_cell(row['term']) or code or 'row'})"
        term = terms.get(code)
        if term is None:
            errors.add(name, where, UNKNOWN_CODE.format(code=code, terms_file=data.terms_file.name))
            continue
        for column in ("soc", "term"):
            if _cell(row[column]) != term[column]:
                errors.add(
                    name,
                    where,
                    TERM_MISMATCH.format(
                        column=column,
                        got=row[column],
                        terms_file=data.terms_file.name,
                        code=code,
                        expected=term[column],
                    ),
                )
        if code in first_line:
            errors.add(name, where, DUPLICATE_NOTE.format(code=code, first=first_line[code]))
            continue
        if not note:
            errors.add(name, where, REQUIRED.format(field="navigational_note"))
            continue
        first_line[code] = line
        term["navigational_note"] = note
    return len(first_line)


def _decimal_cell(row, column, name, where, errors) -> Decimal | None:
    text = _cell(row[column])
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors.add(name, where, BAD_DECIMAL.format(field=column, value=text))
        return None
    return number


def _read_lab_rules(data: CTCAEData, rows, errors: _Errors):
    name = data.lab_file.name
    terms = {t["meddra_code"]: t for t in data.terms}
    tests: dict[tuple, list[tuple[int, dict]]] = {}
    for line, row in rows:
        lab_term = _cell(row["term"])
        where = f"line {line} ({lab_term or 'row'} #{_cell(row['rule_order']) or '?'})"
        before = len(errors.messages)
        code = _cell(row["meddra_code"])
        term = terms.get(code)
        if term is None:
            errors.add(name, where, UNKNOWN_CODE.format(code=code, terms_file=data.terms_file.name))
        else:
            for column, expected in (("ctcae_term", term["term"]), ("soc", term["soc"])):
                if _cell(row[column]) != expected:
                    errors.add(
                        name,
                        where,
                        TERM_MISMATCH.format(
                            column=column,
                            got=row[column],
                            terms_file=data.terms_file.name,
                            code=code,
                            expected=expected,
                        ),
                    )
        if not lab_term:
            errors.add(name, where, REQUIRED.format(field="term"))
        unit_system, unit, direction = _cell(row["unit_system"]), _cell(row["unit"]), _cell(row["direction"])
        if unit_system not in UnitSystem.values:
            errors.add(
                name, where, BAD_CHOICE.format(field="unit_system", allowed=UnitSystem.values, value=unit_system)
            )
        if direction not in DIRECTIONS:
            errors.add(name, where, BAD_CHOICE.format(field="direction", allowed=list(DIRECTIONS), value=direction))
        order_text = _cell(row["rule_order"])
        rule_order = int(order_text) if order_text.isdigit() and int(order_text) >= 1 else None
        if rule_order is None:
            errors.add(name, where, BAD_INTEGER.format(field="rule_order", value=order_text))
        grade_text = _cell(row["grade"])
        grade = None
        if grade_text != NOT_GRADABLE:
            if grade_text in ("0", "1", "2", "3", "4"):
                grade = int(grade_text)
            else:
                errors.add(name, where, BAD_RULE_GRADE.format(value=grade_text))
        inputs = [n.strip() for n in row["required_inputs"].split(",") if n.strip()]
        unknown_inputs = [n for n in inputs if n not in NAMES]
        if unknown_inputs:
            errors.add(name, where, BAD_REQUIRED_INPUTS.format(names=", ".join(unknown_inputs)))
        numbers = {
            column: _decimal_cell(row, column, name, where, errors)
            for column in ("threshold_factor", "threshold_offset", "threshold_value")
        }
        nci_text = _cell(row["ctcae_grade_text"])
        if term is not None and grade_text in ("1", "2", "3", "4"):
            if nci_text != term[f"grade_{grade_text}"]:
                errors.add(
                    name,
                    where,
                    GRADE_TEXT_MISMATCH.format(grade=grade_text, term=term["term"], terms_file=data.terms_file.name),
                )
        elif nci_text:
            errors.add(name, where, GRADE_TEXT_NOT_EMPTY.format(grade=grade_text))
        if len(errors.messages) > before:
            continue
        values = {
            "lab_term": lab_term,
            "unit_system": unit_system,
            "unit": unit,
            "direction": direction,
            "rule_order": rule_order,
            "grade": grade,
            "condition": _cell(row["condition"]),
            "comparator": _cell(row["comparator"]),
            "threshold_ref": _cell(row["threshold_ref"]),
            **numbers,
            "extra_condition": _cell(row["extra_condition"]),
        }
        try:
            spec = LabRuleSpec(**{k: v for k, v in values.items() if k != "direction"})
        except LabRuleError as exc:
            errors.add(name, where, str(exc))
            continue
        _check_model_fields(LabGradingRule, values, {"version", "ctcae_term"}, name, where, errors)
        key = spec.test + (rule_order,)
        if key in data.rule_lines:
            errors.add(name, where, DUPLICATE_RULE.format(key=key, first=data.rule_lines[key]))
            continue
        data.rule_lines[key] = line
        values["ctcae_term"] = code
        data.lab_rules.append(values)
        tests.setdefault(spec.test, []).append((line, values | {"_spec": spec}))

    for test, rules in tests.items():
        for column in ("direction", "ctcae_term"):
            seen = sorted({values[column] for _line, values in rules})
            if len(seen) > 1:
                errors.add(name, f"line {rules[0][0]}", TEST_INCONSISTENT.format(field=column, test=test, values=seen))
        line, last = max(rules, key=lambda item: item[1]["rule_order"])
        if last["_spec"].groups != ((),):
            errors.add(
                name,
                f"line {line}",
                LAST_RULE_NOT_OTHERWISE.format(test=test, order=last["rule_order"], condition=last["condition"]),
            )
    return len({rule["lab_term"] for rule in data.lab_rules})


def _check_count(errors, name, expected: dict, key: str, what: str, got: int):
    if key in expected and expected[key] != got:
        errors.add(name, "expected", COUNT_MISMATCH.format(expected=expected[key], what=what, got=got))


def ctcae_read(directory) -> CTCAEData:
    """Read and validate a version's folder without touching the database.

    Raises :class:`CTCAEDataError` listing every problem found (file, line, row, what is wrong).
    """
    directory = Path(directory)
    folder = directory.name
    errors = _Errors()
    version, version_file = _read_version(directory, folder, errors)
    if version is None:
        raise CTCAEDataError(errors.messages)
    files = version["files"]
    terms_file, term_rows = _read_csv(directory / files["terms"], f"{folder}/{files['terms']}", TERM_COLUMNS, errors)
    notes_file = note_rows = lab_file = lab_rows = None
    if files.get("navigational_notes"):
        notes_name = f"{folder}/{files['navigational_notes']}"
        notes_file, note_rows = _read_csv(directory / files["navigational_notes"], notes_name, NOTE_COLUMNS, errors)
    if files.get("lab_grading"):
        lab_name = f"{folder}/{files['lab_grading']}"
        lab_file, lab_rows = _read_csv(directory / files["lab_grading"], lab_name, LAB_COLUMNS, errors)
    if errors:
        raise CTCAEDataError(errors.messages)

    data = CTCAEData(directory, version, version_file, terms_file, notes_file, lab_file)
    _read_terms(data, term_rows, errors)
    expected = version["expected"]
    socs = {t["soc"] for t in data.terms}
    other_specify = [t for t in data.terms if t["term"].endswith(OTHER_SPECIFY_SUFFIX)]
    _check_count(errors, version_file.name, expected, "terms", f"terms in {terms_file.name}", len(term_rows))
    _check_count(errors, version_file.name, expected, "socs", "system organ classes", len(socs))
    _check_count(
        errors, version_file.name, expected, "other_specify_terms", "'Other, specify' terms", len(other_specify)
    )
    if notes_file:
        _read_notes(data, note_rows, errors)
        _check_count(errors, version_file.name, expected, "navigational_notes", "navigational notes", len(note_rows))
    if lab_file:
        lab_terms = _read_lab_rules(data, lab_rows, errors)
        _check_count(errors, version_file.name, expected, "lab_rules", "lab-grading rules", len(lab_rows))
        _check_count(errors, version_file.name, expected, "lab_terms", "lab terms with rules", lab_terms)
    if errors:
        raise CTCAEDataError(errors.messages)
    return data


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _describe(value) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "_meta"):
        return str(value)
    if isinstance(value, str):
        text = " ".join(value.split())
        return repr(text if len(text) <= 60 else text[:57] + "...")
    return str(value)


class _Writer:
    """Upserts rows by natural key through the audited helpers and keeps the report."""

    def __init__(self, actor, data: CTCAEData, report: CTCAELoadReport):
        self.actor = actor
        self.data = data
        self.report = report
        code = data.version["code"]
        terms_files = ", ".join(str(f) for f in (data.terms_file, data.notes_file) if f)
        self.reasons = {
            CTCAEVersion: str(data.version_file),
            CTCAETerm: terms_files,
            LabGradingRule: str(data.lab_file) if data.lab_file else terms_files,
        }
        self.create_reason = {m: f"CTCAE v{code} data load: {files}" for m, files in self.reasons.items()}
        self.update_reason = {m: f"CTCAE v{code} data reload: {files}" for m, files in self.reasons.items()}
        self.delete_reason = {
            m: f"CTCAE v{code} data reload: {files}: no longer in the file" for m, files in self.reasons.items()
        }

    def _fail(self, file: DataFile | None, label: str, exc: ValidationError):
        messages = []
        if hasattr(exc, "message_dict"):
            for fld, msgs in exc.message_dict.items():
                messages += [f"{fld}: {m}" if fld != "__all__" else m for m in msgs]
        else:
            messages = list(exc.messages)
        name = file.name if file else self.data.version_file.name
        raise CTCAEDataError([f"{name}: {label}: {m}" for m in messages]) from exc

    def update(self, obj, values: dict, file: DataFile | None, label: str):
        """Bring one saved row in line with ``values`` (audited_update writes nothing when nothing differs)."""
        model = type(obj)
        counts = self.report.counts[model.__name__]
        differing = changed_fields(obj, values)
        if not differing:  # checked here too: audited_update would open a savepoint per row just to find this out
            counts.unchanged += 1
            return obj
        old_related = {name: getattr(obj, name) for name in differing if obj._meta.get_field(name).is_relation}
        try:
            obj, diff = audited_update(obj, actor=self.actor, reason=self.update_reason[model], **values)
        except ValidationError as exc:
            self._fail(file, label, exc)
        if not diff:
            counts.unchanged += 1
            return obj
        counts.updated += 1
        shown = {
            name: (old_related[name], values[name]) if name in old_related else (old, new)
            for name, (old, new) in diff.items()
        }
        changes = "; ".join(f"{name} {_describe(old)} → {_describe(new)}" for name, (old, new) in shown.items())
        self.report.changes.append(f"{model.__name__} {label}: {changes}")
        return obj

    def create_many(self, model, objs: list, file: DataFile | None):
        if not objs:
            return []
        try:
            created = audited_bulk_create(model, objs, actor=self.actor, reason=self.create_reason[model])
        except ValidationError as exc:
            self._fail(file, f"{len(objs)} new rows", exc)
        self.report.counts[model.__name__].created += len(created)
        return created

    def delete(self, obj, file: DataFile | None, label: str):
        model = type(obj)
        try:
            audited_delete(obj, actor=self.actor, reason=self.delete_reason[model])
        except ProtectedError as exc:
            refs = ", ".join(sorted({f"{type(o).__name__} {o.pk}" for o in exc.protected_objects})[:5])
            name = file.name if file else self.data.version_file.name
            raise CTCAEDataError([f"{name}: {label}: {CANNOT_DELETE.format(refs=refs)}"]) from exc
        self.report.counts[model.__name__].deleted += 1
        self.report.deletions.append(f"{model.__name__} {label}")


def _rule_key(values) -> tuple:
    return (values["lab_term"], values["unit_system"], values["unit"], values["rule_order"])


def _rule_label(key) -> str:
    lab_term, unit_system, unit, order = key
    return f"{lab_term} [{unit_system}{' ' + unit if unit else ''}] #{order}"


@transaction.atomic
def _write(data: CTCAEData, writer: _Writer):
    version_values = {
        "code": data.version["code"],
        "name": data.version["name"],
        "published": data.version["published"],
        "provenance": data.version["provenance"]
        + "\n\nFiles (sha256):\n"
        + "\n".join(f"  {f.name} {f.sha256}" for f in data.files if f is not data.version_file),
        "terms_sha256": data.terms_file.sha256,
        "lab_rules_sha256": data.lab_file.sha256 if data.lab_file else "",
    }
    code = version_values["code"]
    version = CTCAEVersion.objects.filter(code=code).first()
    if version is None:
        try:
            version = audited_create(
                CTCAEVersion(**version_values), actor=writer.actor, reason=writer.create_reason[CTCAEVersion]
            )
        except ValidationError as exc:
            writer._fail(None, f"version {code}", exc)
        writer.report.counts["CTCAEVersion"].created += 1
        existing_terms, existing_rules = {}, {}
    else:
        version = writer.update(version, version_values, None, f"version {code}")
        existing_terms = {t.meddra_code: t for t in CTCAETerm.objects.filter(version=version)}
        existing_rules = {
            (r.lab_term, r.unit_system, r.unit, r.rule_order): r for r in LabGradingRule.objects.filter(version=version)
        }

    wanted_rules = {_rule_key(values) for values in data.lab_rules}
    for key in sorted(set(existing_rules) - wanted_rules):
        writer.delete(existing_rules.pop(key), data.lab_file, _rule_label(key))

    terms_by_code, new_terms = {}, []
    for values in data.terms:
        term_code = values["meddra_code"]
        obj = existing_terms.pop(term_code, None)
        if obj is None:
            new_terms.append(CTCAETerm(version=version, **values))
        else:
            label = f"{term_code} {values['term']} (line {data.term_lines[term_code]})"
            terms_by_code[term_code] = writer.update(obj, values, data.terms_file, label)
    for term_code, obj in sorted(existing_terms.items()):
        writer.delete(obj, data.terms_file, f"{term_code} {obj.term}")
    for obj in writer.create_many(CTCAETerm, new_terms, data.terms_file):
        terms_by_code[obj.meddra_code] = obj

    new_rules = []
    for values in data.lab_rules:
        key = _rule_key(values)
        row_values = values | {"ctcae_term": terms_by_code[values["ctcae_term"]]}
        obj = existing_rules.pop(key, None)
        if obj is None:
            new_rules.append(LabGradingRule(version=version, **row_values))
        else:
            writer.update(obj, row_values, data.lab_file, f"{_rule_label(key)} (line {data.rule_lines[key]})")
    writer.create_many(LabGradingRule, new_rules, data.lab_file)

    if writer.report.changed:
        clear_lab_rules_cache()
        transaction.on_commit(clear_lab_rules_cache)
    return version


def ctcae_load(*, actor, directory=DEFAULT_DIRECTORY) -> CTCAELoadReport:
    """Validate a CTCAE version's data folder and bring the database in line with it.

    Raises :class:`CTCAEDataError` (nothing written) when a file is missing or invalid.
    """
    data = ctcae_read(directory)
    report = CTCAELoadReport.for_models(
        LOADED_MODELS, directory=str(directory), version_code=data.version["code"], files=data.files
    )
    _write(data, _Writer(actor, data, report))
    return report
