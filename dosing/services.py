"""Writes of the dosing app: start a course with its planned doses, record doses, reductions, overrides."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit.writes import audited_bulk_create, audited_create, audited_update
from core.choices import SignatureMeaning, SignatureStatus
from core.formatting import plain_number
from core.models import Signature
from core.services import NOT_ALLOWED_TO_SIGN, WRONG_PASSWORD, signature_sign
from core.validation import IN_FUTURE, with_field_errors
from patients.choices import PatientStatus
from patients.models import Baseline, Patient
from patients.selectors.baseline import baseline_of
from patients.services import check_patient_site
from trial.choices import CoursePhase, DoseLevel, Route
from trial.derivations import DoseLevelRequired, PatientValueRequired
from trial.models import DrugHoldRule
from trial.selectors import parameter_value, planned_courses, regimen_items_for_course

from .choices import AdministrationStatus, DoseAmountUnit
from .derivations.doses import absolute_dose, bsa_m2, given_per_m2, plan_course, round_dose, round_per_m2
from .models import Course, DoseOverride, PlannedAdministration
from .selectors import cumulative_per_m2

NOT_REGISTERED = "Only a registered patient can start a course."
BEFORE_REGISTRATION = "A course cannot start before the patient's registration date ({date})."
COURSE_OF_OTHER_PATIENT = "This course belongs to another patient."
NOT_AFTER_PREVIOUS = "Course {number} started on {date}; the next course must start after it."
SEQUENCE_COMPLETE = "Every course planned by the protocol version has been started."
NO_EARLY_MAINTENANCE = "There is no maintenance course ahead in this patient's plan to start early."
ALREADY_IN_MAINTENANCE = "The patient is already in maintenance; an early start needs no reason."
DOSE_LEVEL_NEEDED = "This course has a higher and a lower inotuzumab dose level: choose one."
BASELINE_VALUE_NEEDED = "Record the baseline's {field} first: the {drug} of this course depends on it."
# The baseline field each patient value of the regimen conditions is read from (see _patient_values).
BASELINE_FIELD_OF = {"cd20_percent": "cd20_percent", "cns_disease_active": "cns_disease_at_start"}
NOT_PENDING = "This dose is already recorded as {status}; change it with a reason for change."
CHOOSE_STATUS = "Choose given, held or omitted."
GIVEN_NEEDS = "A given dose needs {what}."
NOT_GIVEN_HAS_DOSE = "A held or omitted dose has no amount or time given."
REASON_FOR_DIFFERENCE = "Give the reason this differs from the plan ({differences})."
REASON_FOR_NOT_GIVEN = "Give the reason the dose was {status}."
BEFORE_COURSE_START = "The dose cannot be given before the course started ({date})."
NEGATIVE_DOSE = "The dose must be greater than 0."
REDUCTION_NEEDS_LOWER_DOSE = "A reduction for the rest of the course needs a dose lower than planned."
OVER_CUMULATIVE_MAXIMUM = (
    "This dose ({dose} {unit}/m²) would take cumulative {drug} to {total} {unit}/m², above the "
    "protocol maximum of {maximum} {unit}/m²: an investigator's signed override is needed."
)
OVERRIDE_NOT_NEEDED = "This dose stays within the protocol maximum; no override is needed."
NO_CUMULATIVE_MAXIMUM = "The protocol sets no cumulative maximum for {drug}; no override is needed."
OVERRIDE_REASON_NEEDED = "Give the clinical reason for exceeding the maximum."
UNPLANNED_REASON_NEEDED = "Give the reason this dose was given although the plan did not hold it."
UNPLANNED_NEEDS = "An unplanned dose needs {what}."
DRUG_OF_OTHER_TRIAL = "This drug is not one of this trial's drugs."
AFTER_COURSE_END = "The dose was given after this course's last day ({date}); record it on the course it belongs to."


def _patient_values(patient: Patient) -> dict:
    """The patient values regimen conditions refer to, from the baseline."""
    baseline = baseline_of(patient)
    if baseline is None:
        return {}
    cns = baseline.cns_disease_at_start
    return {
        "cd20_percent": baseline.cd20_percent,
        "cns_disease_active": None if cns is None else int(cns),
    }


def _baseline_label(value_name: str) -> str:
    """The label a nurse sees on the baseline form for a patient value of the regimen conditions."""
    try:
        return str(Baseline._meta.get_field(BASELINE_FIELD_OF.get(value_name, value_name)).verbose_name)
    except FieldDoesNotExist:
        return value_name.replace("_", " ")


def _bsa_or_zero(height_cm, weight_kg, formula) -> Decimal:
    """BSA from a plausible height and weight; 0 for a missing or non-positive one (``full_clean`` then names it)."""
    if height_cm is None or weight_kg is None or height_cm <= 0 or weight_kg <= 0:
        return Decimal(0)
    return bsa_m2(height_cm, weight_kg, formula)


def _next_step(patient: Patient, last: Course | None, early_maintenance: bool):
    steps = planned_courses(patient.protocol_version)
    position = last.sequence_step if last else 0
    ahead = [s for s in steps if s.course_number > position]
    if not ahead:
        raise ValidationError({"course_type": SEQUENCE_COMPLETE})
    if not early_maintenance:
        return ahead[0]
    if ahead[0].course_type.phase == CoursePhase.MAINTENANCE:
        raise ValidationError({"early_maintenance_reason": ALREADY_IN_MAINTENANCE})
    for step in ahead:
        if step.course_type.phase == CoursePhase.MAINTENANCE:
            return step
    raise ValidationError({"early_maintenance_reason": NO_EARLY_MAINTENANCE})


@transaction.atomic
def course_start(
    *,
    actor,
    patient: Patient,
    start_date: date,
    height_cm: Decimal,
    weight_kg: Decimal,
    inotuzumab_dose_level: str = "",
    early_maintenance_reason: str = "",
) -> Course:
    """Start the patient's next course and plan every dose of it from the regimen data.

    The course type follows the patient's protocol version; with a reason, maintenance may start
    early. Doses are computed from the body-surface area of this course's height and weight.
    """
    check_patient_site(actor, patient)
    patient = Patient.objects.select_for_update(of=("self",)).select_related("protocol_version").get(pk=patient.pk)
    if patient.status != PatientStatus.REGISTERED or patient.protocol_version is None:
        raise ValidationError({"patient": NOT_REGISTERED})
    errors = {}
    if start_date is not None and start_date > timezone.localdate():
        errors["start_date"] = IN_FUTURE
    elif start_date is not None and start_date < patient.registration_date:
        errors["start_date"] = BEFORE_REGISTRATION.format(date=patient.registration_date)
    last = Course.objects.filter(patient=patient).order_by("-course_number").first()
    if last and start_date is not None and start_date <= last.start_date and "start_date" not in errors:
        errors["start_date"] = NOT_AFTER_PREVIOUS.format(number=last.course_number, date=last.start_date)
    # the height and weight are checked with the dates, so every problem of the entry comes at once
    with_field_errors(Course, {"start_date": start_date, "height_cm": height_cm, "weight_kg": weight_kg}, errors)
    if errors:
        raise ValidationError(errors)
    early_reason = (early_maintenance_reason or "").strip()
    step = _next_step(patient, last, early_maintenance=bool(early_reason))
    type_ordinal = Course.objects.filter(patient=patient, course_type=step.course_type).count() + 1
    version = patient.protocol_version
    level = inotuzumab_dose_level or (last.inotuzumab_dose_level if last else "")
    bsa = _bsa_or_zero(height_cm, weight_kg, version.bsa_formula)
    course = Course(
        patient=patient,
        course_number=(last.course_number + 1) if last else 1,
        sequence_step=step.course_number,
        course_type=step.course_type,
        type_ordinal=type_ordinal,
        start_date=start_date,
        height_cm=height_cm,
        weight_kg=weight_kg,
        bsa_m2=bsa,
        inotuzumab_dose_level="",
        early_maintenance_reason=early_reason,
        started_by=actor,
    )
    course.full_clean(exclude=["bsa_m2"])
    try:
        items = regimen_items_for_course(
            version,
            step.course_type,
            course.sequence_step,
            type_ordinal,
            _patient_values(patient),
            start_date,
            dose_level=level or None,
        )
    except DoseLevelRequired:
        raise ValidationError({"inotuzumab_dose_level": DOSE_LEVEL_NEEDED}) from None
    except PatientValueRequired as exc:
        label = _baseline_label(exc.field)
        message = BASELINE_VALUE_NEEDED.format(field=label, drug=exc.item.drug.name.lower())
        raise ValidationError({"patient": message}) from None
    if any(item.dose_level != DoseLevel.STANDARD for item in items):
        course.inotuzumab_dose_level = level
    audited_create(course, actor=actor, reason=f"Course {course.course_number} started")
    hold_rules = DrugHoldRule.objects.filter(protocol_version=version)
    plan = plan_course(items, start_date=start_date, bsa=bsa, hold_rules=hold_rules)
    audited_bulk_create(
        PlannedAdministration,
        [
            PlannedAdministration(
                course=course,
                regimen_item=p.item,
                drug=p.item.drug,
                day=p.day,
                last_day=p.last_day,
                dose_number=p.dose_number,
                planned_date=p.planned_date,
                planned_dose=p.planned_dose,
                dose_unit=p.dose_unit,
                dose_per_m2=p.dose_per_m2,
                doses_per_day=p.doses_per_day,
                route=p.route,
                window_before_days=p.window_before_days,
                window_after_days=p.window_after_days,
                hold_days=p.hold_days,
            )
            for p in plan
        ],
        actor=actor,
        reason=f"Planned from the regimen of {version.code} for course {course.course_number}",
    )
    return course


def _differences(administration, given_at, dose_given, route_given) -> list[str]:
    differences = []
    if administration.planned_dose is not None and dose_given != administration.planned_dose:
        planned = f"{plain_number(administration.planned_dose)} {administration.dose_unit}"
        differences.append(f"dose {plain_number(dose_given)} instead of {planned}")
    if route_given and route_given != administration.route:
        differences.append(f"route {route_given} instead of {administration.route}")
    if given_at is not None:
        day = timezone.localtime(given_at).date() if timezone.is_aware(given_at) else given_at.date()
        if day != administration.planned_date:
            differences.append(f"given on {day} instead of {administration.planned_date}")
    return differences


def _check_cumulative(administration, dose_given):
    """Raise unless the dose keeps a tracked drug within its maximum, or a signed override covers it."""
    drug = administration.drug
    if not drug.cumulative_limit_parameter or dose_given is None:
        return
    patient = administration.course.patient
    maximum = parameter_value(patient.protocol_version, drug.cumulative_limit_parameter)
    before = cumulative_per_m2(patient, drug)
    if administration.status == AdministrationStatus.GIVEN and administration.dose_given:
        before -= given_per_m2(
            dose_given=administration.dose_given,
            planned_dose=administration.planned_dose,
            dose_per_m2=administration.dose_per_m2,
            bsa=administration.course.bsa_m2,
        )
    dose = given_per_m2(
        dose_given=dose_given,
        planned_dose=administration.planned_dose,
        dose_per_m2=administration.dose_per_m2,
        bsa=administration.course.bsa_m2,
    )
    if before + dose <= maximum:
        return
    for override in administration.overrides.all() if administration.pk else ():
        signed = Signature.objects.for_record(override).filter(status=SignatureStatus.VALID).exists()
        if signed and override.dose_per_m2 >= dose:
            return
    unit = administration.regimen_item.dose_unit.split("/")[0] if administration.regimen_item else "mg"
    raise ValidationError(
        {
            "dose_given": OVER_CUMULATIVE_MAXIMUM.format(
                dose=round_per_m2(dose),
                unit=unit,
                drug=drug.name.lower(),
                total=round_per_m2(before + dose),
                maximum=round_per_m2(maximum),
            )
        }
    )


@transaction.atomic
def dose_record(
    *,
    actor,
    administration: PlannedAdministration,
    status: str,
    given_at: datetime | None = None,
    dose_given: Decimal | None = None,
    route_given: str = "",
    reason: str = "",
    reduce_rest_of_course: bool = False,
) -> PlannedAdministration:
    """Record a planned dose as given, held or omitted.

    Anything that differs from the plan (dose, route, date) needs a reason; so do held and omitted
    doses. Changing a dose already recorded needs a reason for change. With ``reduce_rest_of_course``
    a lower dose reduces the later planned doses of the same drug in this course by the same fraction.
    """
    administration = (
        PlannedAdministration.objects.select_for_update(of=("self",))
        .select_related("course__patient__protocol_version", "drug", "regimen_item")
        .get(pk=administration.pk)
    )
    course = administration.course
    check_patient_site(actor, course.patient)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if status not in AdministrationStatus.values or status == AdministrationStatus.PENDING:
        errors["status"] = CHOOSE_STATUS
    elif status == AdministrationStatus.GIVEN:
        if given_at is None:
            errors["given_at"] = GIVEN_NEEDS.format(what="the date and time it was given")
        elif given_at > timezone.now():
            errors["given_at"] = IN_FUTURE
        elif timezone.localtime(given_at).date() < course.start_date:
            errors["given_at"] = BEFORE_COURSE_START.format(date=course.start_date)
        if dose_given is None:
            if administration.planned_dose is not None:
                errors["dose_given"] = GIVEN_NEEDS.format(what="the amount given")
        elif dose_given <= 0:
            errors["dose_given"] = NEGATIVE_DOSE
        if not errors:
            differences = _differences(administration, given_at, dose_given, route_given)
            if differences and not reason:
                errors["reason"] = REASON_FOR_DIFFERENCE.format(differences="; ".join(differences))
        lower = (
            dose_given is not None
            and administration.planned_dose is not None
            and dose_given < administration.planned_dose
        )
        if reduce_rest_of_course and not errors and not lower:
            errors["dose_given"] = REDUCTION_NEEDS_LOWER_DOSE
    else:
        if given_at is not None or dose_given is not None:
            errors["dose_given"] = NOT_GIVEN_HAS_DOSE
        if reduce_rest_of_course:
            errors["reduce_rest_of_course"] = REDUCTION_NEEDS_LOWER_DOSE
        if not reason:
            errors["reason"] = REASON_FOR_NOT_GIVEN.format(status=AdministrationStatus(status).label.lower())
    if errors:
        raise ValidationError(errors)
    if status == AdministrationStatus.GIVEN:
        _check_cumulative(administration, dose_given)
    was_recorded = administration.status != AdministrationStatus.PENDING
    changes = {
        "status": status,
        "given_at": given_at if status == AdministrationStatus.GIVEN else None,
        "dose_given": dose_given if status == AdministrationStatus.GIVEN else None,
        "route_given": (route_given or administration.route) if status == AdministrationStatus.GIVEN else "",
        "deviation_reason": reason,
        "recorded_by": actor,
    }
    administration, _ = audited_update(
        administration,
        actor=actor,
        reason=reason if was_recorded else (reason or "Recorded"),
        **changes,
    )
    if reduce_rest_of_course:
        _reduce_rest_of_course(actor, administration, dose_given / administration.planned_dose, reason)
    return administration


@transaction.atomic
def unplanned_dose_record(
    *,
    actor,
    course: Course,
    drug,
    given_at: datetime | None,
    dose_given: Decimal | None,
    dose_unit: str,
    route: str,
    reason: str,
) -> PlannedAdministration:
    """Record a dose the plan did not hold (an extra dose, another drug, a dose on another day) as given.

    It becomes a :class:`PlannedAdministration` with ``unplanned=True``, no regimen item, its planned date
    the day it was given and its reason in ``deviation_reason``, so the deviation rules judge it like any
    other given dose (and one of them flags every unplanned dose). It is recorded even when it takes a drug past
    its cumulative maximum: it has been given, so refusing it would only hide it; DEV-03 flags the excess (an
    override authorises a planned dose before it is given, and there is none to authorise here).
    """
    course = Course.objects.select_for_update(of=("self",)).select_related("patient", "course_type").get(pk=course.pk)
    check_patient_site(actor, course.patient)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if drug is None:
        errors["drug"] = UNPLANNED_NEEDS.format(what="the drug given")
    elif drug.trial_id != course.course_type.protocol_version.trial_id:
        errors["drug"] = DRUG_OF_OTHER_TRIAL
    last_date = course.start_date + timedelta(days=course.course_type.length_days - 1)
    if given_at is None:
        errors["given_at"] = GIVEN_NEEDS.format(what="the date and time it was given")
    elif given_at > timezone.now():
        errors["given_at"] = IN_FUTURE
    elif timezone.localtime(given_at).date() < course.start_date:
        errors["given_at"] = BEFORE_COURSE_START.format(date=course.start_date)
    elif (
        timezone.localtime(given_at).date() > last_date
        and course.patient.courses.filter(course_number__gt=course.course_number).exists()
    ):
        errors["given_at"] = AFTER_COURSE_END.format(date=last_date)
    if dose_given is None:
        errors["dose_given"] = GIVEN_NEEDS.format(what="the amount given")
    elif dose_given <= 0:
        errors["dose_given"] = NEGATIVE_DOSE
    if dose_unit not in DoseAmountUnit.values:
        errors["dose_unit"] = UNPLANNED_NEEDS.format(what="the unit of the amount")
    if route not in Route.values:
        errors["route"] = UNPLANNED_NEEDS.format(what="the route")
    if not reason:
        errors["reason"] = UNPLANNED_REASON_NEEDED
    if errors:
        raise ValidationError(errors)
    given_on = timezone.localtime(given_at).date()
    day = (given_on - course.start_date).days + 1
    same_day = PlannedAdministration.objects.filter(course=course, drug=drug, day=day, last_day__isnull=True).count()
    administration = PlannedAdministration(
        course=course,
        regimen_item=None,
        unplanned=True,
        drug=drug,
        day=day,
        dose_number=same_day + 1,
        planned_date=given_on,
        planned_dose=None,
        dose_unit=dose_unit,
        route=route,
        status=AdministrationStatus.GIVEN,
        given_at=given_at,
        dose_given=dose_given,
        route_given=route,
        deviation_reason=reason,
        recorded_by=actor,
    )
    return audited_create(administration, actor=actor, reason=f"Unplanned dose recorded: {reason}")


def _reduce_rest_of_course(actor, administration, fraction: Decimal, reason: str):
    percent = ((1 - fraction) * 100).quantize(Decimal("0.01"))
    later = PlannedAdministration.objects.filter(
        course=administration.course,
        drug=administration.drug,
        status=AdministrationStatus.PENDING,
        planned_dose__isnull=False,
    ).exclude(pk=administration.pk)
    here = (administration.day, administration.dose_number)
    for other in later:
        if (other.day, other.dose_number) <= here:
            continue
        audited_update(
            other,
            actor=actor,
            reason=f"Reduced by {percent}% for the rest of the course: {reason}",
            planned_dose=round_dose(other.planned_dose * fraction, other.dose_unit),
            dose_per_m2=round_per_m2(other.dose_per_m2 * fraction) if other.dose_per_m2 is not None else None,
            reduction_percent=percent,
        )
    audited_update(administration, actor=actor, reason=f"Reduced by {percent}%: {reason}", reduction_percent=percent)


@transaction.atomic
def course_recompute_bsa(*, actor, course: Course, height_cm: Decimal, weight_kg: Decimal, reason: str) -> Course:
    """Re-plan the course's doses still to give from a new height/weight (an explicit, audited step)."""
    check_patient_site(actor, course.patient)
    errors = {}
    for name, value in (("height_cm", height_cm), ("weight_kg", weight_kg)):
        try:
            Course._meta.get_field(name).clean(value, course)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    version = course.patient.protocol_version
    bsa = bsa_m2(height_cm, weight_kg, version.bsa_formula)
    course, _ = audited_update(course, actor=actor, reason=reason, height_cm=height_cm, weight_kg=weight_kg, bsa_m2=bsa)
    pending = course.administrations.filter(status=AdministrationStatus.PENDING, dose_per_m2__isnull=False)
    for administration in pending.select_related("regimen_item"):
        dose, _unit = absolute_dose(administration.dose_per_m2, administration.regimen_item.dose_unit, bsa)
        audited_update(administration, actor=actor, reason=f"Re-planned from BSA {bsa} m²: {reason}", planned_dose=dose)
    return course


@transaction.atomic
def dose_override_authorise(
    *, actor, administration: PlannedAdministration, dose_given: Decimal, reason: str, password: str
) -> DoseOverride:
    """An investigator signs an authorisation to give a dose above the drug's cumulative maximum."""
    course = administration.course
    check_patient_site(actor, course.patient)
    if not actor.has_perm("core.sign_records"):
        raise ValidationError({"password": NOT_ALLOWED_TO_SIGN})
    if not (reason or "").strip():
        raise ValidationError({"reason": OVERRIDE_REASON_NEEDED})
    if not actor.check_password(password or ""):
        raise ValidationError({"password": WRONG_PASSWORD})
    drug = administration.drug
    if not drug.cumulative_limit_parameter:
        raise ValidationError({"dose_given": NO_CUMULATIVE_MAXIMUM.format(drug=drug.name.lower())})
    if dose_given is None or dose_given <= 0:
        raise ValidationError({"dose_given": NEGATIVE_DOSE})
    maximum = parameter_value(course.patient.protocol_version, drug.cumulative_limit_parameter)
    before = cumulative_per_m2(course.patient, drug)
    dose = given_per_m2(
        dose_given=dose_given,
        planned_dose=administration.planned_dose,
        dose_per_m2=administration.dose_per_m2,
        bsa=course.bsa_m2,
    )
    if before + dose <= maximum:
        raise ValidationError({"dose_given": OVERRIDE_NOT_NEEDED})
    override = audited_create(
        DoseOverride(
            administration=administration,
            reason=reason,
            cumulative_before_per_m2=before,
            dose_per_m2=dose,
            maximum_per_m2=maximum,
            authorised_by=actor,
        ),
        actor=actor,
        reason="Override of the cumulative maximum",
    )
    signature_sign(record=override, actor=actor, password=password, meaning=SignatureMeaning.OVERRIDE, comment=reason)
    return override


# --- Withdrawal of records entered in error -----------------------------------------------------------------
# Registered in DosingConfig.ready; core.withdrawal checks the permission, the reason and the rule.

COURSE_HAS_RECORDED_DOSES = (
    "A course with doses recorded (given, held or omitted) cannot be withdrawn; withdraw those doses first."
)
COURSE_NOT_LAST = "Only the patient's last course can be withdrawn; withdraw course {number} first."
COURSE_HAS_OVERRIDES = "A dose of this course has a signed override; a course with overrides cannot be withdrawn."
DOSE_NOT_RECORDED = "This dose is still planned: it is part of the course plan, not an entry that can be withdrawn."
DOSE_REDUCED_COURSE = (
    "This dose carries a reduction for the rest of the course; correct it with a reason for change instead."
)
DOSE_WITHDRAWN = "Withdrawn (entered in error), back to planned: {reason}"


def course_withdraw_refusal(course: Course) -> str | None:
    """Why this course cannot be withdrawn (None when it can): it must be the patient's last, with no dose recorded
    and nothing else (marrow evaluations, adverse events) referring to it; its planned doses go with it.
    Every condition is read whatever the answer (a fixed number of queries, as the course page shows the link)."""
    from django.db.models import Exists, OuterRef

    from core.withdrawal import referring_records

    state = (
        Course.objects.filter(pk=course.pk)
        .annotate(
            later=Exists(
                Course.objects.filter(patient_id=OuterRef("patient_id"), course_number__gt=OuterRef("course_number"))
            ),
            recorded=Exists(
                PlannedAdministration.objects.filter(course_id=OuterRef("pk")).exclude(
                    status=AdministrationStatus.PENDING
                )
            ),
            overridden=Exists(DoseOverride.objects.filter(administration__course_id=OuterRef("pk"))),
        )
        .values("later", "recorded", "overridden")
        .get()
    )
    referred = referring_records(course, ignore={PlannedAdministration})
    if state["later"]:
        last = course.patient.courses.order_by("-course_number").values_list("course_number", flat=True).first()
        return COURSE_NOT_LAST.format(number=last)
    if state["recorded"]:
        return COURSE_HAS_RECORDED_DOSES
    if state["overridden"]:
        return COURSE_HAS_OVERRIDES
    return referred


@transaction.atomic
def course_withdraw(*, actor, record: Course, reason: str) -> None:
    """Withdraw a course started in error, with its planned (not yet recorded) doses."""
    from core.audit.writes import audited_delete
    from core.withdrawal import check_withdrawal

    check_patient_site(actor, record.patient)
    course = Course.objects.select_for_update(of=("self",)).select_related("patient").get(pk=record.pk)
    reason = check_withdrawal(actor=actor, reason=reason, refusal=course_withdraw_refusal(course))
    for administration in course.administrations.all():
        audited_delete(administration, actor=actor, reason=reason)
    audited_delete(course, actor=actor, reason=reason)


def administration_withdraw_refusal(administration: PlannedAdministration) -> str | None:
    """Why this dose record cannot be withdrawn (None when it can): a dose still planned is part of the plan, and a
    dose whose recording reduced the rest of the course is corrected, not withdrawn."""
    from core.withdrawal import referring_records

    if administration.status == AdministrationStatus.PENDING:
        return DOSE_NOT_RECORDED
    if administration.unplanned:
        return referring_records(administration)
    reduced_the_rest = (
        administration.reduction_percent is not None
        and administration.dose_given is not None
        and administration.planned_dose is not None
        and administration.dose_given < administration.planned_dose
    )
    return DOSE_REDUCED_COURSE if reduced_the_rest else None


@transaction.atomic
def administration_withdraw(*, actor, record: PlannedAdministration, reason: str) -> None:
    """Withdraw a dose recorded in error. A planned dose goes back to planned (what was recorded, who and why stay
    in its audit trail), so the course plan keeps it; an unplanned dose, which the plan never held, is removed."""
    from core.audit.writes import audited_delete
    from core.withdrawal import check_withdrawal

    administration = (
        PlannedAdministration.objects.select_for_update(of=("self",))
        .select_related("course__patient")
        .get(pk=record.pk)
    )
    check_patient_site(actor, administration.course.patient)
    reason = check_withdrawal(actor=actor, reason=reason, refusal=administration_withdraw_refusal(administration))
    if administration.unplanned:
        audited_delete(administration, actor=actor, reason=reason)
        return
    audited_update(
        administration,
        actor=actor,
        reason=DOSE_WITHDRAWN.format(reason=reason),
        status=AdministrationStatus.PENDING,
        given_at=None,
        dose_given=None,
        route_given="",
        deviation_reason="",
        recorded_by=None,
    )
