"""Writes of the adverse-events app: report and correct AEs with their attributions, SAE reports."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit.writes import audited_create, audited_delete, audited_update
from core.validation import IN_FUTURE, refuse_unknown_fields, with_model_errors
from dosing.models import Course
from dosing.services import COURSE_OF_OTHER_PATIENT
from patients.models import Death, Patient
from patients.services import check_patient_site

from .choices import AEOutcome, Attribution, SAECriterion
from .models import AdverseEvent, AEAttribution, ClinicalObservation, CTCAETerm, LabGradingRule, LabResult
from .selectors import received_study_drugs

NOT_REGISTERED = "Adverse events are recorded for registered patients only."
GRADE_NOT_DEFINED = "{term} has no grade {grade} in CTCAE; its grades are {grades}."
VERBATIM_REQUIRED = "Describe the event: an “Other, specify” term needs the verbatim text."
RESOLVED_BEFORE_ONSET = "The resolution date is before the onset."
COURSE_AFTER_ONSET = "Course {number} started on {date}, after the onset."
GRADE_5_NEEDS_DEATH = "Grade 5 means death: record the patient's death (date and cause) first."
GRADE_5_IS_FATAL = "A grade 5 event has the outcome fatal."
SAE_NEEDS_CRITERIA = "A serious event needs at least one SAE criterion."
SAE_NEEDS_AWARE = "Give the date and time the site became aware of the SAE (it starts the expedited-report clock)."
CRITERIA_ONLY_IF_SERIOUS = "SAE criteria apply only to a serious event."
UNKNOWN_SAE_CRITERION = "Unknown SAE criterion: {codes}."
ATTRIBUTION_MISSING = "Give the attribution to each study drug the patient received: missing {drugs}."
ATTRIBUTION_NOT_RECEIVED = "The patient has not received {drugs}."
ATTRIBUTION_UNKNOWN = "Unknown attribution {value!r}: choose unrelated, unlikely, possible, probable or definite."
REPORT_BEFORE_AWARE = "The report cannot be submitted before the site became aware of the SAE."
NOT_SERIOUS = "Only a serious event has an expedited report."

AE_FIELDS = (
    "term",
    "grade",
    "verbatim",
    "onset_date",
    "resolution_date",
    "course",
    "serious",
    "sae_criteria",
    "sae_aware_at",
    "action_taken",
    "outcome",
)


def _check_patient(actor, patient: Patient):
    check_patient_site(actor, patient)
    if not patient.is_followed:
        raise ValidationError({"patient": NOT_REGISTERED})


def _validate(patient: Patient, values: dict, attributions: dict | None) -> dict:
    """Every rule an AE must meet, as {field: message}; also fills derived values (course, death link)."""
    errors: dict[str, str] = {}
    term: CTCAETerm = values.get("term")
    grade = values.get("grade")
    if term is not None and grade is not None and grade not in term.defined_grades:
        grades = ", ".join(str(g) for g in term.defined_grades)
        errors["grade"] = GRADE_NOT_DEFINED.format(term=term.term, grade=grade, grades=grades)
    if term is not None and term.is_other_specify and not (values.get("verbatim") or "").strip():
        errors["verbatim"] = VERBATIM_REQUIRED
    onset, resolution = values.get("onset_date"), values.get("resolution_date")
    today = timezone.localdate()
    if onset and onset > today:
        errors["onset_date"] = IN_FUTURE
    if resolution:
        if resolution > today:
            errors["resolution_date"] = IN_FUTURE
        elif onset and resolution < onset:
            errors["resolution_date"] = RESOLVED_BEFORE_ONSET
    course = values.get("course")
    if course is not None:
        if course.patient_id != patient.pk:
            errors["course"] = COURSE_OF_OTHER_PATIENT
        elif onset and course.start_date > onset:
            errors["course"] = COURSE_AFTER_ONSET.format(number=course.course_number, date=course.start_date)
    elif onset:
        values["course"] = Course.objects.filter(patient=patient, start_date__lte=onset).order_by("-start_date").first()
    if grade == 5:
        death = Death.objects.filter(patient=patient).first()
        if death is None:
            errors["grade"] = GRADE_5_NEEDS_DEATH
        else:
            values["death"] = death
        if values.get("outcome") and values["outcome"] != AEOutcome.FATAL:
            errors["outcome"] = GRADE_5_IS_FATAL
        values["outcome"] = AEOutcome.FATAL
    elif grade is not None:
        values["death"] = None
    criteria = list(values.get("sae_criteria") or [])
    unknown = sorted(set(criteria) - set(SAECriterion.values))
    if unknown:
        errors["sae_criteria"] = UNKNOWN_SAE_CRITERION.format(codes=", ".join(unknown))
    elif values.get("serious"):
        if not criteria:
            errors["sae_criteria"] = SAE_NEEDS_CRITERIA
        if not values.get("sae_aware_at"):
            errors["sae_aware_at"] = SAE_NEEDS_AWARE
    elif criteria:
        errors["sae_criteria"] = CRITERIA_ONLY_IF_SERIOUS
    values["sae_criteria"] = sorted(set(criteria))
    if attributions is not None:
        errors.update(_attribution_errors(patient, attributions))
    return errors


def _attribution_errors(patient, attributions: dict) -> dict:
    received = {d.code: d for d in received_study_drugs(patient)}
    codes = {getattr(k, "code", k): v for k, v in attributions.items()}
    bad = [v for v in codes.values() if v not in Attribution.values]
    if bad:
        return {"attributions": ATTRIBUTION_UNKNOWN.format(value=bad[0])}
    not_received = sorted(set(codes) - set(received))
    if not_received:
        return {"attributions": ATTRIBUTION_NOT_RECEIVED.format(drugs=", ".join(not_received))}
    missing = sorted(received[c].name for c in set(received) - set(codes))
    if missing:
        return {"attributions": ATTRIBUTION_MISSING.format(drugs=", ".join(missing))}
    return {}


def _save_attributions(actor, ae: AdverseEvent, attributions: dict, reason: str):
    existing = {a.drug.code: a for a in ae.attributions.select_related("drug")}
    received = {d.code: d for d in received_study_drugs(ae.patient)}
    for code, value in ((getattr(k, "code", k), v) for k, v in attributions.items()):
        if code in existing:
            audited_update(existing[code], actor=actor, reason=reason, attribution=value)
        else:
            audited_create(
                AEAttribution(adverse_event=ae, drug=received[code], attribution=value), actor=actor, reason=reason
            )


@transaction.atomic
def adverse_event_report(
    *, actor, patient: Patient, attributions: dict | None = None, source_lab_result: LabResult | None = None, **values
) -> AdverseEvent:
    """Report an adverse event: a CTCAE term at a grade the term defines, dates, course, attribution to
    every study drug received, seriousness with its criteria and awareness time, action and outcome."""
    refuse_unknown_fields(values, AE_FIELDS)
    _check_patient(actor, patient)
    attributions = attributions or {}
    errors = _validate(patient, values, attributions)
    ae = AdverseEvent(patient=patient, reported_by=actor, source_lab_result=source_lab_result, **values)
    if with_model_errors(ae, errors):
        raise ValidationError(errors)
    audited_create(ae, actor=actor, reason="Adverse event reported")
    _save_attributions(actor, ae, attributions, "Attribution given")
    return ae


@transaction.atomic
def adverse_event_update(
    *, actor, ae: AdverseEvent, reason: str = "", attributions: dict | None = None, **changes
) -> AdverseEvent:
    """Correct an AE. Changing a saved value (e.g. the grade) needs a reason; the old value stays in the audit trail."""
    refuse_unknown_fields(changes, AE_FIELDS)
    ae = AdverseEvent.objects.select_for_update(of=("self",)).select_related("patient", "term").get(pk=ae.pk)
    _check_patient(actor, ae.patient)
    merged = {name: getattr(ae, name) for name in AE_FIELDS} | changes
    if "course" not in changes and "onset_date" not in changes:
        merged["course"] = ae.course
    errors = _validate(ae.patient, merged, attributions)
    if errors:
        raise ValidationError(errors)
    derived = {name: merged[name] for name in ("course", "death", "outcome", "sae_criteria") if name in merged}
    ae, _ = audited_update(ae, actor=actor, reason=reason, **(changes | derived))
    if attributions:
        _save_attributions(actor, ae, attributions, reason or "Attribution completed")
    return ae


@transaction.atomic
def sae_report_submit(*, actor, ae: AdverseEvent, reported_at: datetime) -> AdverseEvent:
    """Record that the expedited SAE report was submitted."""
    _check_patient(actor, ae.patient)
    if not ae.serious:
        raise ValidationError({"sae_reported_at": NOT_SERIOUS})
    if reported_at > timezone.now():
        raise ValidationError({"sae_reported_at": IN_FUTURE})
    if ae.sae_aware_at and reported_at < ae.sae_aware_at:
        raise ValidationError({"sae_reported_at": REPORT_BEFORE_AWARE})
    ae, _ = audited_update(ae, actor=actor, reason="Expedited SAE report submitted", sae_reported_at=reported_at)
    return ae


@transaction.atomic
def adverse_event_delete(*, actor, ae: AdverseEvent, reason: str):
    """Withdraw an AE entered in error (the record and its attributions stay in the audit trail)."""
    _check_patient(actor, ae.patient)
    for attribution in ae.attributions.all():
        audited_delete(attribution, actor=actor, reason=reason)
    audited_delete(ae, actor=actor, reason=reason)


PROPOSAL_GRADE = 3  # CTCAE grade from which a lab value proposes an AE (severe or worse)
NOT_PROPOSED = "This lab value has no open AE proposal."
DISMISS_REASON = "Say why this lab value is not an adverse event."


@transaction.atomic
def lab_result_record(
    *,
    actor,
    patient: Patient,
    collected_on,
    value,
    lab_test: str = "",
    lab_term: str = "",
    unit_system: str = "SI",
    unit: str = "",
    lower_limit_normal=None,
    upper_limit_normal=None,
    baseline_value=None,
) -> LabResult:
    """Record a value of a lab test (potassium) with its normal range; the CTCAE lab term (Hypokalemia or
    Hyperkalemia) and grade are derived by the shipped rules, and a grade ≥ 3 proposes an adverse event for the
    nurse to confirm (it never creates one by itself). ``lab_term`` (a CTCAE lab term) is read as its lab test."""
    from .derivations.grading import UnknownLabTest
    from .plausibility import UNKNOWN_TEST, implausible_lab_errors, lab_test_catalogue, lab_test_of_term
    from .selectors import grade_lab_test

    _check_patient(actor, patient)
    definition = lab_test_catalogue().get(lab_test) if lab_test else lab_test_of_term(lab_term)
    result = LabResult(
        patient=patient,
        lab_test=definition.code if definition else (lab_test or "?"),  # unknown: refused on its field below
        # Set again from the value by the grading below; an unknown test is refused on lab_test alone.
        lab_term=definition.lab_terms[0] if definition else (lab_term or "?"),
        unit_system=unit_system,
        unit=unit,
        collected_on=collected_on,
        value=value,
        lower_limit_normal=lower_limit_normal,
        upper_limit_normal=upper_limit_normal,
        baseline_value=baseline_value,
        recorded_by=actor,
    )
    errors = {}
    if collected_on and collected_on > timezone.localdate():
        errors["collected_on"] = IN_FUTURE
    if definition is None:
        errors["lab_test" if lab_test or not lab_term else "lab_term"] = UNKNOWN_TEST
    else:
        errors.update(
            implausible_lab_errors(
                lab_test=definition,
                unit_system=unit_system,
                unit=unit,
                value=value,
                lower_limit_normal=lower_limit_normal,
                upper_limit_normal=upper_limit_normal,
                baseline_value=baseline_value,
            )
        )
        result.unit = definition.unit_for(unit_system, unit) or unit
    if not with_model_errors(result, errors):
        try:
            result.lab_term, result.grade = grade_lab_test(
                definition,
                unit_system=unit_system,
                unit=result.unit,
                value=value,
                uln=upper_limit_normal,
                lln=lower_limit_normal,
                baseline=baseline_value,
            )
        except UnknownLabTest as exc:
            errors["unit"] = str(exc)
    if errors:
        raise ValidationError(errors)
    if result.grade is not None and result.grade >= PROPOSAL_GRADE:
        result.proposal_status = "proposed"
    return audited_create(result, actor=actor, reason="Lab value recorded")


@transaction.atomic
def lab_proposal_confirm(*, actor, lab_result: LabResult, attributions: dict | None = None, **values) -> AdverseEvent:
    """Confirm a lab value's proposed AE: the term and grade come from the grading; the nurse adds the rest."""
    if lab_result.proposal_status != "proposed":
        raise ValidationError({"proposal_status": NOT_PROPOSED})
    rule = (
        LabGradingRule.objects.filter(lab_term=lab_result.lab_term, unit_system=lab_result.unit_system)
        .select_related("ctcae_term")
        .order_by("-version__published")
        .first()
    )
    values.setdefault("term", rule.ctcae_term)
    values.setdefault("grade", lab_result.grade)
    values.setdefault("onset_date", lab_result.collected_on)
    ae = adverse_event_report(
        actor=actor, patient=lab_result.patient, attributions=attributions, source_lab_result=lab_result, **values
    )
    audited_update(lab_result, actor=actor, reason="Proposed AE confirmed", proposal_status="confirmed")
    return ae


@transaction.atomic
def lab_proposal_dismiss(*, actor, lab_result: LabResult, reason: str) -> LabResult:
    _check_patient(actor, lab_result.patient)
    if lab_result.proposal_status != "proposed":
        raise ValidationError({"proposal_status": NOT_PROPOSED})
    if not (reason or "").strip():
        raise ValidationError({"reason": DISMISS_REASON})
    lab_result, _ = audited_update(
        lab_result,
        actor=actor,
        reason=f"Proposed AE dismissed: {reason}",
        proposal_status="dismissed",
        proposal_note=reason,
    )
    return lab_result


NO_FINDING = "Record at least one finding: the weight, hepatomegaly or ascites."


@transaction.atomic
def clinical_observation_record(
    *, actor, patient: Patient, observed_on, weight_kg=None, hepatomegaly=None, ascites=None
) -> ClinicalObservation:
    """Record bedside findings on a date (weight, hepatomegaly, ascites) that the SOS criteria read. Refuses,
    all at once, an observation with no finding, a date in the future and a weight outside the model's range;
    the patient must be at one of the actor's sites."""
    _check_patient(actor, patient)
    observation = ClinicalObservation(
        patient=patient,
        observed_on=observed_on,
        weight_kg=weight_kg,
        hepatomegaly=hepatomegaly,
        ascites=ascites,
        recorded_by=actor,
    )
    errors = {}
    if observed_on and observed_on > timezone.localdate():
        errors["observed_on"] = IN_FUTURE
    if weight_kg is None and hepatomegaly is None and ascites is None:
        errors["__all__"] = NO_FINDING
    errors = with_model_errors(observation, errors)
    if errors:
        raise ValidationError(errors)
    return audited_create(observation, actor=actor, reason="Clinical observation recorded")


# --- Withdrawal of records entered in error -----------------------------------------------------------------
# Registered in AdverseEventsConfig.ready; core.withdrawal checks the permission, the reason and the rule.


def adverse_event_withdraw_refusal(ae: AdverseEvent) -> str | None:
    """Why this adverse event cannot be withdrawn (None when it can); its attributions go with it."""
    from core.withdrawal import referring_records

    return referring_records(ae, ignore={AEAttribution})


@transaction.atomic
def adverse_event_withdraw(*, actor, record: AdverseEvent, reason: str) -> None:
    """Withdraw an AE entered in error, with its attributions (through :func:`adverse_event_delete`)."""
    from core.withdrawal import check_withdrawal

    _check_patient(actor, record.patient)
    reason = check_withdrawal(actor=actor, reason=reason, refusal=adverse_event_withdraw_refusal(record))
    adverse_event_delete(actor=actor, ae=record, reason=reason)
