"""The nurse's dosing pages: course calendar and summary, worklist, recording doses, overrides, new courses.

Every read goes through ``dosing.selectors`` (scoped to the user's sites: another site's record is a 404)
and every write through ``dosing.services``; a service's ValidationError comes back next to the field it names.
"""

import re
import string
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.forms import render_form, submit
from core.models import Signature
from core.redirects import next_url
from patients.choices import PatientStatus
from patients.selectors import patient_get

from . import selectors, services
from .choices import AdministrationStatus
from .derivations.calendar import (
    ABSOLUTE_UNIT_TEXT,
    calendar_entry,
    course_calendar,
    course_deviations,
    course_summary,
    dose_text,
)
from .derivations.doses import given_per_m2, round_per_m2
from .forms import CourseRecomputeForm, CourseStartForm, DoseOverrideForm, DoseRecordForm, UnplannedDoseForm


def _message_pattern(template: str) -> re.Pattern:
    """A regular expression matching any message formatted from ``template``."""
    parts = []
    for literal, field_name, _spec, _conversion in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field_name is not None:
            parts.append(".*?")
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


OVER_MAXIMUM = _message_pattern(services.OVER_CUMULATIVE_MAXIMUM)


class _NotConfirmed(Exception):
    """Raised to roll back a dose that would raise a flag the nurse has not yet seen."""


def _cumulative(patient):
    return selectors.cumulative_doses_by_patient([patient])[patient.pk]


def _decimal_param(request, name):
    try:
        value = Decimal(request.GET.get(name, ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@login_required
@permission_required("dosing.view_course", raise_exception=True)
def patient_courses(request, patient_pk):
    patient = patient_get(request.user, patient_pk)
    return render(
        request,
        "dosing/patient_courses.html",
        {
            "patient": patient,
            "courses": selectors.courses_with_progress(request.user, patient=patient),
            "labels": selectors.course_labels(patient.protocol_version),
            "next_course": selectors.next_course_preview(patient),
            "cumulative": _cumulative(patient),
        },
    )


@login_required
@permission_required("dosing.add_course", raise_exception=True)
def course_start(request, patient_pk):
    patient = patient_get(request.user, patient_pk)
    preview = selectors.next_course_preview(patient)
    initial = {"start_date": timezone.localdate()}
    if preview.last_course:
        last = preview.last_course
        initial.update(height_cm=last.height_cm, weight_kg=last.weight_kg)
    form = CourseStartForm(request.POST or None, initial=initial, needs_dose_level=preview.needs_dose_level)
    blocked = None
    if patient.status != PatientStatus.REGISTERED or patient.protocol_version_id is None:
        blocked = services.NOT_REGISTERED
    elif preview.step is None:
        blocked = services.SEQUENCE_COMPLETE
    course = submit(form, lambda data: services.course_start(actor=request.user, patient=patient, **data))
    if course is not None:
        messages.success(
            request, f"Course {course.course_number} ({course.course_type.name}) started; its doses are planned."
        )
        return redirect("dosing:course-detail", pk=course.pk)
    return render_form(
        request,
        "dosing/course_start.html",
        {
            "patient": patient,
            "form": form,
            "next_course": preview,
            "blocked": blocked,
            "cumulative": _cumulative(patient),
        },
    )


@login_required
@permission_required("dosing.view_course", raise_exception=True)
def course_detail(request, pk):
    course = selectors.course_get(request.user, pk)
    administrations = list(course.administrations.all())
    today = timezone.localdate()
    patient = course.patient
    siblings = list(selectors.courses_for(request.user, patient=patient).values_list("pk", "course_number"))
    position = [number for _pk, number in siblings].index(course.course_number)
    return render(
        request,
        "dosing/course_detail.html",
        {
            "course": course,
            "patient": patient,
            "label": selectors.course_labels(patient.protocol_version).get(course.sequence_step, ""),
            "last_date": course.start_date + timedelta(days=course.course_type.length_days - 1),
            "calendar": course_calendar(course, administrations, today=today),
            "summary": course_summary(administrations, today=today),
            "replannable": any(
                a.status == AdministrationStatus.PENDING and a.dose_per_m2 is not None for a in administrations
            ),
            "deviations": course_deviations(administrations),
            "previous_pk": siblings[position - 1][0] if position > 0 else None,
            "next_pk": siblings[position + 1][0] if position + 1 < len(siblings) else None,
            "cumulative": _cumulative(patient),
        },
    )


@login_required
@permission_required("dosing.change_course", raise_exception=True)
def course_recompute(request, pk):
    course = selectors.course_get(request.user, pk)
    pending = [
        a
        for a in course.administrations.all()
        if a.status == AdministrationStatus.PENDING and a.dose_per_m2 is not None
    ]
    form = CourseRecomputeForm(
        request.POST or None, initial={"height_cm": course.height_cm, "weight_kg": course.weight_kg}
    )
    recomputed = submit(
        form, lambda data: services.course_recompute_bsa(actor=request.user, course=course, **data), record=course
    )
    if recomputed is not None:
        messages.success(
            request, f"BSA is now {recomputed.bsa_m2} m²: {len(pending)} dose(s) still to give were re-planned."
        )
        return redirect("dosing:course-detail", pk=recomputed.pk)
    return render_form(
        request,
        "dosing/course_recompute.html",
        {
            "course": course,
            "patient": course.patient,
            "form": form,
            "pending": pending,
            "cumulative": _cumulative(course.patient),
        },
    )


@login_required
@permission_required("dosing.change_plannedadministration", raise_exception=True)
def unplanned_dose_record(request, pk):
    """Record a dose the plan did not hold as given, with its reason (flagged as a deviation)."""
    course = selectors.course_get(request.user, pk)
    form = UnplannedDoseForm(
        request.POST or None,
        drugs=selectors.trial_drugs(course),
        initial={"given_at": timezone.localtime().replace(second=0, microsecond=0), "dose_unit": "mg"},
    )
    recorded = submit(form, lambda data: services.unplanned_dose_record(actor=request.user, course=course, **data))
    if recorded is not None:
        messages.success(
            request,
            f"Recorded: unplanned {recorded.drug.name} given on day {recorded.day}; it is flagged as a deviation.",
        )
        return redirect("dosing:course-detail", pk=course.pk)
    return render_form(
        request,
        "dosing/unplanned_dose.html",
        {"course": course, "patient": course.patient, "form": form, "cumulative": _cumulative(course.patient)},
    )


def _administration_context(administration, cumulative):
    """What the record and override pages show about the planned dose and the drug's cumulative total."""
    a = administration
    course = a.course
    tracked = next((line for line in cumulative if line["drug"].pk == a.drug_id), None)
    projected = None
    if tracked is not None and a.status == AdministrationStatus.PENDING and a.dose_per_m2 is not None:
        projected = tracked["total_per_m2"] + a.dose_per_m2
    window = None
    if a.window_before_days or a.window_after_days:
        window = (
            a.planned_date - timedelta(days=a.window_before_days),
            a.planned_date + timedelta(days=a.window_after_days),
        )
    overrides = list(a.overrides.select_related("authorised_by"))
    for override in overrides:
        override.signature = Signature.objects.for_record(override).order_by("-signed_at").first()
    return {
        "administration": a,
        "course": course,
        "patient": course.patient,
        "entry": calendar_entry(a, timezone.localdate()),
        "unit": ABSOLUTE_UNIT_TEXT.get(a.dose_unit, a.dose_unit),
        "planned_date_last": a.planned_date + timedelta(days=a.last_day - a.day) if a.last_day else None,
        "window": window,
        "tracked": tracked,
        "projected": projected,
        "overrides": overrides,
        "cumulative": cumulative,
    }


@login_required
@permission_required("dosing.change_plannedadministration", raise_exception=True)
def administration_record(request, pk):
    administration = selectors.administration_get(request.user, pk)
    course_url = reverse("dosing:course-detail", args=[administration.course_id])
    back = next_url(request, course_url)
    form = DoseRecordForm(
        request.POST or None, administration=administration, earlier_dose=selectors.earlier_dose_of_day(administration)
    )
    dose = _decimal_param(request, "dose")
    if not form.is_bound and dose is not None:
        form.initial["dose_given"] = dose
    flag = _flag_preview(administration, form)
    # Without JavaScript the warning comes as a confirmation step: a dose that would raise a flag is saved once
    # the nurse has seen the flag for this very amount (the re-displayed form carries it in ``confirm_flag``).
    # Until then the service runs and is rolled back, so its refusals (a missing reason, the cumulative
    # maximum) still come first.
    unconfirmed = flag is not None and form.cleaned_data.get("confirm_flag") != flag.dose_given

    def record(_data):
        with transaction.atomic():
            saved = services.dose_record(actor=request.user, administration=administration, **form.service_arguments())
            if unconfirmed:
                raise _NotConfirmed
        return saved

    try:
        recorded = submit(form, record)
    except _NotConfirmed:
        recorded = None
    if recorded is not None:
        what = f"{recorded.drug.name} {recorded.get_status_display().lower()}"
        if recorded.reduction_percent and form.cleaned_data.get("reduce_rest_of_course"):
            what += f"; later doses of this course reduced by {dose_text(recorded.reduction_percent)}%"
        messages.success(request, f"Recorded: {what} ({recorded.course.patient.subject_id}, day {recorded.day}).")
        return redirect(back)
    over_maximum = any(OVER_MAXIMUM.match(m) for m in form.errors.get("dose_given", []))
    context = _administration_context(administration, _cumulative(administration.course.patient))
    typed_dose = form.data.get("dose_given", "") if form.is_bound else ""
    context.update(
        {
            "form": form,
            "next": back if back != course_url else "",
            "over_maximum": over_maximum,
            "flag": flag,
            "confirm_needed": unconfirmed and not form.errors,
            "override_query": f"?dose={typed_dose}" if typed_dose else "",
        }
    )
    return render_form(request, "dosing/administration_record.html", context)


def _flag_preview(administration, form):
    """The flag the form's values would raise once saved (None for an unbound or invalid form)."""
    if not (form.is_bound and form.is_valid()):
        return None
    data = form.cleaned_data
    return selectors.dose_flag_preview(
        administration,
        status=data.get("status"),
        dose_given=data.get("dose_given"),
        reduce_rest_of_course=bool(data.get("reduce_rest_of_course")),
    )


@login_required
@permission_required("dosing.change_plannedadministration", raise_exception=True)
@require_POST
def administration_record_preview(request, pk):
    """The fragment naming the flag the typed values would raise (the record form posts here as it is filled in)."""
    administration = selectors.administration_get(request.user, pk)
    form = DoseRecordForm(request.POST, administration=administration)
    return render(
        request,
        "dosing/_dose_flag.html",
        {"flag": _flag_preview(administration, form), "form": form, "administration": administration},
    )


@login_required
@permission_required("core.sign_records", raise_exception=True)
def administration_override(request, pk):
    administration = selectors.administration_get(request.user, pk)
    dose = _decimal_param(request, "dose") or administration.planned_dose
    dose = Decimal(dose_text(dose)) if dose is not None else None
    form = DoseOverrideForm(request.POST or None, initial={"dose_given": dose}, administration=administration)
    override = submit(
        form, lambda data: services.dose_override_authorise(actor=request.user, administration=administration, **data)
    )
    if override is not None:
        given = form.cleaned_data["dose_given"]
        messages.success(
            request,
            f"Override signed for {dose_text(given)} of {administration.drug.name.lower()}: "
            "the dose can now be recorded.",
        )
        url = reverse("dosing:administration-record", args=[administration.pk])
        return redirect(f"{url}?dose={given}")
    context = _administration_context(administration, _cumulative(administration.course.patient))
    context["form"] = form
    typed = form.data.get("dose_given") if form.is_bound else dose
    try:
        typed = Decimal(typed) if typed not in (None, "") else None
    except InvalidOperation:
        typed = None
    if typed is not None and typed > 0 and context["tracked"] is not None:
        per_m2 = round_per_m2(
            given_per_m2(
                dose_given=typed,
                planned_dose=administration.planned_dose,
                dose_per_m2=administration.dose_per_m2,
                bsa=administration.course.bsa_m2,
            )
        )
        context["override_dose"] = {
            "dose": typed,
            "per_m2": per_m2,
            "total": context["tracked"]["total_per_m2"] + per_m2,
        }
    return render_form(request, "dosing/administration_override.html", context)


@login_required
@permission_required("dosing.view_plannedadministration", raise_exception=True)
def worklist(request):
    today = timezone.localdate()
    rows = list(selectors.worklist(request.user, on=today))
    patients = {a.course.patient_id: a.course.patient for a in rows}
    cumulative = selectors.cumulative_doses_by_patient(patients.values())
    days = []
    for planned_date, on_day in groupby(rows, key=lambda a: a.planned_date):
        groups = []
        for patient_id, doses in groupby(on_day, key=lambda a: a.course.patient_id):
            doses = list(doses)
            groups.append(
                {
                    "patient": patients[patient_id],
                    "cumulative": cumulative[patient_id],
                    "doses": [calendar_entry(a, today) for a in doses],
                }
            )
        days.append(
            {
                "date": planned_date,
                "overdue": planned_date < today,
                "days_late": (today - planned_date).days,
                "groups": groups,
                "count": sum(len(g["doses"]) for g in groups),
            }
        )
    return render(
        request,
        "dosing/worklist.html",
        {"days": days, "today": today, "total": len(rows), "here": request.get_full_path()},
    )
