"""Reads of the dosing app, scoped to the user's sites; the ``*_of(patient_id)`` reads are for work that runs
without a user (rule evaluations, sweeps), whose results reach a user only through scoped reads."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.formatting import plain_number
from trial.choices import DoseLevel
from trial.models import Drug, ProtocolParameter, RegimenItem
from trial.selectors import PlannedCourse, planned_courses

from .choices import AdministrationStatus
from .derivations.doses import (
    DOSE_OFF_PLAN_FLAG,
    DOSE_OFF_PLAN_TITLE,
    DOSE_TOLERANCE_PARAMETER,
    cumulative_given_per_m2,
    given_per_m2,
    percent_off_plan,
    round_per_m2,
)
from .models import Course, PlannedAdministration


def courses_for(user, *, patient=None):
    qs = Course.objects.for_user(user).select_related(
        "patient__site", "course_type", "patient__protocol_version", "started_by"
    )
    if patient is not None:
        qs = qs.filter(patient=patient)
    return qs.order_by("patient_id", "course_number")


def course_get(user, pk) -> Course:
    """One course of the user's sites, with its administrations; another site's course is a 404."""
    administrations = PlannedAdministration.objects.select_related("drug", "regimen_item", "recorded_by").order_by(
        "day", "drug__name", "dose_number"
    )
    return get_object_or_404(
        courses_for(user).prefetch_related(Prefetch("administrations", queryset=administrations)), pk=pk
    )


def administrations_for(user, *, course=None, patient=None, status=None):
    qs = PlannedAdministration.objects.for_user(user).select_related(
        "drug", "regimen_item", "course__patient__site", "course__course_type", "recorded_by"
    )
    if course is not None:
        qs = qs.filter(course=course)
    if patient is not None:
        qs = qs.filter(course__patient=patient)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("planned_date", "course_id", "day", "dose_number", "id")


def administration_get(user, pk) -> PlannedAdministration:
    return get_object_or_404(administrations_for(user), pk=pk)


def trial_drugs(course):
    """The drugs of the course's trial, by name (what an unplanned dose may be)."""
    return Drug.objects.filter(trial_id=course.course_type.protocol_version.trial_id).order_by("name")


def earlier_dose_of_day(administration) -> PlannedAdministration | None:
    """The latest dose given before this one of the same drug, course day and regimen item (q12h)."""
    if administration.dose_number <= 1:
        return None
    return (
        PlannedAdministration.objects.filter(
            course_id=administration.course_id,
            regimen_item_id=administration.regimen_item_id,
            day=administration.day,
            dose_number__lt=administration.dose_number,
            status=AdministrationStatus.GIVEN,
            given_at__isnull=False,
        )
        .order_by("-dose_number")
        .first()
    )


@dataclass(frozen=True)
class DoseFlag:
    """The deviation flag a dose about to be recorded would raise (shown on the form before saving)."""

    code: str
    title: str
    message: str
    dose_given: Decimal
    offers_reduction: bool


def dose_flag_preview(administration, *, status, dose_given, reduce_rest_of_course) -> DoseFlag | None:
    """The DEV-02 flag recording ``dose_given`` would raise: more than the protocol's tolerance off the planned
    dose with no reduction recorded (the same :func:`percent_off_plan` the safety rule uses); None otherwise."""
    if status != AdministrationStatus.GIVEN or dose_given is None or reduce_rest_of_course:
        return None
    if administration.planned_dose is None or dose_given <= 0:
        return None
    version = administration.course.patient.protocol_version
    tolerance = ProtocolParameter.objects.filter(protocol_version=version, key=DOSE_TOLERANCE_PARAMETER).values_list(
        "value", flat=True
    )
    tolerance = next(iter(tolerance), None)
    if tolerance is None:
        return None
    off = percent_off_plan(
        planned_dose=administration.planned_dose,
        dose_given=dose_given,
        reduction_percent=administration.reduction_percent,
        tolerance_percent=tolerance,
    )
    if off is None:
        return None
    unit = administration.get_dose_unit_display()
    return DoseFlag(
        code=DOSE_OFF_PLAN_FLAG,
        title=DOSE_OFF_PLAN_TITLE,
        message=(
            f"{plain_number(dose_given)} {unit} instead of {plain_number(administration.planned_dose)} {unit} is "
            f"{plain_number(round(off, 1))}% off plan (more than {plain_number(tolerance)}%) with no dose reduction "
            "recorded."
        ),
        dose_given=dose_given,
        offers_reduction=dose_given < administration.planned_dose,
    )


def worklist(user, *, on=None):
    """Administrations still to record, due today or overdue, across the user's sites (with dose periods started)."""
    on = on or timezone.localdate()
    return (
        administrations_for(user, status=AdministrationStatus.PENDING)
        .filter(planned_date__lte=on)
        .filter(Q(planned_dose__isnull=False) | Q(last_day__isnull=True))
        .order_by("planned_date", "course__patient__subject_id", "day", "drug__name", "dose_number")
    )


def cumulative_per_m2(patient, drug) -> Decimal:
    """The per-m² total of ``drug`` given to ``patient`` so far (e.g. cumulative inotuzumab, mg/m²)."""
    given = PlannedAdministration.objects.filter(
        course__patient=patient, drug=drug, status=AdministrationStatus.GIVEN, dose_given__isnull=False
    ).select_related("course")
    return cumulative_given_per_m2(given)


def cumulative_doses(patient):
    """Per tracked drug (one with a protocol cumulative maximum): total given per m², maximum and what remains."""
    return cumulative_doses_by_patient([patient])[patient.pk]


def override_get(user, pk):
    from .models import DoseOverride

    return get_object_or_404(DoseOverride.objects.for_user(user).select_related("administration__drug"), pk=pk)


def cumulative_doses_by_patient(patients) -> dict[int, list[dict]]:
    """:func:`cumulative_doses` for many patients in a fixed number of queries (worklist, course pages).

    Every drug of the patients' trial with a protocol cumulative maximum is listed, given yet or not,
    with the parameter's unit; patients are keyed by id.
    """
    patients = list(patients)
    if not patients:
        return {}
    drugs = list(
        Drug.objects.exclude(cumulative_limit_parameter="")
        .filter(trial__sites__in={p.site_id for p in patients})
        .distinct()
        .order_by("name")
    )
    limits = {
        (row.protocol_version_id, row.key): row
        for row in ProtocolParameter.objects.filter(
            protocol_version_id__in={p.protocol_version_id for p in patients if p.protocol_version_id},
            key__in={d.cumulative_limit_parameter for d in drugs},
        )
    }
    totals: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    given = PlannedAdministration.objects.filter(
        course__patient__in=[p.pk for p in patients],
        drug__in=drugs,
        status=AdministrationStatus.GIVEN,
        dose_given__isnull=False,
    ).values_list("course__patient_id", "drug_id", "dose_given", "planned_dose", "dose_per_m2", "course__bsa_m2")
    for patient_id, drug_id, dose_given, planned_dose, dose_per_m2, bsa in given:
        totals[patient_id, drug_id] += given_per_m2(
            dose_given=dose_given, planned_dose=planned_dose, dose_per_m2=dose_per_m2, bsa=bsa
        )
    result = {}
    for patient in patients:
        lines = []
        for drug in drugs:
            limit = limits.get((patient.protocol_version_id, drug.cumulative_limit_parameter))
            maximum = limit.value if limit else None
            total = round_per_m2(totals[patient.pk, drug.pk])
            lines.append(
                {
                    "drug": drug,
                    "total_per_m2": total,
                    "maximum_per_m2": maximum,
                    "remaining_per_m2": (maximum - total) if maximum is not None else None,
                    "unit": limit.unit if limit else "",
                }
            )
        result[patient.pk] = lines
    return result


@dataclass(frozen=True)
class NextCourse:
    """What :func:`dosing.services.course_start` would start next for a patient (without early maintenance)."""

    course_number: int
    step: PlannedCourse | None  # None once every planned course has been started
    last_course: Course | None
    needs_dose_level: bool


def next_course_preview(patient) -> NextCourse:
    """The patient's next course: its number, the planned step (type, label) and whether a dose level is needed."""
    last = Course.objects.filter(patient=patient).order_by("-course_number").first()
    number = last.course_number + 1 if last else 1
    if patient.protocol_version_id is None:
        return NextCourse(number, None, last, False)
    position = last.sequence_step if last else 0
    step = next((s for s in planned_courses(patient.protocol_version) if s.course_number > position), None)
    needs_level = False
    if step is not None:
        alternatives = RegimenItem.objects.filter(
            protocol_version_id=patient.protocol_version_id, course_type=step.course_type
        ).exclude(dose_level=DoseLevel.STANDARD)
        needs_level = any(
            (item.course_number_min is None or item.course_number_min <= step.course_number)
            and (item.course_number_max is None or step.course_number <= item.course_number_max)
            and (item.type_ordinal_min is None or item.type_ordinal_min <= step.type_ordinal)
            and (item.type_ordinal_max is None or step.type_ordinal <= item.type_ordinal_max)
            for item in alternatives
        )
    return NextCourse(number, step, last, needs_level)


def course_labels(version) -> dict[int, str]:
    """The protocol version's label of each planned course ("Induction", "Consolidation 1", …), by sequence step."""
    if version is None:
        return {}
    return {step.course_number: step.label for step in planned_courses(version)}


def courses_with_progress(user, *, patient):
    """The patient's courses of the user's sites, each with counts of its doses by state."""
    today = timezone.localdate()
    status = "administrations__status"
    return courses_for(user, patient=patient).annotate(
        doses_given=Count("administrations", filter=Q(**{status: AdministrationStatus.GIVEN})),
        doses_reduced=Count(
            "administrations",
            filter=Q(**{status: AdministrationStatus.GIVEN})
            & (
                Q(administrations__reduction_percent__isnull=False)
                | Q(administrations__dose_given__lt=F("administrations__planned_dose"))
            ),
        ),
        doses_held=Count("administrations", filter=Q(**{status: AdministrationStatus.HELD})),
        doses_omitted=Count("administrations", filter=Q(**{status: AdministrationStatus.OMITTED})),
        doses_pending=Count("administrations", filter=Q(**{status: AdministrationStatus.PENDING})),
        doses_overdue=Count(
            "administrations",
            filter=Q(**{status: AdministrationStatus.PENDING})
            & Q(administrations__planned_date__lt=today)
            & (Q(administrations__planned_dose__isnull=False) | Q(administrations__last_day__isnull=True)),
        ),
    )


# --- By patient id, for work that runs without a user ---------------------------------------------------


def courses_of(patient_id: int) -> list[Course]:
    """The patient's courses in order, with their course type and its protocol version (one query)."""
    return list(
        Course.objects.filter(patient_id=patient_id)
        .select_related("course_type__protocol_version")
        .order_by("course_number")
    )


def administrations_of(patient_id: int) -> list[PlannedAdministration]:
    """Every planned administration of the patient's courses, in planned order, with drug, regimen item and
    course type (one query)."""
    return list(
        PlannedAdministration.objects.filter(course__patient_id=patient_id)
        .select_related("drug", "regimen_item", "course__course_type")
        .order_by("planned_date", "day", "dose_number", "id")
    )
