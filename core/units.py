"""Range messages that carry the unit: "This value must be at least 25 kg", not Django's unit-less "Ensure this
value is greater than or equal to 25".

The unit is read from the model field: the trailing "(kg)" of its verbose name (what the form's label shows), or
else its name's suffix (``reduction_percent`` is in %). :func:`install_range_messages` (run once, when the apps are
ready) gives every model field with a range and a unit validators that say it; forms (their model's validation)
and the API (the services' ``full_clean``) then give the same message. The validators deconstruct as Django's own,
so migrations do not change."""

import re

from django.core.validators import MaxValueValidator, MinValueValidator

AT_LEAST = "This value must be at least {limit}{unit}."
AT_MOST = "This value must be at most {limit}{unit}."
# A field name's suffix and the unit it stands for, for fields whose verbose name does not end with one.
UNIT_SUFFIXES = {"_percent": "%", "_kg": "kg", "_cm": "cm", "_1e9_per_l": "×10⁹/L", "_months": "months"}
_TRAILING_UNIT = re.compile(r"\(([^\s()]+)\)\s*$")


def unit_of(field) -> str:
    """The unit of a model field ("kg", "%", "×10⁹/L"), or "" when it has none."""
    match = _TRAILING_UNIT.search(str(field.verbose_name or ""))
    if match:
        return match.group(1)
    for suffix, unit in UNIT_SUFFIXES.items():
        if field.name.endswith(suffix):
            return unit
    return ""


def with_unit(limit, unit: str, template: str) -> str:
    """The range message for ``limit`` in ``unit`` (a % sits on the number: "100%"; other units after a space)."""
    spaced = unit if unit.startswith("%") else f" {unit}"
    return template.format(limit=limit, unit=spaced if unit else "")


class _UnitRange:
    """A Django range validator whose message says the unit; it deconstructs as Django's own (no migration)."""

    template = ""

    def __init__(self, limit_value, unit: str):
        message = with_unit("%(limit_value)s", unit.replace("%", "%%"), self.template)
        super().__init__(limit_value, message=message)
        self.unit = unit

    def deconstruct(self):
        base = type(self).__mro__[2]
        return f"{base.__module__}.{base.__name__}", (self.limit_value,), {}


class MinValueWithUnit(_UnitRange, MinValueValidator):
    template = AT_LEAST


class MaxValueWithUnit(_UnitRange, MaxValueValidator):
    template = AT_MOST


def install_range_messages(models) -> int:
    """Give each field of ``models`` with a range and a unit the validators that say the unit; returns how many."""
    replaced = 0
    for model in models:
        for field in model._meta.concrete_fields:
            unit = unit_of(field)
            if not unit or not field._validators:
                continue
            validators = []
            for validator in field._validators:
                if type(validator) is MinValueValidator:
                    validator = MinValueWithUnit(validator.limit_value, unit)
                    replaced += 1
                elif type(validator) is MaxValueValidator:
                    validator = MaxValueWithUnit(validator.limit_value, unit)
                    replaced += 1
                validators.append(validator)
            field._validators = validators
            field.__dict__.pop("validators", None)  # the cached list of the field's validators
    return replaced
