"""Checks of a baseline as a whole: plausible ranges and rules between fields.

One function, :func:`validate_baseline`, is called by the baseline service on the record as it
would be saved (saved values with the changes applied). The web form and the API both go
through the service, so the same bad input gets the same message, next to the same field.

The rules are data (:data:`CROSS_FIELD_RULES`): each says when it applies, what must then hold
and which field the message belongs to. Plausible ranges are read from the model's field
validators, so the numbers live in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.validators import MaxValueValidator, MinValueValidator

from .choices import FrontlineRegimen, KaryotypeGroup, YesNoUnknown
from .models import Baseline

# The baseline's own values (what a nurse types), in the groups and the order the form shows them.
BASELINE_FIELDSETS = (
    (
        "Disease at start",
        ("ecog", "wbc_1e9_per_l", "peripheral_blast_percent", "marrow_blast_percent", "cns_disease_at_start"),
    ),
    (
        "Cytogenetics and molecular",
        (
            "karyotype_group",
            "kmt2a_rearranged",
            "low_hypodiploidy_near_triploidy",
            "ph_like",
            "crlf2_overexpression",
            "crlf2_method",
            "tp53_status",
        ),
    ),
    ("Immunophenotype", ("cd19_percent", "cd20_percent", "cd22_percent")),
    (
        "Treatment history",
        (
            "prior_frontline_regimen",
            "prior_frontline_regimen_detail",
            "primary_refractory",
            "first_remission_duration_months",
            "prior_salvage_lines",
            "prior_allogeneic_sct",
        ),
    ),
)
BASELINE_FIELDS = tuple(name for _legend, names in BASELINE_FIELDSETS for name in names)

OUT_OF_RANGE = "{label} must be between {minimum} and {maximum}."
NOT_A_NUMBER = "{label} must be a number."
FIRST_REMISSION_WITH_PRIMARY_REFRACTORY = (
    "A primary refractory patient had no first remission: leave the first remission duration empty."
)
FIRST_REMISSION_REQUIRED = "Enter how long the first remission lasted (months): the patient is not primary refractory."
CRLF2_METHOD_REQUIRED = "Enter the method CRLF2 expression was tested with."
CRLF2_METHOD_WITHOUT_RESULT = "Record the CRLF2 overexpression result this test method belongs to."
KMT2A_CONTRADICTS_KARYOTYPE = "The karyotype group is KMT2A rearrangement: KMT2A rearrangement cannot be “No”."
LOW_HYPODIPLOIDY_CONTRADICTS_KARYOTYPE = (
    "The karyotype group is low hypodiploidy / near triploidy: this finding cannot be “No”."
)
FRONTLINE_DETAIL_REQUIRED = "Name the other frontline regimen."
FRONTLINE_DETAIL_WITHOUT_REGIMEN = "Choose the prior frontline regimen this detail belongs to."

TESTED = (YesNoUnknown.YES, YesNoUnknown.NO)


def _empty(value) -> bool:
    return value is None or value == ""


@dataclass(frozen=True)
class CrossFieldRule:
    """When ``applies`` holds for the record, ``requires`` must hold too; otherwise ``message`` goes on ``field``."""

    field: str
    message: str
    applies: Callable[[dict], bool]
    requires: Callable[[dict], bool]


CROSS_FIELD_RULES = (
    CrossFieldRule(
        "first_remission_duration_months",
        FIRST_REMISSION_WITH_PRIMARY_REFRACTORY,
        applies=lambda v: v.get("primary_refractory") is True,
        requires=lambda v: _empty(v.get("first_remission_duration_months")),
    ),
    CrossFieldRule(
        "first_remission_duration_months",
        FIRST_REMISSION_REQUIRED,
        applies=lambda v: v.get("primary_refractory") is False,
        requires=lambda v: not _empty(v.get("first_remission_duration_months")),
    ),
    CrossFieldRule(
        "crlf2_method",
        CRLF2_METHOD_REQUIRED,
        applies=lambda v: v.get("crlf2_overexpression") in TESTED,
        requires=lambda v: not _empty(v.get("crlf2_method")),
    ),
    CrossFieldRule(
        "crlf2_method",
        CRLF2_METHOD_WITHOUT_RESULT,
        applies=lambda v: not _empty(v.get("crlf2_method")),
        requires=lambda v: not _empty(v.get("crlf2_overexpression")),
    ),
    CrossFieldRule(
        "kmt2a_rearranged",
        KMT2A_CONTRADICTS_KARYOTYPE,
        applies=lambda v: v.get("karyotype_group") == KaryotypeGroup.KMT2A,
        requires=lambda v: v.get("kmt2a_rearranged") != YesNoUnknown.NO,
    ),
    CrossFieldRule(
        "low_hypodiploidy_near_triploidy",
        LOW_HYPODIPLOIDY_CONTRADICTS_KARYOTYPE,
        applies=lambda v: v.get("karyotype_group") == KaryotypeGroup.LOW_HYPODIPLOIDY,
        requires=lambda v: v.get("low_hypodiploidy_near_triploidy") != YesNoUnknown.NO,
    ),
    CrossFieldRule(
        "prior_frontline_regimen_detail",
        FRONTLINE_DETAIL_REQUIRED,
        applies=lambda v: v.get("prior_frontline_regimen") == FrontlineRegimen.OTHER,
        requires=lambda v: not _empty(v.get("prior_frontline_regimen_detail")),
    ),
    CrossFieldRule(
        "prior_frontline_regimen_detail",
        FRONTLINE_DETAIL_WITHOUT_REGIMEN,
        applies=lambda v: not _empty(v.get("prior_frontline_regimen_detail")),
        requires=lambda v: not _empty(v.get("prior_frontline_regimen")),
    ),
)


@dataclass(frozen=True)
class PlausibleRange:
    minimum: Decimal
    maximum: Decimal
    label: str

    @property
    def text(self) -> str:
        return f"{self.minimum}–{self.maximum}"


def _plausible_ranges() -> dict[str, PlausibleRange]:
    """The tightest min/max of each numeric baseline field's model validators."""
    ranges = {}
    for name in BASELINE_FIELDS:
        field = Baseline._meta.get_field(name)
        minimums = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
        maximums = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
        if minimums or maximums:
            ranges[name] = PlausibleRange(
                Decimal(max(minimums, default=0)), Decimal(min(maximums)), str(field.verbose_name)
            )
    return ranges


PLAUSIBLE_RANGES = _plausible_ranges()


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def validate_baseline(values: dict) -> dict[str, str]:
    """Range and cross-field errors of a baseline's values: {field: message}, empty when all is well.

    ``values`` holds the record as it would be saved (missing keys count as empty). A field out of
    range gets the range message only; rules about it are checked once it is in range.
    """
    errors: dict[str, str] = {}
    for name, plausible in PLAUSIBLE_RANGES.items():
        value = values.get(name)
        if _empty(value):
            continue
        label = _capitalised(plausible.label)
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            errors[name] = NOT_A_NUMBER.format(label=label)
            continue
        if not number.is_finite():
            errors[name] = NOT_A_NUMBER.format(label=label)
        elif not plausible.minimum <= number <= plausible.maximum:
            errors[name] = OUT_OF_RANGE.format(label=label, minimum=plausible.minimum, maximum=plausible.maximum)
    for rule in CROSS_FIELD_RULES:
        if rule.field in errors:
            continue
        if rule.applies(values) and not rule.requires(values):
            errors[rule.field] = rule.message
    return errors
