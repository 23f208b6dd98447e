"""Writes of a patient's baseline characteristics (the paper's Table 1)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit.writes import REASON_REQUIRED, audited_create, audited_update, changed_fields
from core.validation import refuse_unknown_fields

from ..models import Baseline, Patient
from ..validators import BASELINE_FIELDS, validate_baseline
from .patient import check_patient_site

BASELINE_RECORDED = "Baseline recorded"
FIELD_NOT_BASELINE = "This field is not part of the baseline."


def _typed(values: dict) -> tuple[dict, dict]:
    """Values converted as the model stores them, and {field: message} for those that cannot be."""
    typed, errors = {}, {}
    for name, value in values.items():
        field = Baseline._meta.get_field(name)
        try:
            typed[name] = field.to_python(value)
        except ValidationError as exc:
            errors[name] = exc.messages[0]
    return typed, errors


@transaction.atomic
def baseline_record(*, actor, patient: Patient, reason: str = "", **values) -> Baseline:
    """Record or correct a patient's baseline characteristics.

    The first call creates the baseline; later calls change only the fields given, and changing
    a value that was already saved needs a ``reason`` (filling in a blank one does not). The
    record as it would be saved is checked for plausible ranges and cross-field rules
    (:func:`patients.validators.validate_baseline`); all problems are raised together, each on
    its field. Derived values (salvage status, high-risk cytogenetics, rituximab indication) are
    not stored: selectors derive them.
    """
    check_patient_site(actor, patient)
    refuse_unknown_fields(values, BASELINE_FIELDS, FIELD_NOT_BASELINE)
    typed, errors = _typed(values)
    baseline = Baseline.objects.select_for_update().filter(patient=patient).first()
    if baseline is None:
        current = {name: Baseline._meta.get_field(name).get_default() for name in BASELINE_FIELDS}
    else:
        current = {name: getattr(baseline, name) for name in BASELINE_FIELDS}
    for name, message in validate_baseline({**current, **typed}).items():
        errors.setdefault(name, message)
    if baseline is not None and not (reason or "").strip():
        diff = changed_fields(baseline, typed)
        if any(old not in (None, "") for old, _new in diff.values()):
            errors["reason"] = REASON_REQUIRED
    if errors:
        raise ValidationError(errors)
    if baseline is None:
        return audited_create(Baseline(patient=patient, **typed), actor=actor, reason=BASELINE_RECORDED)
    baseline, _diff = audited_update(baseline, actor=actor, reason=reason, **typed)
    return baseline
