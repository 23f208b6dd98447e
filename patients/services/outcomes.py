"""Outcomes after registration: allogeneic SCT, off study, follow-up contacts, death."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit.writes import audited_create, audited_update
from core.validation import IN_FUTURE, invalid_choice_message

from ..choices import ConditioningAgent, PatientStatus, VitalStatus
from ..models import Death, FollowUp, OffStudy, Patient, Transplant
from .patient import check_patient_site

NOT_REGISTERED = "Outcomes are recorded for registered patients only."
BEFORE_REGISTRATION = "This date is before the patient's registration ({date})."
AFTER_DEATH = "This date is after the patient's death ({date})."
ALREADY_RECORDED = "Already recorded for this patient; correct the existing record instead."
DONE_IN_FUTURE = "A transplant marked done cannot be in the future."
ALIVE_LATER = "A follow-up on {date} records the patient alive after this date."
DEAD_AT_FOLLOW_UP = "Record the death itself (date and cause) rather than a follow-up saying dead."


def _check(actor, patient: Patient, field: str, when: date, *, future_ok: bool = False, errors=None) -> dict:
    """Refuse a patient of another site or not registered; then the date's problems, added to ``errors`` (raised
    together by the caller, so every problem of the entry comes at once)."""
    errors = {} if errors is None else errors
    check_patient_site(actor, patient)
    if not patient.is_followed or not patient.registration_date:
        raise ValidationError({"patient": NOT_REGISTERED})
    if when is None:
        return errors
    if not future_ok and when > timezone.localdate():
        errors.setdefault(field, IN_FUTURE)
    elif when < patient.registration_date:
        errors.setdefault(field, BEFORE_REGISTRATION.format(date=patient.registration_date))
    else:
        death = Death.objects.filter(patient=patient).first()
        if death and when > death.death_date:
            errors.setdefault(field, AFTER_DEATH.format(date=death.death_date))
    return errors


def _refuse(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _check_agents(agents, errors: dict) -> dict:
    unknown = sorted(set(agents or []) - set(ConditioningAgent.values))
    if unknown:
        errors.setdefault("conditioning_agents", invalid_choice_message(unknown[0], ConditioningAgent.values))
    return errors


@transaction.atomic
def transplant_record(
    *,
    actor,
    patient: Patient,
    status: str,
    transplant_date: date,
    donor_type: str = "",
    conditioning_regimen: str = "",
    conditioning_agents: list | None = None,
) -> Transplant:
    """Record an allogeneic SCT, planned (a future date is allowed) or done."""
    errors = _check(actor, patient, "transplant_date", transplant_date, future_ok=(status != "done"))
    _refuse(_check_agents(conditioning_agents, errors))
    return audited_create(
        Transplant(
            patient=patient,
            status=status,
            transplant_date=transplant_date,
            donor_type=donor_type,
            conditioning_regimen=conditioning_regimen,
            conditioning_agents=sorted(set(conditioning_agents or [])),
        ),
        actor=actor,
        reason="Transplant recorded",
    )


@transaction.atomic
def transplant_update(*, actor, transplant: Transplant, reason: str = "", **changes) -> Transplant:
    status = changes.get("status", transplant.status)
    when = changes.get("transplant_date", transplant.transplant_date)
    errors = _check(actor, transplant.patient, "transplant_date", when, future_ok=(status != "done"))
    if "conditioning_agents" in changes:
        _check_agents(changes["conditioning_agents"], errors)
    _refuse(errors)
    if "conditioning_agents" in changes:
        changes["conditioning_agents"] = sorted(set(changes["conditioning_agents"] or []))
    transplant, _ = audited_update(transplant, actor=actor, reason=reason, **changes)
    return transplant


@transaction.atomic
def off_study_record(*, actor, patient: Patient, off_study_date: date, reason: str, detail: str = "") -> OffStudy:
    """Take the patient off study treatment (the patient's status becomes off study)."""
    errors = _check(actor, patient, "off_study_date", off_study_date)
    if OffStudy.objects.filter(patient=patient).exists():
        errors["patient"] = ALREADY_RECORDED
    _refuse(errors)
    record = audited_create(
        OffStudy(patient=patient, off_study_date=off_study_date, reason=reason, detail=detail),
        actor=actor,
        reason="Off study",
    )
    audited_update(
        patient, actor=actor, reason=f"Off study: {record.get_reason_display()}", status=PatientStatus.OFF_STUDY
    )
    return record


@transaction.atomic
def follow_up_record(
    *, actor, patient: Patient, contact_date: date, vital_status: str, disease_status: str = "", notes: str = ""
) -> FollowUp:
    """A follow-up contact: alive (with disease status) on a date."""
    errors = _check(actor, patient, "contact_date", contact_date)
    if vital_status == VitalStatus.DEAD and not Death.objects.filter(patient=patient).exists():
        errors["vital_status"] = DEAD_AT_FOLLOW_UP
    _refuse(errors)
    return audited_create(
        FollowUp(
            patient=patient,
            contact_date=contact_date,
            vital_status=vital_status,
            disease_status=disease_status,
            notes=notes,
        ),
        actor=actor,
        reason="Follow-up contact",
    )


def _check_no_follow_up_alive_after(patient: Patient, death_date: date, errors: dict) -> dict:
    if death_date is None or "death_date" in errors:
        return errors
    last_alive = (
        FollowUp.objects.filter(patient=patient, vital_status=VitalStatus.ALIVE, contact_date__gt=death_date)
        .order_by("-contact_date")
        .values_list("contact_date", flat=True)
        .first()
    )
    if last_alive:
        errors["death_date"] = ALIVE_LATER.format(date=last_alive)
    return errors


@transaction.atomic
def death_record(*, actor, patient: Patient, death_date: date, cause: str, cause_detail: str = "") -> Death:
    """Record the patient's death (once)."""
    _check(actor, patient, "death_date", None)
    if Death.objects.filter(patient=patient).exists():
        raise ValidationError({"patient": ALREADY_RECORDED})
    _refuse(_check_no_follow_up_alive_after(patient, death_date, _check(actor, patient, "death_date", death_date)))
    return audited_create(
        Death(patient=patient, death_date=death_date, cause=cause, cause_detail=cause_detail),
        actor=actor,
        reason="Death recorded",
    )


@transaction.atomic
def death_update(*, actor, death: Death, reason: str = "", **changes) -> Death:
    """Correct the death record; a new date obeys the same rules as when it was first recorded."""
    patient = death.patient
    _check(actor, patient, "death_date", None)
    when = changes.get("death_date")
    errors = {}
    if when is not None:
        if when > timezone.localdate():
            errors["death_date"] = IN_FUTURE
        elif when < patient.registration_date:
            errors["death_date"] = BEFORE_REGISTRATION.format(date=patient.registration_date)
        _refuse(_check_no_follow_up_alive_after(patient, when, errors))
    death, _ = audited_update(death, actor=actor, reason=reason, **changes)
    return death
