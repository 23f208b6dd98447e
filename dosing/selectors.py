"""Reads of the dosing app, always scoped to the user's sites."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from trial.protocol import parameter_value

from .calculations import given_per_m2
from .choices import AdministrationStatus
from .models import Course, PlannedAdministration


def courses_for(user, *, patient=None):
    qs = Course.objects.for_user(user).select_related("patient__site", "course_type", "patient__protocol_version")
    if patient is not None:
        qs = qs.filter(patient=patient)
    return qs.order_by("patient_id", "course_number")


def course_get(user, pk) -> Course:
    """One course of the user's sites, with its administrations; another site's course is a 404."""
    administrations = PlannedAdministration.objects.select_related("drug", "regimen_item").order_by(
        "day", "drug__name", "dose_number"
    )
    return get_object_or_404(
        courses_for(user).prefetch_related(Prefetch("administrations", queryset=administrations)), pk=pk
    )


def administrations_for(user, *, course=None, patient=None, status=None):
    qs = PlannedAdministration.objects.for_user(user).select_related(
        "drug", "course__patient__site", "course__course_type", "recorded_by"
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
    return sum(
        (
            given_per_m2(
                dose_given=a.dose_given, planned_dose=a.planned_dose, dose_per_m2=a.dose_per_m2, bsa=a.course.bsa_m2
            )
            for a in given
        ),
        Decimal(0),
    )


def cumulative_doses(patient):
    """Per tracked drug (one with a protocol cumulative maximum): total given per m², maximum and what remains."""
    version = patient.protocol_version
    totals: dict[int, Decimal] = defaultdict(Decimal)
    drugs = {}
    rows = (
        PlannedAdministration.objects.filter(course__patient=patient)
        .exclude(drug__cumulative_limit_parameter="")
        .select_related("drug", "course")
    )
    for a in rows:
        drugs[a.drug_id] = a.drug
        if a.status == AdministrationStatus.GIVEN and a.dose_given is not None:
            totals[a.drug_id] += given_per_m2(
                dose_given=a.dose_given, planned_dose=a.planned_dose, dose_per_m2=a.dose_per_m2, bsa=a.course.bsa_m2
            )
    result = []
    for drug_id, drug in sorted(drugs.items(), key=lambda kv: kv[1].name):
        maximum = parameter_value(version, drug.cumulative_limit_parameter) if version else None
        total = totals[drug_id].quantize(Decimal("0.0001"))
        result.append(
            {
                "drug": drug,
                "total_per_m2": total,
                "maximum_per_m2": maximum,
                "remaining_per_m2": (maximum - total) if maximum is not None else None,
            }
        )
    return result


def override_get(user, pk):
    from .models import DoseOverride

    return get_object_or_404(DoseOverride.objects.for_user(user).select_related("administration__drug"), pk=pk)
