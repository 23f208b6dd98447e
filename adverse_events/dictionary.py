"""Load a CTCAE version (terms, navigational notes, lab-grading rules) from its data folder into the dictionary.

A version's folder (``data/ctcae_v5.0/``) holds ``version.yaml`` (code, name, publication date, the file names,
the counts the files must have and the provenance) and three CSV files, described in the folder's README.md:
the terms (one row per CTCAE term, ``-`` for an undefined grade), the navigational notes (merged into the terms
by MedDRA code) and the lab-grading rules (linked to the terms by MedDRA code; ``NA`` grade = not gradable).

:func:`ctcae_load` reads and validates every file before it writes anything; an error names the file, the line
and the row. What is specific to CTCAE is here: the checks of one file against another (MedDRA codes, terms,
grade texts, counts, rule sets) and the table of what is upserted; the schemas of the files are in
:mod:`adverse_events.dictionary_schema`. Reading, schema validation and the audited upsert are
:mod:`core.data_loading`: rows are matched by natural key (the version by code, a term by MedDRA code, a rule by
lab term, unit system, unit and rule order); new terms and rules are created in bulk (one history row each),
changed rows are updated with the file and its checksum as the reason for change, rows no longer in the files are
deleted (refused while other records refer to them), and unchanged rows are left alone, so loading the same files
twice writes nothing (not even history rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from core.data_loading import (
    DataFile,
    DataLoadError,
    DataLoadReport,
    Errors,
    Source,
    Table,
    load_tables,
    read_csv,
    read_yaml,
    validate,
)

from .derivations.grading import LabRuleError, LabRuleSpec
from .dictionary_schema import MEDDRA_CODE, UNDEFINED_GRADE, LabRuleRow, LabTestSchema, NoteRow, TermRow, VersionFile
from .models import OTHER_SPECIFY_SUFFIX, CTCAETerm, CTCAEVersion, LabAnalyte, LabGradingRule, LabPlausibleRange
from .plausibility import clear_lab_test_cache
from .selectors import clear_lab_rules_cache

DATA_ROOT = Path(__file__).resolve().parent / "data"
DEFAULT_DIRECTORY = DATA_ROOT / "ctcae_v5.0"
VERSION_FILE = "version.yaml"
LAB_TESTS_FILE = DATA_ROOT / "lab_plausible_ranges.yaml"

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

# Error messages of the checks between files (each is reported as "<file>: <where>: <message>").
DUPLICATE_CODE = "duplicate MedDRA code {code!r} (first on line {first})"
DUPLICATE_TERM = "duplicate term {term!r} (first on line {first})"
DUPLICATE_NOTE = "a second navigational note for MedDRA code {code!r} (first on line {first})"
DUPLICATE_RULE = "duplicate rule {key} (first on line {first})"
UNKNOWN_CODE = "MedDRA code {code!r} is not a term of {terms_file}"
TERM_MISMATCH = "{column} {got!r} does not match {terms_file}, where MedDRA code {code} is {expected!r}"
GRADE_TEXT_MISMATCH = "ctcae_grade_text does not match grade_{grade} of {term!r} in {terms_file}"
GRADE_TEXT_NOT_EMPTY = "ctcae_grade_text must be empty for grade {grade}"
LAST_RULE_NOT_OTHERWISE = "the last rule of {test} (rule_order {order}) must be 'otherwise', got {condition!r}"
TEST_INCONSISTENT = "{field} differs between the rules of {test}: {values}"
COUNT_MISMATCH = "version.yaml expects {expected} {what}, the files have {got}"
LAB_TERM_NOT_GRADED = "lab term {term!r} has no lab-grading rules in {lab_file}"
LAB_TERM_TWICE = "lab term {term!r} is already a term of lab test {other!r}"
RANGE_NOT_INCREASING = "{system} {unit}: the lowest plausible value {low} must be below the highest {high}"
LAB_TERM_WITHOUT_RANGE = "lab term {term!r} is graded in {system} units by {lab_file} but has no plausible range here"


class CTCAEDataError(DataLoadError):
    """The CTCAE data files cannot be loaded; ``errors`` lists each problem with its file and row."""

    heading = "CTCAE data not loaded"


# --------------------------------------------------------------------------------------------
# Report and data
# --------------------------------------------------------------------------------------------

LOADED_MODELS = (CTCAEVersion, CTCAETerm, LabGradingRule, LabAnalyte, LabPlausibleRange)


@dataclass
class CTCAELoadReport(DataLoadReport):
    """What a CTCAE load did (see :class:`core.data_loading.DataLoadReport`), with the files read."""

    version_code: str = ""
    files: list[DataFile] = field(default_factory=list)

    def heading_lines(self) -> list[str]:
        return [f"CTCAE v{self.version_code} from {self.directory}"] + [
            f"  {f.name}  sha256 {f.sha256}" for f in self.files
        ]


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
    lab_tests_file: DataFile | None = None
    lab_tests: list[dict] = field(default_factory=list)  # LabAnalyte values, in file order
    lab_ranges: list[dict] = field(default_factory=list)  # LabPlausibleRange values, analyte as its code

    @property
    def files(self) -> list[DataFile]:
        files = (self.version_file, self.terms_file, self.notes_file, self.lab_file, self.lab_tests_file)
        return [f for f in files if f]


# --------------------------------------------------------------------------------------------
# Reading and checking
# --------------------------------------------------------------------------------------------


def _read_terms(data: CTCAEData, rows, errors: Errors):
    name = data.terms_file.name
    first_line_of_code: dict[str, int] = {}
    first_line_of_term: dict[str, int] = {}
    for line, row in rows:
        code, term = row["meddra_code"].strip(), row["term"].strip()
        where = f"line {line} ({term or code or 'row'})"
        values = validate(errors, name, where, TermRow, row)
        code_ok = re.fullmatch(MEDDRA_CODE, code) is not None
        if code_ok and code in first_line_of_code:
            errors.add(name, where, DUPLICATE_CODE.format(code=code, first=first_line_of_code[code]))
            code_ok = False
        if values is not None:
            if term in first_line_of_term:
                errors.add(name, where, DUPLICATE_TERM.format(term=term, first=first_line_of_term[term]))
            else:
                first_line_of_term[term] = line
        if code_ok:  # kept even when invalid, so the other files' references to it are not reported as well
            first_line_of_code[code] = line
            data.terms.append((values or _cells(row)) | {"navigational_note": ""})
            data.term_lines[code] = line


def _cells(row: dict) -> dict:
    """A term row's cells as the other files compare with them (for a row that is itself invalid)."""
    return {k: ("" if k in GRADE_FIELDS and v.strip() == UNDEFINED_GRADE else v.strip()) for k, v in row.items()}


def _read_notes(data: CTCAEData, rows, errors: Errors):
    name = data.notes_file.name
    terms = {t["meddra_code"]: t for t in data.terms}
    first_line: dict[str, int] = {}
    for line, row in rows:
        code = row["meddra_code"].strip()
        where = f"line {line} ({row['term'].strip() or code or 'row'})"
        term = terms.get(code)
        if term is None:
            errors.add(name, where, UNKNOWN_CODE.format(code=code, terms_file=data.terms_file.name))
            continue
        _check_matches_term(errors, name, where, row, term, ("soc", "term"), data.terms_file.name)
        if code in first_line:
            errors.add(name, where, DUPLICATE_NOTE.format(code=code, first=first_line[code]))
            continue
        values = validate(errors, name, where, NoteRow, row)
        if values is None:
            continue
        first_line[code] = line
        term["navigational_note"] = values["navigational_note"]


def _check_matches_term(errors, name, where, row, term, columns, terms_file, term_columns=None):
    for column, term_column in zip(columns, term_columns or columns, strict=True):
        if row[column].strip() != term[term_column]:
            errors.add(
                name,
                where,
                TERM_MISMATCH.format(
                    column=column,
                    got=row[column],
                    terms_file=terms_file,
                    code=term["meddra_code"],
                    expected=term[term_column],
                ),
            )


def _read_lab_rules(data: CTCAEData, rows, errors: Errors):
    name, terms_file = data.lab_file.name, data.terms_file.name
    terms = {t["meddra_code"]: t for t in data.terms}
    tests: dict[tuple, list[tuple[int, dict]]] = {}
    for line, row in rows:
        lab_term = row["term"].strip()
        where = f"line {line} ({lab_term or 'row'} #{row['rule_order'].strip() or '?'})"
        before = len(errors)
        code = row["meddra_code"].strip()
        term = terms.get(code)
        if term is None:
            errors.add(name, where, UNKNOWN_CODE.format(code=code, terms_file=terms_file))
        else:
            _check_matches_term(errors, name, where, row, term, ("ctcae_term", "soc"), terms_file, ("term", "soc"))
        values = validate(errors, name, where, LabRuleRow, row)
        grade_text, nci_text = row["grade"].strip(), row["ctcae_grade_text"].strip()
        if term is not None and grade_text in ("1", "2", "3", "4"):
            if nci_text != term[f"grade_{grade_text}"]:
                errors.add(
                    name, where, GRADE_TEXT_MISMATCH.format(grade=grade_text, term=term["term"], terms_file=terms_file)
                )
        elif nci_text:
            errors.add(name, where, GRADE_TEXT_NOT_EMPTY.format(grade=grade_text))
        if values is None or len(errors) > before:
            continue
        rule = {
            "lab_term": values["term"],
            **{k: values[k] for k in ("unit_system", "unit", "direction", "rule_order", "grade", "condition")},
            **{k: values[k] for k in ("comparator", "threshold_ref", "threshold_factor", "threshold_offset")},
            **{k: values[k] for k in ("threshold_value", "extra_condition")},
        }
        try:
            spec = LabRuleSpec(**{k: v for k, v in rule.items() if k != "direction"})
        except LabRuleError as exc:
            errors.add(name, where, str(exc))
            continue
        key = spec.test + (rule["rule_order"],)
        if key in data.rule_lines:
            errors.add(name, where, DUPLICATE_RULE.format(key=key, first=data.rule_lines[key]))
            continue
        data.rule_lines[key] = line
        rule["ctcae_term"] = code
        data.lab_rules.append(rule)
        tests.setdefault(spec.test, []).append((line, rule | {"_spec": spec}))

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


def _read_lab_tests(data: CTCAEData, path: Path, errors: Errors):
    """The lab tests (one per analyte) and their plausible ranges; each lab term they name must be graded by the
    version's rules, and each (lab term, unit system) the rules grade must have a range."""
    raw, file = read_yaml(path, path.name, errors)
    if file is None:
        return
    data.lab_tests_file = file
    if not isinstance(raw, dict):
        errors.add(file.name, "", "must be a mapping of lab test code to lab test")
        return
    graded = {(rule["lab_term"], rule["unit_system"]) for rule in data.lab_rules}
    term_of: dict[str, str] = {}
    for position, (code, entry) in enumerate(raw.items(), start=1):
        where = f"lab test {code}"
        values = validate(errors, file.name, where, LabTestSchema, {"code": code, **(entry or {})})
        if values is None:
            continue
        for term in values["lab_terms"]:
            if data.lab_file and not any(t == term for t, _system in graded):
                errors.add(file.name, where, LAB_TERM_NOT_GRADED.format(term=term, lab_file=data.lab_file.name))
            if term in term_of:
                errors.add(file.name, where, LAB_TERM_TWICE.format(term=term, other=term_of[term]))
            term_of.setdefault(term, code)
        fields = ("code", "name", "basis", "note")
        data.lab_tests.append({k: values[k] for k in fields} | {"lab_terms": values["lab_terms"], "position": position})
        for system_choice, units in values["ranges"].items():
            system = getattr(system_choice, "value", system_choice)
            for order, (unit, (low, high)) in enumerate(units.items(), start=1):
                if not low < high:
                    message = RANGE_NOT_INCREASING.format(system=system, unit=unit or "(no unit)", low=low, high=high)
                    errors.add(file.name, where, message)
                data.lab_ranges.append(
                    {
                        "analyte": (code,),
                        "unit_system": system,
                        "unit": unit,
                        "lowest": low,
                        "highest": high,
                        "position": order,
                    }
                )
    ranged = {(term, r["unit_system"]) for t in data.lab_tests for term in t["lab_terms"] for r in data.lab_ranges
              if r["analyte"] == (t["code"],)}  # fmt: skip
    for term, system in sorted(graded - ranged):
        errors.add(file.name, "", LAB_TERM_WITHOUT_RANGE.format(term=term, system=system, lab_file=data.lab_file.name))


def _check_count(errors, name, expected: dict, key: str, what: str, got: int):
    if expected.get(key) is not None and expected[key] != got:
        errors.add(name, "expected", COUNT_MISMATCH.format(expected=expected[key], what=what, got=got))


def ctcae_read(directory, lab_tests_file=LAB_TESTS_FILE) -> CTCAEData:
    """Read and validate a version's folder (and the lab tests with their plausible ranges) without touching the
    database.

    Raises :class:`CTCAEDataError` listing every problem found (file, line, row, what is wrong).
    """
    directory = Path(directory)
    folder = directory.name
    errors = Errors()
    raw, version_file = read_yaml(directory / VERSION_FILE, f"{folder}/{VERSION_FILE}", errors)
    version = validate(errors, version_file.name, "", VersionFile, raw) if version_file else None
    if version is None:
        raise CTCAEDataError(errors.messages)
    files = version["files"]
    terms_file, term_rows = read_csv(directory / files["terms"], f"{folder}/{files['terms']}", TERM_COLUMNS, errors)
    notes_file = note_rows = lab_file = lab_rows = None
    if files["navigational_notes"]:
        notes_name = f"{folder}/{files['navigational_notes']}"
        notes_file, note_rows = read_csv(directory / files["navigational_notes"], notes_name, NOTE_COLUMNS, errors)
    if files["lab_grading"]:
        lab_name = f"{folder}/{files['lab_grading']}"
        lab_file, lab_rows = read_csv(directory / files["lab_grading"], lab_name, LAB_COLUMNS, errors)
    if errors:
        raise CTCAEDataError(errors.messages)

    data = CTCAEData(directory, version, version_file, terms_file, notes_file, lab_file)
    _read_terms(data, term_rows, errors)
    expected, name = version["expected"], version_file.name
    socs = {t["soc"] for t in data.terms}
    other_specify = [t for t in data.terms if t["term"].endswith(OTHER_SPECIFY_SUFFIX)]
    _check_count(errors, name, expected, "terms", f"terms in {terms_file.name}", len(term_rows))
    _check_count(errors, name, expected, "socs", "system organ classes", len(socs))
    _check_count(errors, name, expected, "other_specify_terms", "'Other, specify' terms", len(other_specify))
    if notes_file:
        _read_notes(data, note_rows, errors)
        _check_count(errors, name, expected, "navigational_notes", "navigational notes", len(note_rows))
    if lab_file:
        lab_terms = _read_lab_rules(data, lab_rows, errors)
        _check_count(errors, name, expected, "lab_rules", "lab-grading rules", len(lab_rows))
        _check_count(errors, name, expected, "lab_terms", "lab terms with rules", lab_terms)
    if lab_tests_file is not None:
        _read_lab_tests(data, Path(lab_tests_file), errors)
    if errors:
        raise CTCAEDataError(errors.messages)
    return data


# --------------------------------------------------------------------------------------------
# What is upserted
# --------------------------------------------------------------------------------------------


def _rule_label(key) -> str:
    lab_term, unit_system, unit, order = key
    return f"{lab_term} [{unit_system}{' ' + unit if unit else ''}] #{order}"


def _tables(data: CTCAEData) -> list[Table]:
    """The version, its terms (by MedDRA code) and its lab-grading rules (by lab term, unit system, unit and
    rule order); a row's label gives its line in the file."""
    code = data.version["code"]
    version = (code,)
    what = f"CTCAE v{code} data"
    terms_source = Source(what, tuple(f for f in (data.terms_file, data.notes_file) if f))
    rules_source = Source(what, (data.lab_file,)) if data.lab_file else terms_source
    version_row = {
        "code": code,
        "name": data.version["name"],
        "published": data.version["published"],
        "provenance": data.version["provenance"]
        + "\n\nFiles (sha256):\n"
        + "\n".join(f"  {f.name} {f.sha256}" for f in data.files if f is not data.version_file),
        "terms_sha256": data.terms_file.sha256,
        "lab_rules_sha256": data.lab_file.sha256 if data.lab_file else "",
    }

    def term_label(key, values):
        line = data.term_lines.get(key[1])
        return f"{key[1]} {values['term']}" + (f" (line {line})" if line else "")

    def rule_label(key, _values):
        line = data.rule_lines.get(key[1:])
        return _rule_label(key[1:]) + (f" (line {line})" if line else "")

    rule_key = ("version", "lab_term", "unit_system", "unit", "rule_order")
    return [
        Table(
            CTCAEVersion,
            ("code",),
            [version_row],
            CTCAEVersion.objects.filter(code=code),
            lambda key, _values: f"version {key[0]}",
            Source(what, (data.version_file,)),
        ),
        Table(
            CTCAETerm,
            ("version", "meddra_code"),
            [t | {"version": version} for t in data.terms],
            CTCAETerm.objects.filter(version__code=code).order_by("meddra_code"),
            term_label,
            terms_source,
            bulk_create=True,
        ),
        Table(
            LabGradingRule,
            rule_key,
            [r | {"version": version, "ctcae_term": (version, r["ctcae_term"])} for r in data.lab_rules],
            LabGradingRule.objects.filter(version__code=code).order_by(*rule_key[1:]),
            rule_label,
            rules_source,
            bulk_create=True,
        ),
    ] + _lab_test_tables(data)


def _lab_test_tables(data: CTCAEData) -> list[Table]:
    """The lab tests (by code) and their plausible ranges (by lab test, unit system and unit)."""
    if data.lab_tests_file is None:
        return []
    source = Source("Lab tests and plausible ranges", (data.lab_tests_file,))
    range_key = ("analyte", "unit_system", "unit")
    return [
        Table(
            LabAnalyte,
            ("code",),
            data.lab_tests,
            LabAnalyte.objects.order_by("code"),
            lambda key, _values: f"lab test {key[0]}",
            source,
        ),
        Table(
            LabPlausibleRange,
            range_key,
            data.lab_ranges,
            LabPlausibleRange.objects.order_by("analyte__code", "unit_system", "unit"),
            lambda key, _values: f"plausible range of {key[0][0]} [{key[1]}{' ' + key[2] if key[2] else ''}]",
            source,
        ),
    ]


def ctcae_load(*, actor, directory=DEFAULT_DIRECTORY, lab_tests_file=LAB_TESTS_FILE) -> CTCAELoadReport:
    """Validate a CTCAE version's data folder and the lab tests with their plausible ranges, and bring the
    database in line with them.

    Raises :class:`CTCAEDataError` (nothing written) when a file is missing or invalid.
    """
    data = ctcae_read(directory, lab_tests_file)
    report = CTCAELoadReport.for_models(
        LOADED_MODELS, directory=str(directory), version_code=data.version["code"], files=data.files
    )
    load_tables(_tables(data), actor=actor, report=report, error=CTCAEDataError)
    if report.changed:
        clear_lab_rules_cache()
        clear_lab_test_cache()
        transaction.on_commit(clear_lab_rules_cache)
        transaction.on_commit(clear_lab_test_cache)
    return report
