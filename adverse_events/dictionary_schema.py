"""The schemas of a CTCAE version's data files: version.yaml and one row of each CSV file.

The loader (:mod:`adverse_events.dictionary`) validates every row with them, then checks the files against each
other (MedDRA codes, terms, grade texts, counts). Field types: :mod:`core.data_loading`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, PlainValidator

from core.data_loading import (
    Date,
    Matching,
    Number,
    NumberOrBlank,
    RequiredText,
    Schema,
    Text,
    WholeNumber,
    WholeNumberText,
)

from .choices import UnitSystem
from .derivations.grading import NAMES

UNDEFINED_GRADE = "-"
NOT_GRADABLE = "NA"
MEDDRA_CODE = r"[0-9]{8}"


FileName = Matching(r"[^/\\]+", "a file name in the version's folder")
Count = WholeNumber(0)


class FilesSchema(Schema):
    terms: FileName
    navigational_notes: FileName | None = None
    lab_grading: FileName | None = None


class ExpectedSchema(Schema):
    """The counts the files must have (each optional)."""

    terms: Count | None = None
    socs: Count | None = None
    other_specify_terms: Count | None = None
    navigational_notes: Count | None = None
    lab_rules: Count | None = None
    lab_terms: Count | None = None


class VersionFile(Schema):
    code: RequiredText
    name: RequiredText
    published: Date
    files: FilesSchema
    expected: ExpectedSchema = ExpectedSchema()
    provenance: RequiredText


def _cell_text(value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {value!r}")
    return value.strip()


def _grade_text(value) -> str:
    text = _cell_text(value)
    if not text:
        raise ValueError(f"must not be empty (write '{UNDEFINED_GRADE}' for a grade that is not defined)")
    return "" if text == UNDEFINED_GRADE else text


GradeText = Annotated[str, PlainValidator(_grade_text)]  # "-" (not defined) is stored empty


class TermRow(Schema):
    meddra_code: Matching(MEDDRA_CODE, "8 digits")
    soc: RequiredText
    term: RequiredText
    grade_1: GradeText
    grade_2: GradeText
    grade_3: GradeText
    grade_4: GradeText
    grade_5: GradeText
    definition: Text


class NoteRow(Schema):
    meddra_code: Text
    soc: Text
    term: Text
    navigational_note: RequiredText


def _lab_grade(value) -> int | None:
    text = _cell_text(value)
    if text == NOT_GRADABLE:
        return None
    if text in ("0", "1", "2", "3", "4"):
        return int(text)
    raise ValueError(f"must be 0–4 or {NOT_GRADABLE}, got {text!r}")


def _input_names(value) -> list[str]:
    names = [n.strip() for n in _cell_text(value).split(",") if n.strip()]
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise ValueError(f"names unknown inputs: {', '.join(unknown)}")
    return names


class LabRuleRow(Schema):
    term: RequiredText
    ctcae_term: Text
    meddra_code: Text
    soc: Text
    unit_system: UnitSystem
    unit: Text
    direction: Literal["H", "L"]
    required_inputs: Annotated[list[str], PlainValidator(_input_names)]
    rule_order: WholeNumberText(1)
    grade: Annotated[int | None, PlainValidator(_lab_grade)]
    condition: Text
    comparator: Text
    threshold_ref: Text
    threshold_factor: NumberOrBlank()
    threshold_offset: NumberOrBlank()
    threshold_value: NumberOrBlank()
    extra_condition: Text
    ctcae_grade_text: Text
    admiral_comment: Text


# --------------------------------------------------------------------------------------------
# lab_plausible_ranges.yaml: the lab tests a nurse records and their plausible ranges
# --------------------------------------------------------------------------------------------

PlausibleValue = Number(4)
UnitText = Annotated[str, PlainValidator(lambda v: _unit(v))]


def _unit(value):
    if not isinstance(value, str) or len(value) > 20:
        raise ValueError(f"must be a unit of at most 20 characters, got {value!r}")
    return value.strip()


class LabTestSchema(Schema):
    """One lab test (an analyte): its name, the CTCAE lab terms it is graded as, and its plausible ranges by unit
    system and unit ([lowest, highest])."""

    code: Matching(r"[a-z0-9_]{1,40}", "a code of at most 40 lower-case letters, digits and '_'")
    name: RequiredText
    lab_terms: Annotated[list[RequiredText], Field(min_length=1)]
    basis: Literal["judgement", "definition"]
    note: RequiredText
    ranges: dict[UnitSystem, dict[UnitText, tuple[PlausibleValue, PlausibleValue]]]
