"""Checks that a lab value is one a body can have: not negative, LLN ≤ ULN, and inside the shipped plausible range.

The ranges are data (``data/lab_plausible_ranges.yaml``, with its provenance), read once per process.
"""

import functools
from decimal import Decimal
from pathlib import Path

import yaml

from core.formatting import plain_number

RANGES_FILE = Path(__file__).parent / "data" / "lab_plausible_ranges.yaml"

NEGATIVE = "{field}: {value} {unit} is negative; a lab value cannot be below 0."
LLN_ABOVE_ULN = "LLN {lln} {unit} is above ULN {uln} {unit}; the lower normal limit must not exceed the upper."
IMPLAUSIBLE = "{test}: {value} {unit} is outside the plausible range {low}–{high} {unit}; check the unit."


@functools.cache
def _data() -> dict:
    return yaml.safe_load(RANGES_FILE.read_text(encoding="utf-8")) or {}


@functools.cache
def plausible_ranges() -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """(lab term, unit) → (lowest, highest) plausible value, from the shipped data file."""
    data = _data()
    return {
        (term, unit): (Decimal(str(low)), Decimal(str(high)))
        for term, entry in data.items()
        for unit, (low, high) in entry["ranges"].items()
    }


@functools.cache
def lab_test_names() -> dict[str, str]:
    """CTCAE lab term → the lab test's name a nurse knows (e.g. "Platelet count"), from the shipped data file."""
    return {term: entry["name"] for term, entry in _data().items() if entry.get("name")}


def implausible_lab_errors(*, lab_term, unit, value, lower_limit_normal, upper_limit_normal, baseline_value) -> dict:
    """Every problem at once, as {field: message}; empty when the values are plausible."""
    errors = {}
    shown = unit or "(no unit)"
    labels = {
        "value": lab_test_names().get(lab_term, lab_term),
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
            errors[field] = NEGATIVE.format(field=labels[field], value=plain_number(number), unit=shown)
    lln, uln = lower_limit_normal, upper_limit_normal
    if lln is not None and uln is not None and Decimal(lln) > Decimal(uln):
        message = LLN_ABOVE_ULN.format(lln=plain_number(lln), uln=plain_number(uln), unit=shown)
        errors.setdefault("lower_limit_normal", message)
        errors.setdefault("upper_limit_normal", message)
    limits = plausible_ranges().get((lab_term, unit))
    if limits and value is not None and "value" not in errors:
        low, high = limits
        if not low <= Decimal(value) <= high:
            errors["value"] = IMPLAUSIBLE.format(
                test=labels["value"],
                value=plain_number(value),
                unit=shown,
                low=plain_number(low),
                high=plain_number(high),
            )
    return errors
