"""Writes of the responses app: bone-marrow evaluations (the response itself is derived, never written)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit.writes import audited_create, audited_update
from core.validation import IN_FUTURE, refuse_unknown_fields, with_model_errors
from dosing.services import COURSE_OF_OTHER_PATIENT
from patients.models import Patient
from patients.services import check_patient_site
from patients.services.outcomes import BEFORE_REGISTRATION

from .models import MarrowAssessment

NOT_REGISTERED = "Marrow evaluations are recorded for registered patients only."
COURSE_AFTER_ASSESSMENT = "Course {number} started on {date}, after this evaluation."
LEVEL_WITHOUT_DETECTION = "A level is recorded only when MRD is detected."
ONE_PER_DAY = "An evaluation is already recorded for this patient on this date."

VALUE_FIELDS = (
    "after_course",
    "marrow_blast_percent",
    "blasts_due_to_recovery",
    "extramedullary_disease",
    "neutrophils_1e9_per_l",
    "platelets_1e9_per_l",
    "mrd_flow",
    "mrd_flow_level",
    "mrd_ngs",
    "mrd_ngs_level",
    "cytogenetics",
)


def _validate(patient: Patient, assessed_on: date, values: dict, *, exclude_pk=None):
    errors = {}
    if assessed_on is not None:
        if assessed_on > timezone.localdate():
            errors["assessed_on"] = IN_FUTURE
        elif patient.registration_date and assessed_on < patient.registration_date:
            errors["assessed_on"] = BEFORE_REGISTRATION.format(date=patient.registration_date)
        elif MarrowAssessment.objects.filter(patient=patient, assessed_on=assessed_on).exclude(pk=exclude_pk).exists():
            errors["assessed_on"] = ONE_PER_DAY
    course = values.get("after_course")
    if course is not None:
        if course.patient_id != patient.pk:
            errors["after_course"] = COURSE_OF_OTHER_PATIENT
        elif assessed_on is not None and course.start_date > assessed_on:
            errors["after_course"] = COURSE_AFTER_ASSESSMENT.format(number=course.course_number, date=course.start_date)
    for kind in ("flow", "ngs"):
        if values.get(f"mrd_{kind}_level") is not None and values.get(f"mrd_{kind}") != "detected":
            errors[f"mrd_{kind}_level"] = LEVEL_WITHOUT_DETECTION
    return errors


@transaction.atomic
def assessment_record(*, actor, patient: Patient, assessed_on: date, **values) -> MarrowAssessment:
    """Record a bone-marrow evaluation with its same-day counts, MRD and cytogenetics."""
    refuse_unknown_fields(values, VALUE_FIELDS)
    check_patient_site(actor, patient)
    if not patient.is_followed:
        raise ValidationError({"patient": NOT_REGISTERED})
    assessment = MarrowAssessment(patient=patient, assessed_on=assessed_on, recorded_by=actor, **values)
    if errors := with_model_errors(assessment, _validate(patient, assessed_on, values)):
        raise ValidationError(errors)
    return audited_create(assessment, actor=actor, reason="Marrow evaluation recorded")


@transaction.atomic
def assessment_update(*, actor, assessment: MarrowAssessment, reason: str = "", **changes) -> MarrowAssessment:
    """Correct an evaluation; changing a saved value needs a reason. The derived response follows."""
    refuse_unknown_fields(changes, {*VALUE_FIELDS, "assessed_on"})
    patient = assessment.patient
    check_patient_site(actor, patient)
    merged = {name: getattr(assessment, name) for name in VALUE_FIELDS} | changes
    errors = _validate(patient, changes.get("assessed_on", assessment.assessed_on), merged, exclude_pk=assessment.pk)
    if errors:
        raise ValidationError(errors)
    assessment, _ = audited_update(assessment, actor=actor, reason=reason, **changes)
    return assessment


# --- Withdrawal of an evaluation entered in error -------------------------------------------------------------
