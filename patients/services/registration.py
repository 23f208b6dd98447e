"""Consent and registration: the steps from screening to a study subject on a protocol version."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit.writes import audited_create, audited_update
from core.choices import SignatureMeaning
from core.services import NOT_ALLOWED_TO_SIGN, WRONG_PASSWORD, signature_sign
from core.validation import IN_FUTURE, with_model_errors
from trial.models import ProtocolVersion, Trial

from ..choices import PatientStatus
from ..models import Consent, Patient
from ..selectors.registration import next_sequence_number, protocol_version_for
from .patient import check_patient_site

NOT_IN_SCREENING = "Only a patient in screening can be {action}; this patient is {status}."
NO_CONSENT = "No signed consent is recorded on or before the registration date."
NO_ASSESSMENT = "No eligibility assessment is recorded for this patient."
ASSESSMENT_AFTER_REGISTRATION = "The eligibility assessment is dated after the registration date."
CRITERION_FAILED = "{text}: {status} (value: {value}; required: {requirement})"
NOT_REGISTERED = "Only a registered patient has a protocol version to correct."
SAME_VERSION = "The patient is already on this protocol version."
REASON_REQUIRED = "Give the reason for this correction."


@transaction.atomic
def consent_record(*, actor, patient: Patient, consent_date: date, form_version: str, notes: str = "") -> Consent:
    """Record that the patient signed the consent form (which version, when, obtained by the actor)."""
    check_patient_site(actor, patient)
    consent = Consent(
        patient=patient, consent_date=consent_date, form_version=form_version, obtained_by=actor, notes=notes
    )
    errors = {"consent_date": IN_FUTURE} if consent_date is not None and consent_date > timezone.localdate() else {}
    if with_model_errors(consent, errors):  # the date and the model's own checks at once
        raise ValidationError(errors)
    return audited_create(consent, actor=actor, reason="Consent recorded")


def registration_blockers(patient: Patient, registration_date: date, assessment=None) -> dict[str, list[str]]:
    """Why this patient cannot be registered on this date (field → messages); empty when registration may go ahead."""
    from ..selectors.eligibility import eligibility_summary, latest_assessment

    errors: dict[str, list[str]] = {}
    if patient.status != PatientStatus.SCREENING:
        errors.setdefault("status", []).append(
            NOT_IN_SCREENING.format(action="registered", status=patient.get_status_display().lower())
        )
    if not patient.consents.filter(consent_date__lte=registration_date).exists():
        errors.setdefault("consent", []).append(NO_CONSENT)
    assessment = assessment or latest_assessment(patient)
    if assessment is None:
        errors.setdefault("eligibility", []).append(NO_ASSESSMENT)
        return errors
    if assessment.assessed_on > registration_date:
        errors.setdefault("registration_date", []).append(ASSESSMENT_AFTER_REGISTRATION)
    summary = eligibility_summary(assessment)
    if not summary.registration_allowed:
        for result in summary.results:
            if not result.met:
                errors.setdefault("eligibility", []).append(
                    CRITERION_FAILED.format(
                        text=result.criterion.text,
                        status=result.status.replace("_", " "),
                        value="—" if result.value in (None, "") else result.value,
                        requirement=result.criterion.requirement,
                    )
                )
    return errors


@transaction.atomic
def patient_register(*, actor, patient: Patient, registration_date: date) -> Patient:
    """Register a screened patient: next trial-wide sequence number and the protocol version by the amendment rule.

    Refused, with one message per unmet or missing criterion, unless every criterion of the latest
    eligibility assessment is met or an investigator has signed a waiver on it.
    """
    from ..selectors.eligibility import eligibility_summary, latest_assessment

    check_patient_site(actor, patient)
    trial = Trial.objects.select_for_update().get(pk=patient.site.trial_id)  # one registration at a time
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    assessment = latest_assessment(patient)
    errors = {"registration_date": [IN_FUTURE]} if registration_date > timezone.localdate() else {}
    for field, messages in registration_blockers(patient, registration_date, assessment).items():
        errors.setdefault(field, []).extend(messages)  # the date and every blocker at once
    if errors:
        raise ValidationError(errors)
    summary = eligibility_summary(assessment)
    sequence_number = next_sequence_number(trial)
    version = protocol_version_for(trial, sequence_number=sequence_number, registration_date=registration_date)
    patient, _ = audited_update(
        patient,
        actor=actor,
        reason="Registered" + (" under a signed eligibility waiver" if not summary.all_met else ""),
        status=PatientStatus.REGISTERED,
        sequence_number=sequence_number,
        registration_date=registration_date,
        protocol_version=version,
        registered_by=actor,
        registered_with_waiver=not summary.all_met,
    )
    return patient


@transaction.atomic
def patient_screen_fail(*, actor, patient: Patient, reason: str) -> Patient:
    """Close a screening record: the patient will not be registered."""
    check_patient_site(actor, patient)
    if patient.status != PatientStatus.SCREENING:
        raise ValidationError(
            {"status": NOT_IN_SCREENING.format(action="closed", status=patient.get_status_display().lower())}
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason the patient is not registered."})
    patient, _ = audited_update(patient, actor=actor, reason=reason, status=PatientStatus.SCREEN_FAILED)
    return patient


@transaction.atomic
def patient_protocol_version_correct(
    *, actor, patient: Patient, protocol_version: ProtocolVersion, reason: str, password: str
) -> Patient:
    """Correct a registered patient's protocol version: an investigator's signed, audited correction."""
    check_patient_site(actor, patient)
    if not actor.has_perm("core.sign_records"):
        raise ValidationError({"password": NOT_ALLOWED_TO_SIGN})
    if patient.status != PatientStatus.REGISTERED or patient.protocol_version_id is None:
        raise ValidationError({"protocol_version": NOT_REGISTERED})
    if protocol_version.pk == patient.protocol_version_id:
        raise ValidationError({"protocol_version": SAME_VERSION})
    if not (reason or "").strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    if not actor.check_password(password or ""):
        raise ValidationError({"password": WRONG_PASSWORD})
    patient, _ = audited_update(
        patient, actor=actor, reason=f"Protocol version correction: {reason}", protocol_version=protocol_version
    )
    signature_sign(record=patient, actor=actor, password=password, meaning=SignatureMeaning.CORRECTION, comment=reason)
    return patient


# --- Withdrawal of a screening record entered in error --------------------------------------------------------

REGISTERED_NOT_WITHDRAWN = "A registered patient cannot be withdrawn — record off-study instead."


def patient_withdraw_refusal(patient: Patient) -> str | None:
    """Why this patient's record cannot be withdrawn (None when it can): only a patient never registered can, with
    its consents, eligibility assessments and baseline; nothing else may refer to it."""
    from core.withdrawal import referring_records

    from ..models import Baseline, EligibilityAssessment

    if patient.sequence_number is not None or patient.status not in (
        PatientStatus.SCREENING,
        PatientStatus.SCREEN_FAILED,
    ):
        return REGISTERED_NOT_WITHDRAWN
    return referring_records(patient, ignore={Consent, EligibilityAssessment, Baseline})


@transaction.atomic
def patient_withdraw(*, actor, record: Patient, reason: str) -> None:
    """Withdraw a screening record entered in error (a duplicate, the wrong person), with its consents, eligibility
    assessments and baseline; all stay in the audit trail with the reason."""
    from core.audit.writes import audited_delete
    from core.withdrawal import check_withdrawal

    from ..models import Baseline

    check_patient_site(actor, record)
    patient = Patient.objects.select_for_update().get(pk=record.pk)
    reason = check_withdrawal(actor=actor, reason=reason, refusal=patient_withdraw_refusal(patient))
    drafts = [
        *patient.consents.all(),
        *patient.eligibility_assessments.all(),
        *Baseline.objects.filter(patient=patient),
    ]
    for draft in drafts:
        audited_delete(draft, actor=actor, reason=reason)
    audited_delete(patient, actor=actor, reason=reason)
