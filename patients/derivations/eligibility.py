"""Eligibility evaluation: pure functions over plain values, no database.

A criterion is a rule ``variable comparator threshold`` stating what must hold to be eligible.
Each result is MET, NOT_MET or MISSING, with the value read and the threshold, so the checklist
can say exactly why.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.comparators import INEQUALITIES, compare, symbol
from core.formatting import plain_number

MET = "met"
NOT_MET = "not_met"
MISSING = "missing"


@dataclass(frozen=True)
class CriterionSpec:
    code: str
    kind: str  # "inclusion" / "exclusion"
    text: str
    variable: str
    comparator: str  # <=, <, >=, >, ==, in, present
    threshold: Decimal | None = None
    allowed_values: tuple = ()
    unit: str = ""

    @classmethod
    def from_model(cls, criterion):
        return cls(
            code=criterion.code,
            kind=criterion.kind,
            text=criterion.text,
            variable=criterion.variable,
            comparator=criterion.comparator,
            threshold=criterion.threshold,
            allowed_values=tuple(criterion.allowed_values or ()),
            unit=criterion.unit,
        )

    @property
    def requirement(self) -> str:
        """The rule in words, e.g. "≤ 1.95 mg/dL" or "one of: relapsed, refractory"."""
        if self.comparator in INEQUALITIES:
            return f"{symbol(self.comparator)} {_plain(self.threshold)} {self.unit}".strip()
        if self.comparator == "present":
            return "recorded"
        values = ", ".join(_plain(v) for v in self.allowed_values)
        return values if self.comparator == "==" else f"one of: {values}"


@dataclass(frozen=True)
class CriterionResult:
    criterion: CriterionSpec
    status: str
    value: object

    @property
    def met(self) -> bool:
        return self.status == MET


def _plain(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return plain_number(value)
    return str(value)


def _is_missing(value) -> bool:
    return value is None or value == ""


def _as_decimal(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def evaluate_criterion(criterion: CriterionSpec, value) -> CriterionResult:
    if _is_missing(value):
        return CriterionResult(criterion, MISSING, value)
    comparator = criterion.comparator
    if comparator == "present":
        ok = True
    elif comparator in INEQUALITIES:
        number = _as_decimal(value)
        if number is None or criterion.threshold is None:
            return CriterionResult(criterion, MISSING, value)
        ok = compare(number, comparator, Decimal(str(criterion.threshold)))
    elif comparator in ("==", "in"):
        ok = value in criterion.allowed_values
    else:
        raise ValueError(f"Unknown comparator {comparator!r} in criterion {criterion.code}")
    return CriterionResult(criterion, MET if ok else NOT_MET, value)


def evaluate(criteria: Iterable[CriterionSpec], values: Mapping[str, object]) -> list[CriterionResult]:
    """Evaluate each criterion against ``values`` (variable name → recorded value)."""
    return [evaluate_criterion(c, values.get(c.variable)) for c in criteria]


def all_met(results: Iterable[CriterionResult]) -> bool:
    return all(r.met for r in results)
