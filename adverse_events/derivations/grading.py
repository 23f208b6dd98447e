"""CTCAE lab grading: a pure engine over the shipped lab-grading rules (its database readers: ``selectors.lab_rules``).

The rules (``LabGradingRule``, loaded from ``ctcae_v5_lab_grading.csv``, derived from pharmaverse/admiral under the
Apache License 2.0; see ``data/ctcae_v5.0/README.md``) grade one lab test, a (lab term, unit system, unit). They are
tried in ``rule_order`` and **the first rule whose condition holds gives the grade** (0–4, or None: not gradable).

A condition is written in a small neutral language, which this module parses (and refuses when it cannot):

- ``otherwise``: always holds (the last rule of a test, grade 0);
- ``<name> is missing`` / ``<name> is present`` for ``result``, ``ULN``, ``LLN``, ``baseline``,
  ``pct_change_from_baseline`` and ``baseline_range_indicator``;
- ``baseline_range_indicator is HIGH`` / ``is not HIGH``: HIGH means the baseline value is above the ULN
  (a missing baseline is "not HIGH", as in admiral);
- ``result <cmp> <threshold>`` with ``<cmp>`` one of ``< <= > >=`` and the threshold a number, or
  ``[factor *] ULN|LLN|baseline [+|- offset]``; ``pct_change_from_baseline <cmp> <number>``, where the percentage
  change is ``(result − baseline) / baseline × 100``;
- clauses joined with ``AND``, groups of clauses joined with ``OR`` (AND binds tighter; no parentheses).

A comparison with a missing operand does not hold (R's NA in admiral's ``case_when``). Both sides of a comparison
are rounded to 15 significant digits first, as admiral's ``signif(x, 15)`` does, so float noise in an input cannot
move a value across a threshold; with decimal inputs these are plain comparisons.

The structured columns of a rule (``comparator``, ``threshold_ref``, ``threshold_factor``, ``threshold_offset``,
``threshold_value``, ``extra_condition``) must say the same as its ``condition``; a rule whose columns and condition
disagree is refused, so the two can never drift apart unnoticed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

from core.comparators import INEQUALITIES, compare

SIGNIFICANT_DIGITS = 15
NAMES = ("result", "ULN", "LLN", "baseline", "pct_change_from_baseline", "baseline_range_indicator")
REFERENCES = ("ULN", "LLN", "baseline")
ABSOLUTE = "absolute"
HIGH = "HIGH"
GRADES = (0, 1, 2, 3, 4)

# Error messages.
UNKNOWN_CONDITION = "condition not understood: {text!r}"
UNKNOWN_CLAUSE = "clause {clause!r} not understood (in {text!r})"
OTHERWISE_ALONE = "'otherwise' must stand alone (in {text!r})"
EXTRA_NOT_CONJUNCTION = "extra_condition must be clauses joined by AND, got {text!r}"
COLUMNS_DISAGREE = "the comparison columns ({columns}) and extra_condition {extra!r} do not say the same as {text!r}"
BAD_THRESHOLD_COLUMNS = "threshold columns do not fit threshold_ref {ref!r}: {detail}"
BAD_GRADE = "grade must be 0–4 or empty (not gradable), got {grade!r}"
NO_RULES = "no lab-grading rules given"
MIXED_TESTS = "rules of more than one lab test given: {tests}"
BAD_NUMBER = "{name} must be a number, got {value!r}"
UNKNOWN_LAB_TEST = "no CTCAE lab-grading rules for {lab_term!r} in {unit_system} units{version}"
UNIT_NOT_GRADED = "{lab_term!r} ({unit_system}) is graded in {expected}, not in {unit!r}"


class LabRuleError(ValueError):
    """A lab-grading rule (or a set of rules) that the engine cannot use; the message says why."""


class UnknownLabTest(LookupError):
    """No rules grade this (lab term, unit system, unit) in the CTCAE version asked for."""


_SIGNIF = Context(prec=SIGNIFICANT_DIGITS, rounding=ROUND_HALF_EVEN)


def _signif(number: Decimal) -> Decimal:
    return _SIGNIF.plus(number)


def to_decimal(value, name: str = "value") -> Decimal | None:
    """A lab number as a Decimal (None stays None); floats go through their shortest text form."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(BAD_NUMBER.format(name=name, value=value))
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(BAD_NUMBER.format(name=name, value=value)) from None
    else:
        raise TypeError(BAD_NUMBER.format(name=name, value=value))
    if not number.is_finite():
        raise ValueError(BAD_NUMBER.format(name=name, value=value))
    return number


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabInputs:
    """The values a condition may read (named as in the rule language): the result, the normal range of the
    sample, the baseline, and what follows from them."""

    result: Decimal | None
    ULN: Decimal | None
    LLN: Decimal | None
    baseline: Decimal | None
    pct_change_from_baseline: Decimal | None
    baseline_range_indicator: str | None  # HIGH, LOW, NORMAL or None (baseline or range unknown)

    @classmethod
    def of(cls, *, value, uln=None, lln=None, baseline=None) -> LabInputs:
        result = to_decimal(value, "value")
        uln = to_decimal(uln, "ULN")
        lln = to_decimal(lln, "LLN")
        baseline = to_decimal(baseline, "baseline")
        pct_change = None
        if result is not None and baseline is not None and baseline != 0:
            pct_change = _signif((result - baseline) / baseline * 100)
        indicator = None
        if baseline is not None:
            if uln is not None and baseline > uln:
                indicator = HIGH
            elif lln is not None and baseline < lln:
                indicator = "LOW"
            elif uln is not None or lln is not None:
                indicator = "NORMAL"
        return cls(result, uln, lln, baseline, pct_change, indicator)

    def get(self, name: str):
        return getattr(self, name)


# --------------------------------------------------------------------------------------------
# Clauses and the parser
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Presence:
    """``<name> is missing`` (present=False) or ``<name> is present`` (present=True)."""

    name: str
    present: bool

    def holds(self, inputs: LabInputs) -> bool:
        return (inputs.get(self.name) is not None) is self.present


@dataclass(frozen=True)
class BaselineHigh:
    """``baseline_range_indicator is HIGH`` (high=True) or ``is not HIGH`` (high=False; true when unknown)."""

    high: bool

    def holds(self, inputs: LabInputs) -> bool:
        return (inputs.baseline_range_indicator == HIGH) is self.high


@dataclass(frozen=True)
class Comparison:
    """``<subject> <comparator> <threshold>``; threshold = ``value`` (absolute) or ``factor × ref + offset``."""

    subject: str
    comparator: str
    ref: str
    factor: Decimal | None = None
    offset: Decimal = Decimal(0)
    value: Decimal | None = None

    def threshold(self, inputs: LabInputs) -> Decimal | None:
        if self.ref == ABSOLUTE:
            return self.value
        reference = inputs.get(self.ref)
        return None if reference is None else self.factor * reference + self.offset

    def holds(self, inputs: LabInputs) -> bool:
        left, right = inputs.get(self.subject), self.threshold(inputs)
        if left is None or right is None:
            return False
        return compare(_signif(left), self.comparator, _signif(right))


Clause = Presence | BaselineHigh | Comparison

_NUMBER = r"-?\d+(?:\.\d+)?"
_PRESENCE = re.compile(rf"^({'|'.join(NAMES)}) is (missing|present)$")
_HIGH = re.compile(r"^baseline_range_indicator is (not )?HIGH$")
_COMPARISON = re.compile(r"^(result|pct_change_from_baseline) (<=|>=|<|>) (.+)$")
_ABSOLUTE = re.compile(rf"^({_NUMBER})$")
_RELATIVE = re.compile(rf"^(?:({_NUMBER}) \* )?({'|'.join(REFERENCES)})(?: ([+-]) ({_NUMBER}))?$")


def _parse_clause(clause: str, text: str) -> Clause:
    if match := _PRESENCE.match(clause):
        return Presence(match.group(1), match.group(2) == "present")
    if match := _HIGH.match(clause):
        return BaselineHigh(high=match.group(1) is None)
    if match := _COMPARISON.match(clause):
        subject, comparator, operand = match.groups()
        if match_abs := _ABSOLUTE.match(operand):
            return Comparison(subject, comparator, ABSOLUTE, value=Decimal(match_abs.group(1)))
        if subject == "result" and (match_rel := _RELATIVE.match(operand)):
            factor, ref, sign, offset = match_rel.groups()
            offset_value = Decimal(offset) if offset else Decimal(0)
            return Comparison(
                subject,
                comparator,
                ref,
                factor=Decimal(factor) if factor else Decimal(1),
                offset=-offset_value if sign == "-" else offset_value,
            )
    raise LabRuleError(UNKNOWN_CLAUSE.format(clause=clause, text=text))


def parse_condition(text: str) -> tuple[tuple[Clause, ...], ...]:
    """A condition as groups of clauses: it holds when every clause of some group holds.

    ``otherwise`` is one empty group (always holds). Raises :class:`LabRuleError` for anything else it cannot read.
    """
    normalised = " ".join((text or "").split())
    if not normalised:
        raise LabRuleError(UNKNOWN_CONDITION.format(text=text))
    if normalised == "otherwise":
        return ((),)
    groups = []
    for group in normalised.split(" OR "):
        clauses = []
        for clause in group.split(" AND "):
            if clause == "otherwise":
                raise LabRuleError(OTHERWISE_ALONE.format(text=text))
            if not clause:
                raise LabRuleError(UNKNOWN_CONDITION.format(text=text))
            clauses.append(_parse_clause(clause, text))
        groups.append(tuple(clauses))
    return tuple(groups)


def _parse_extra(text: str) -> tuple[Clause, ...]:
    if not (text or "").strip():
        return ()
    groups = parse_condition(text)
    if len(groups) != 1 or not groups[0]:
        raise LabRuleError(EXTRA_NOT_CONJUNCTION.format(text=text))
    return groups[0]


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabRuleSpec:
    """One grading rule as plain values, with its condition parsed (and checked against its columns)."""

    lab_term: str
    unit_system: str
    unit: str
    rule_order: int
    grade: int | None
    condition: str
    comparator: str = ""
    threshold_ref: str = ""
    threshold_factor: Decimal | None = None
    threshold_offset: Decimal | None = None
    threshold_value: Decimal | None = None
    extra_condition: str = ""
    groups: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.grade is not None and (isinstance(self.grade, bool) or self.grade not in GRADES):
            raise LabRuleError(BAD_GRADE.format(grade=self.grade))
        groups = parse_condition(self.condition)
        self._check_columns(groups)
        object.__setattr__(self, "groups", groups)

    @classmethod
    def from_model(cls, rule) -> LabRuleSpec:
        """The spec of a ``LabGradingRule`` row."""
        return cls(
            lab_term=rule.lab_term,
            unit_system=rule.unit_system,
            unit=rule.unit,
            rule_order=rule.rule_order,
            grade=rule.grade,
            condition=rule.condition,
            comparator=rule.comparator,
            threshold_ref=rule.threshold_ref,
            threshold_factor=rule.threshold_factor,
            threshold_offset=rule.threshold_offset,
            threshold_value=rule.threshold_value,
            extra_condition=rule.extra_condition,
        )

    @property
    def test(self) -> tuple[str, str, str]:
        """The lab test the rule grades: (lab term, unit system, unit)."""
        return (self.lab_term, self.unit_system, self.unit)

    def holds(self, inputs: LabInputs) -> bool:
        return any(all(clause.holds(inputs) for clause in group) for group in self.groups)

    def _columns_comparison(self) -> Comparison:
        ref = self.threshold_ref
        factor, offset, value = self.threshold_factor, self.threshold_offset, self.threshold_value
        if self.comparator not in INEQUALITIES:
            raise LabRuleError(UNKNOWN_CLAUSE.format(clause=f"comparator {self.comparator}", text=self.condition))
        if ref == ABSOLUTE:
            if value is None or factor is not None or offset is not None:
                raise LabRuleError(BAD_THRESHOLD_COLUMNS.format(ref=ref, detail="needs threshold_value only"))
            return Comparison("result", self.comparator, ABSOLUTE, value=to_decimal(value, "threshold_value"))
        if ref in REFERENCES:
            if factor is None or value is not None:
                raise LabRuleError(
                    BAD_THRESHOLD_COLUMNS.format(ref=ref, detail="needs threshold_factor (and no threshold_value)")
                )
            return Comparison(
                "result",
                self.comparator,
                ref,
                factor=to_decimal(factor, "threshold_factor"),
                offset=to_decimal(offset, "threshold_offset") if offset is not None else Decimal(0),
            )
        raise LabRuleError(BAD_THRESHOLD_COLUMNS.format(ref=ref, detail=f"expected one of absolute, {REFERENCES}"))

    def _check_columns(self, groups):
        extra = _parse_extra(self.extra_condition)
        columns = (
            f"{self.comparator or '-'} {self.threshold_ref or '-'} factor {self.threshold_factor} "
            f"offset {self.threshold_offset} value {self.threshold_value}"
        )
        disagree = LabRuleError(
            COLUMNS_DISAGREE.format(columns=columns, extra=self.extra_condition, text=self.condition)
        )
        if not self.comparator:
            blank = (self.threshold_ref, self.threshold_factor, self.threshold_offset, self.threshold_value)
            if any(v not in (None, "") for v in blank) or extra:
                raise disagree
            if any(isinstance(c, Comparison) and c.subject == "result" for group in groups for c in group):
                raise disagree
            return
        expected = Counter([self._columns_comparison(), *extra])
        if len(groups) != 1 or Counter(groups[0]) != expected:
            raise disagree


def as_specs(rules: Iterable) -> list[LabRuleSpec]:
    """Rules (specs or ``LabGradingRule`` rows) as specs in ``rule_order``, all of one lab test."""
    specs = sorted(
        (r if isinstance(r, LabRuleSpec) else LabRuleSpec.from_model(r) for r in rules), key=lambda s: s.rule_order
    )
    if not specs:
        raise LabRuleError(NO_RULES)
    tests = {s.test for s in specs}
    if len(tests) > 1:
        raise LabRuleError(MIXED_TESTS.format(tests=", ".join(sorted(map(str, tests)))))
    return specs


def matching_rule(rules: Iterable, *, value, uln=None, lln=None, baseline=None) -> LabRuleSpec | None:
    """The first rule (in ``rule_order``) whose condition holds for these values, or None if none does."""
    inputs = LabInputs.of(value=value, uln=uln, lln=lln, baseline=baseline)
    return next((spec for spec in as_specs(rules) if spec.holds(inputs)), None)


def grade_lab(rules: Iterable, *, value, uln=None, lln=None, baseline=None) -> int | None:
    """The CTCAE grade (0–4) of a lab value by the rules of its test, or None when it cannot be graded.

    ``uln``/``lln`` are the normal range of this sample; ``baseline`` the patient's baseline value of the test.
    """
    rule = matching_rule(rules, value=value, uln=uln, lln=lln, baseline=baseline)
    return None if rule is None else rule.grade


@dataclass(frozen=True)
class LabTest:
    """A gradable lab test of a CTCAE version and the CTCAE term its abnormal values are graded as."""

    lab_term: str
    unit_system: str
    unit: str
    direction: str  # H: high values are abnormal; L: low values
    ctcae_term_id: int
    ctcae_term: str
    meddra_code: str

    @property
    def label(self) -> str:
        return f"{self.lab_term} ({self.unit_system}{', ' + self.unit if self.unit else ''})"


@dataclass(frozen=True)
class LabValues:
    """The values grade_result needs, when there is no LabResult row (yet)."""

    lab_term: str
    value: object
    unit_system: str = "SI"
    unit: str = ""
    uln: object = None
    lln: object = None
    baseline: object = None


def grade_by_direction(rules_by_term, *, directions, value, uln=None, lln=None, baseline=None):
    """The CTCAE lab term and grade of a value of an analyte graded under one term per direction (potassium:
    Hypokalemia for low values, Hyperkalemia for high ones): ``(lab_term, grade)``.

    ``rules_by_term`` maps each term of the analyte to its rules; ``directions`` each term to ``L`` or ``H``.
    The term whose rules give an abnormal grade (≥ 1) wins, the worse if both do. Otherwise the value's side of
    the normal range says which term it is graded as (grade 0 within the range); when the range is incomplete,
    so that a direction cannot be graded, the value is not gradable (grade None) under that direction's term.
    """
    terms = list(rules_by_term)
    grades = {
        term: grade_lab(rules, value=value, uln=uln, lln=lln, baseline=baseline)
        for term, rules in rules_by_term.items()
    }
    if len(terms) == 1:
        return terms[0], grades[terms[0]]
    worst = max(terms, key=lambda term: grades[term] or 0)
    if (grades[worst] or 0) > 0:
        return worst, grades[worst]
    number, lower, upper = to_decimal(value), to_decimal(lln, "LLN"), to_decimal(uln, "ULN")
    low = next((t for t in terms if directions.get(t) == "L"), terms[0])
    high = next((t for t in terms if directions.get(t) == "H"), terms[-1])
    if number is not None and lower is not None and number < lower:
        return low, grades[low]
    if number is not None and upper is not None and number > upper:
        return high, grades[high]
    if lower is not None and upper is not None:
        term = next((t for t in terms if grades[t] is not None), terms[0])
        return term, grades[term]
    term = next((t for t in terms if grades[t] is None), terms[0])
    return term, grades[term]
