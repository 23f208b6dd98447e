"""Validating data files against pydantic schemas, with problems that name the file, the item and the field.

A loader writes the schema of each kind of item as a :class:`Schema` with the field types below (or any pydantic
type), then validates the items one by one (:func:`validate`, :func:`validate_items`), so that every item's
problems are collected before anything is written and the items that are valid can still be cross-checked.
pydantic's errors are reported in plain words as ``<file>: <item>: <field>: <message>``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from annotated_types import Ge
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    model_validator,
)

from .files import Errors

REQUIRED = "{field} is required"
UNKNOWN_FIELD = "unknown field {field!r} (expected one of: {allowed})"
DUPLICATE = "duplicate {what} {key!r}"

# pydantic's error types, in the words a data manager reads ({input} is the value found, the rest pydantic's
# context). Types not listed keep pydantic's own message.
MESSAGES = {
    "model_type": "must be a mapping of field: value",
    "model_attributes_type": "must be a mapping of field: value",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "string_type": "must be text, got {input!r}",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters, got {input!r}",
    "bool_type": "must be true or false, got {input!r}",
    "int_type": "must be a whole number, got {input!r}",
    "int_parsing": "must be a whole number, got {input!r}",
    "int_from_float": "must be a whole number, got {input!r}",
    "greater_than": "must be greater than {gt}, got {input}",
    "greater_than_equal": "must be at least {ge}, got {input}",
    "less_than": "must be less than {lt}, got {input}",
    "less_than_equal": "must be at most {le}, got {input}",
    "decimal_type": "must be a number, got {input!r}",
    "decimal_parsing": "must be a number, got {input!r}",
    "finite_number": "must be a number, got {input!r}",
    "decimal_max_places": "has more than {decimal_places} decimal places: {input}",
    "decimal_max_digits": "has more than {max_digits} digits: {input}",
    "decimal_whole_digits": "has more than {whole_digits} digits before the decimal point: {input}",
    "date_type": "must be a date (YYYY-MM-DD), got {input!r}",
    "enum": "must be one of {expected}, got {input!r}",
    "literal_error": "must be one of {expected}, got {input!r}",
}


class Schema(BaseModel):
    """The base of the schemas of data files.

    Unknown fields are refused (``extra="forbid"``); a field written empty (YAML ``null``) that has a default
    takes its default; choices (enums, e.g. Django ``TextChoices``) come out as their plain values; keys starting
    with ``ignored_prefix`` (when set) are skipped, e.g. ``x-`` keys holding YAML anchors.
    """

    model_config = ConfigDict(extra="forbid", use_enum_values=True)
    ignored_prefix: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _skip_ignored_and_empty(cls, data):
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {
            key: value
            for key, value in data.items()
            if not (cls.ignored_prefix and isinstance(key, str) and key.startswith(cls.ignored_prefix))
            and not (value is None and key in fields and not fields[key].is_required())
        }


# --------------------------------------------------------------------------------------------
# Field types
# --------------------------------------------------------------------------------------------

# Text, surrounding blanks removed (give the field a default, usually "", if it may be left out).
Text = Annotated[str, Strict(), StringConstraints(strip_whitespace=True)]
# Text that must not be empty.
RequiredText = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, min_length=1)]
# true or false, nothing else (not 1, not "yes").
Flag = Annotated[bool, Strict()]


def _iso_date(value):
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    return value


# A date: a YAML date or text YYYY-MM-DD; not a date and time.
Date = Annotated[date, Strict(), BeforeValidator(_iso_date)]


def WholeNumber(minimum: int = 0):  # noqa: N802 - a type
    """A whole number of at least ``minimum`` (not true/false, not 2.0, not text)."""
    return Annotated[int, Strict(), Ge(minimum)]


_DIGITS = re.compile(r"^[0-9]+$")


def _digits(value):
    return int(value.strip()) if isinstance(value, str) and _DIGITS.match(value.strip()) else value


def WholeNumberText(minimum: int = 0):  # noqa: N802 - a type
    """A whole number of at least ``minimum`` written as text of digits (a CSV cell)."""
    return Annotated[int, Strict(), Ge(minimum), BeforeValidator(_digits)]


def Number(places: int | None = None, *, gt=None):  # noqa: N802 - a type
    """A decimal number (from a number or its text; never a float's binary approximation), finite, with at most
    ``places`` decimal places and, if given, greater than ``gt``."""
    return Annotated[Decimal, Field(decimal_places=places, allow_inf_nan=False, gt=gt)]


def _blank_as_none(value):
    return None if isinstance(value, str) and not value.strip() else value


def NumberOrBlank(places: int | None = None):  # noqa: N802 - a type
    """A decimal number, or ``None`` for an empty text (a CSV cell)."""
    return Annotated[Number(places) | None, BeforeValidator(_blank_as_none)]


def Matching(pattern: str, description: str):  # noqa: N802 - a type
    """Text matching ``pattern`` in full; the error says it must be ``description``."""
    compiled = re.compile(pattern)

    def check(value):
        if not compiled.fullmatch(value):
            raise ValueError(f"must be {description}, got {value!r}")
        return value

    return Annotated[str, Strict(), AfterValidator(check)]


# A stable code (natural key): letters, digits, "-" and "_".
Code = Matching(r"[-a-zA-Z0-9_]+", "a code of letters, digits, '-' and '_'")


# --------------------------------------------------------------------------------------------
# Validating and reporting
# --------------------------------------------------------------------------------------------


def _unwrap(tp):
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType):
            options = [a for a in get_args(tp) if a is not type(None)]
            if len(options) != 1:
                return tp
            tp = options[0]
        else:
            return tp


def _schema_at(schema: type[BaseModel], loc) -> type[BaseModel] | None:
    """The schema of the mapping at ``loc`` inside ``schema`` (to list its fields), if it is one."""
    tp = schema
    for part in loc:
        tp = _unwrap(tp)
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str) and part in tp.model_fields:
            tp = tp.model_fields[part].annotation
        elif origin in (list, tuple, set, frozenset) and get_args(tp):
            tp = get_args(tp)[0]
        elif origin is dict and get_args(tp):
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _location(loc) -> str:
    """('alternatives', 0, 'drug') → 'alternatives #1: drug'."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int) and parts:
            parts[-1] += f" #{part + 1}"
        else:
            parts.append(f"#{part + 1}" if isinstance(part, int) else str(part))
    return ": ".join(parts)


def schema_errors(schema: type[BaseModel], exc: ValidationError) -> list[tuple[str, str]]:
    """pydantic's errors as (where inside the item, message)."""
    found = []
    for error in exc.errors(include_url=False):
        loc, kind, ctx = error["loc"], error["type"], error.get("ctx") or {}
        if kind in ("missing", "extra_forbidden") and loc:
            *loc, name = loc
            if kind == "missing":
                message = REQUIRED.format(field=name)
            else:
                inner = _schema_at(schema, loc)
                allowed = ", ".join(inner.model_fields) if inner else ""
                message = UNKNOWN_FIELD.format(field=name, allowed=allowed) if allowed else f"unknown field {name!r}"
        elif kind in ("value_error", "assertion_error") and "error" in ctx:
            message = str(ctx["error"])
        elif kind in MESSAGES:
            message = MESSAGES[kind].format(input=error.get("input"), **ctx)
        else:
            message = error["msg"]
        found.append((_location(loc), message))
    return found


def validate(errors: Errors, file: str, where: str, schema: type[Schema], data) -> dict | None:
    """The values of ``data`` validated by ``schema``, or ``None`` after adding its problems to ``errors``."""
    try:
        return schema.model_validate(data).model_dump()
    except ValidationError as exc:
        for location, message in schema_errors(schema, exc):
            errors.add(file, ": ".join(p for p in (where, location) if p), message)
        return None


def validate_items(
    errors: Errors, file: str, items: list[Any], schema: type[Schema], what: str, *, key: str = "code", prefix=""
) -> list[dict]:
    """The valid items of a list, each validated on its own; an item's problems are reported at
    ``<what> <prefix><key>`` (e.g. "regimen item mini-hcvd-odd/vincristine"), or ``<what> <prefix>#<n>`` when it
    has no usable key, and a second item with the same key is refused."""
    parsed, seen = [], set()
    for index, item in enumerate(items):
        label = item.get(key) if isinstance(item, dict) else None
        where = f"{what} {prefix}{label}" if isinstance(label, str | int) else f"{what} {prefix}#{index + 1}"
        values = validate(errors, file, where, schema, item)
        if values is None:
            continue
        if values[key] in seen:
            errors.add(file, where, DUPLICATE.format(what=what, key=values[key]))
            continue
        seen.add(values[key])
        parsed.append(values)
    return parsed
