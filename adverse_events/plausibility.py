"""The lab tests a nurse records (one per analyte: potassium, not "potassium, low/high") and the checks that a lab
value is one a body can have: not negative, LLN ≤ ULN, in a unit offered for the test, inside its plausible range.

The tests, the CTCAE lab-grading terms each is graded as and the plausible ranges are data
(``data/lab_plausible_ranges.yaml``, with the basis of each range), loaded by ``load_ctcae`` into audited rows
(``LabAnalyte``, ``LabPlausibleRange``) and read from them.
"""

from dataclasses import dataclass
from decimal import Decimal

from core.formatting import plain_number

NEGATIVE = "{field}: {value} is negative; a lab value cannot be below 0."
LLN_ABOVE_ULN = "LLN {lln} is above ULN {uln}; the lower normal limit must not exceed the upper."
IMPLAUSIBLE = "{test}: {value} is outside the plausible range {low}–{high}; check the unit."
UNKNOWN_TEST = "Choose a lab test from the list."
UNIT_NOT_OFFERED = "{test} is recorded in {units}, not in {unit}."
NO_UNIT = "(no unit)"


def _with_unit(number, unit: str) -> str:
    return f"{plain_number(number)} {unit}" if unit else plain_number(number)


@dataclass(frozen=True)
class LabTestDefinition:
    """A lab test (an analyte) as the data file defines it."""

    code: str
    name: str
    lab_terms: tuple[str, ...]
    ranges: dict  # unit system → {unit: (lowest, highest)}
    basis: str = ""
    note: str = ""

    def units(self, unit_system: str) -> list[str]:
        """The units the test is recorded in, in this unit system (the first is the one shown)."""
        return list(self.ranges.get(unit_system, {}))

    def label(self, unit_system: str) -> str:
        """The test with its unit as the picker shows it, e.g. "Potassium (mmol/L)"."""
        units = [u for u in self.units(unit_system) if u]
        return f"{self.name} ({' or '.join(units)})" if units else self.name

    def unit_for(self, unit_system: str, typed: str) -> str | None:
        """The unit as the data file writes it for a typed unit (any case; empty: the test's only unit), or None."""
        units = self.units(unit_system)
        typed = (typed or "").strip()
        if not typed and len(units) == 1:
            return units[0]
        return next((u for u in units if u.casefold() == typed.casefold()), None)

    def plausible_range(self, unit_system: str, unit: str) -> tuple[Decimal, Decimal] | None:
        return self.ranges.get(unit_system, {}).get(unit)


_catalogue: dict[str, LabTestDefinition] = {}


def lab_test_catalogue() -> dict[str, LabTestDefinition]:
    """Lab test code → its definition, in the order of the data file, as ``load_ctcae`` loaded it (the audited
    ``LabAnalyte`` and ``LabPlausibleRange`` rows); read in two queries, then kept per process until reloaded."""
    if not _catalogue:
        from .models import LabAnalyte

        for analyte in LabAnalyte.objects.prefetch_related("ranges").order_by("position", "code"):
            ranges: dict[str, dict] = {}
            for plausible in sorted(analyte.ranges.all(), key=lambda r: (r.unit_system, r.position)):
                ranges.setdefault(plausible.unit_system, {})[plausible.unit] = (plausible.lowest, plausible.highest)
            _catalogue[analyte.code] = LabTestDefinition(
                code=analyte.code,
                name=analyte.name,
                lab_terms=tuple(analyte.lab_terms),
                ranges=ranges,
                basis=analyte.basis,
                note=analyte.note,
            )
    return _catalogue


def clear_lab_test_cache() -> None:
    """Forget the lab tests read (``load_ctcae`` calls this when it changes them)."""
    _catalogue.clear()


def _by_lab_term() -> dict[str, LabTestDefinition]:
    return {term: test for test in lab_test_catalogue().values() for term in test.lab_terms}


def lab_test_of_term(lab_term: str) -> LabTestDefinition | None:
    """The lab test a CTCAE lab-grading term belongs to (Hypokalemia → Potassium), or None."""
    return _by_lab_term().get(lab_term)


def lab_test_name(code: str) -> str:
    """The name of a lab test code as a nurse knows it (the code itself when unknown)."""
    test = lab_test_catalogue().get(code)
    return test.name if test else code


def implausible_lab_errors(
    *, lab_test: LabTestDefinition, unit_system, unit, value, lower_limit_normal, upper_limit_normal, baseline_value
) -> dict:
    """Every problem at once, as {field: message}; empty when the values are plausible.

    ``unit`` is the unit as typed; a unit the test is not recorded in (in this unit system) is refused.
    """
    errors = {}
    canonical = lab_test.unit_for(unit_system, unit)
    if canonical is None:
        units = " or ".join(u or NO_UNIT for u in lab_test.units(unit_system)) or NO_UNIT
        errors["unit"] = UNIT_NOT_OFFERED.format(test=lab_test.name, units=units, unit=(unit or "").strip() or NO_UNIT)
    shown = canonical if canonical is not None else (unit or "").strip()
    labels = {
        "value": lab_test.name,
        "lower_limit_normal": "LLN",
        "upper_limit_normal": "ULN",
        "baseline_value": "Baseline",
    }
    values = {
        "value": value,
        "lower_limit_normal": lower_limit_normal,
        "upper_limit_normal": upper_limit_normal,
        "baseline_value": baseline_value,
    }
    for field, number in values.items():
        if number is not None and Decimal(number) < 0:
            errors[field] = NEGATIVE.format(field=labels[field], value=_with_unit(number, shown))
    lln, uln = lower_limit_normal, upper_limit_normal
    if lln is not None and uln is not None and Decimal(lln) > Decimal(uln):
        message = LLN_ABOVE_ULN.format(lln=_with_unit(lln, shown), uln=_with_unit(uln, shown))
        errors.setdefault("lower_limit_normal", message)
        errors.setdefault("upper_limit_normal", message)
    limits = lab_test.plausible_range(unit_system, canonical) if canonical is not None else None
    if limits and value is not None and "value" not in errors:
        low, high = limits
        if not low <= Decimal(value) <= high:
            errors["value"] = IMPLAUSIBLE.format(
                test=lab_test.name,
                value=_with_unit(value, shown),
                low=plain_number(low),
                high=_with_unit(high, shown),
            )
    return errors
