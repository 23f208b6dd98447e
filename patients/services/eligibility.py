"""Writes of eligibility: a nurse records the values, corrects them with a reason, an investigator waives.

The verdict is never stored: it is derived by :mod:`patients.selectors.eligibility` from the
values and the criteria of the assessment's protocol version. A waiver is the reason written on
the assessment plus the investigator's electronic signature (meaning "waiver"); any later change
to the assessment voids that signature, so the waiver no longer counts.
"""

from copy import copy
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit.writes import audited_create, audited_update, changed_fields
from core.choices import SignatureMeaning
from core.services import signature_sign
from core.validation import refuse_unknown_fields, with_model_errors

from ..models import EligibilityAssessment, Patient
from ..selectors.eligibility import ASSESSMENT_VALUE_FIELDS, current_protocol_version, eligibility_summary
from .patient import FIELD_NOT_EDITABLE, check_patient_site

ASSESSED_IN_FUTURE = "The assessment date cannot be in the future."
NO_PROTOCOL_VERSION = "The trial has no protocol version in force yet, so there are no criteria to assess."
WAIVER_NOT_ALLOWED = "Only an investigator can waive eligibility criteria."
WAIVER_REASON_REQUIRED = "Give the reason registration is allowed although criteria are not met or missing."
NOTHING_TO_WAIVE = "Every criterion is met: there is nothing to waive."
ALREADY_WAIVED = "A valid waiver is already signed on this assessment."
CREATED_REASON = "Eligibility assessed"
WAIVER_AUDIT_REASON = "Eligibility waiver: {reason}"
WAIVER_WITHDRAWN_ON_COMPLETION = "Blank value completed; the signed waiver no longer applies"

EDITABLE_FIELDS = ("assessed_on", *ASSESSMENT_VALUE_FIELDS)


def _future_date_errors(assessed_on) -> dict:
    if isinstance(assessed_on, date) and assessed_on > timezone.localdate():
        return {"assessed_on": [ASSESSED_IN_FUTURE]}
    return {}


def _validate(assessment: EligibilityAssessment):
    """The model's own checks and the date check together, so every error shows at once."""
    errors = _future_date_errors(assessment.assessed_on)
    try:
        assessment.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _locked(assessment: EligibilityAssessment) -> EligibilityAssessment:
    """The assessment as saved, locked until the transaction ends (one change at a time)."""
    return EligibilityAssessment.objects.select_for_update(of=("self",)).select_related("patient").get(pk=assessment.pk)


@transaction.atomic
def eligibility_assess(*, actor, patient: Patient, assessed_on: date, **values) -> EligibilityAssessment:
    """Record the values a patient's eligibility is judged on, against the criteria of their protocol version.

    The version is the patient's own once registered, otherwise the one a registration on the
    assessment date would get (so an assessment entered afterwards is judged by the criteria then in force).
    Values may be left empty; the checklist then shows those criteria as missing.
    """
    check_patient_site(actor, patient)
    refuse_unknown_fields(values, ASSESSMENT_VALUE_FIELDS, FIELD_NOT_EDITABLE)
    version = patient.protocol_version or current_protocol_version(
        patient.site.trial, on=assessed_on if isinstance(assessed_on, date) else None
    )
    if version is None:
        raise ValidationError(NO_PROTOCOL_VERSION)
    assessment = EligibilityAssessment(
        patient=patient, protocol_version=version, assessed_on=assessed_on, assessed_by=actor, **values
    )
    _validate(assessment)
    return audited_create(assessment, actor=actor, reason=CREATED_REASON)


@transaction.atomic
def eligibility_update(
    *, actor, assessment: EligibilityAssessment, reason: str = "", **values
) -> EligibilityAssessment:
    """Correct or complete an assessment. Changing a saved value needs a reason.

    Any signature on the assessment is voided by the change (so a waiver no longer counts), and a
    waiver's reason is cleared with it: the investigator must look at the new values again.
    """
    check_patient_site(actor, assessment.patient)
    refuse_unknown_fields(values, EDITABLE_FIELDS, FIELD_NOT_EDITABLE)
    errors = _future_date_errors(values.get("assessed_on"))
    assessment = _locked(assessment)
    if errors:  # with the model's own checks of the other values, so every problem shows at once
        draft = copy(assessment)
        for name, value in values.items():
            setattr(draft, name, value)
        raise ValidationError(with_model_errors(draft, {"assessed_on": ASSESSED_IN_FUTURE}))
    diff = changed_fields(assessment, values)
    if diff and assessment.waiver_reason:
        values["waiver_reason"] = ""
        if not (reason or "").strip() and all(old is None or old == "" for old, _new in diff.values()):
            reason = WAIVER_WITHDRAWN_ON_COMPLETION  # only blanks were filled in: no reason asked of the nurse
    assessment, _diff = audited_update(assessment, actor=actor, reason=reason, **values)
    return assessment


@transaction.atomic
def eligibility_waive(*, actor, assessment: EligibilityAssessment, reason: str, password: str) -> EligibilityAssessment:
    """An investigator allows registration although criteria are not met or missing: reason plus signature.

    The reason is written on the assessment (audited) and the investigator signs it with the
    meaning "waiver", re-entering their password; both happen or neither.
    """
    check_patient_site(actor, assessment.patient)
    if not actor.has_perm("core.sign_records"):
        raise ValidationError(WAIVER_NOT_ALLOWED)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": WAIVER_REASON_REQUIRED})
    assessment = _locked(assessment)
    summary = eligibility_summary(assessment)
    if summary.all_met:
        raise ValidationError(NOTHING_TO_WAIVE)
    if summary.waived:
        raise ValidationError(ALREADY_WAIVED)
    assessment, _diff = audited_update(
        assessment, actor=actor, reason=WAIVER_AUDIT_REASON.format(reason=reason), waiver_reason=reason
    )
    signature_sign(record=assessment, actor=actor, password=password, meaning=SignatureMeaning.WAIVER, comment=reason)
    return assessment
