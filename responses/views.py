"""The marrow-evaluation pages: recording and correcting an evaluation with its response derived live, an
evaluation's page, the patient's response history with endpoints and timeline, and the due list.

Every read goes through ``responses.selectors`` (scoped to the user's sites: another site's record is a 404)
and every write through ``responses.services``; a service's ValidationError comes back next to the field it names.
The response is never typed: the form's values are sent to :func:`assessment_preview` as they are typed (htmx),
and the same fragment is rendered by the server when the page is re-rendered (without JavaScript too).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from core.forms import render_form, submit
from dosing.models import Course
from dosing.selectors import courses_for
from patients.selectors import patient_get

from . import selectors, services
from .forms import RESPONSE_INPUTS, AssessmentEditForm, AssessmentForm

PREVIEW_PARAMETER = "show_response"  # the no-JavaScript "show the derived response" button


def _courses(user, patient):
    return courses_for(user, patient=patient).select_related("course_type")


def _preview(patient, form, *, editing=None):
    """The derived response of the form's values (bound) or of the saved evaluation (unbound edit form)."""
    if not form.is_bound:
        if editing is None:
            return None
        values = {name: getattr(editing, name) for name in RESPONSE_INPUTS}
        assessed_on = editing.assessed_on
    else:
        form.is_valid()
        values = {name: form.cleaned_data.get(name) for name in RESPONSE_INPUTS}
        assessed_on = form.cleaned_data.get("assessed_on") or (editing.assessed_on if editing else timezone.localdate())
    if any(values[name] is None for name in ("marrow_blast_percent", "neutrophils_1e9_per_l", "platelets_1e9_per_l")):
        return None
    return selectors.assessment_preview(
        patient,
        assessed_on=assessed_on,
        blasts=values["marrow_blast_percent"],
        neutrophils=values["neutrophils_1e9_per_l"],
        platelets=values["platelets_1e9_per_l"],
        extramedullary=bool(values["extramedullary_disease"]),
        blasts_due_to_recovery=bool(values["blasts_due_to_recovery"]),
        editing_pk=editing.pk if editing else None,
    )


@login_required
@permission_required("responses.add_marrowassessment", raise_exception=True)
def assessment_new(request, patient_pk):
    patient = patient_get(request.user, patient_pk)
    courses = _courses(request.user, patient)
    latest = courses.last()
    form = AssessmentForm(
        request.POST or None, courses=courses, initial={"assessed_on": timezone.localdate(), "after_course": latest}
    )
    blocked = None
    if not patient.is_followed:
        blocked = services.NOT_REGISTERED
    assessment = None
    if PREVIEW_PARAMETER not in request.POST:
        assessment = submit(
            form,
            lambda _data: services.assessment_record(actor=request.user, patient=patient, **form.service_arguments()),
        )
    if assessment is not None:
        messages.success(request, f"Marrow evaluation of {date_format(assessment.assessed_on, 'j M Y')} recorded.")
        return redirect("responses:assessment-detail", pk=assessment.pk)
    context = {"patient": patient, "form": form, "blocked": blocked, "preview": _preview(patient, form)}
    return render_form(request, "responses/assessment_form.html", context)


@login_required
@permission_required("responses.change_marrowassessment", raise_exception=True)
def assessment_edit(request, pk):
    assessment = selectors.assessment_get(request.user, pk)
    patient = assessment.patient
    form = AssessmentEditForm(
        request.POST or None,
        courses=_courses(request.user, patient),
        initial=model_to_dict(assessment, fields=AssessmentForm._meta.fields),
    )
    saved = None
    if PREVIEW_PARAMETER not in request.POST:
        saved = submit(
            form,
            lambda data: services.assessment_update(
                actor=request.user, assessment=assessment, reason=data["reason"], **form.service_arguments()
            ),
            record=assessment,
        )
    if saved is not None:
        messages.success(request, "Marrow evaluation saved; its derived response follows the values.")
        return redirect("responses:assessment-detail", pk=assessment.pk)
    context = {
        "patient": patient,
        "assessment": assessment,
        "form": form,
        "preview": _preview(patient, form, editing=assessment),
    }
    return render_form(request, "responses/assessment_form.html", context)


@login_required
@permission_required("responses.view_marrowassessment", raise_exception=True)
@require_POST
def assessment_preview(request, patient_pk):
    """The derived-response fragment for the values typed so far (the form posts here as it is filled in)."""
    patient = patient_get(request.user, patient_pk)
    editing = None
    editing_pk = request.GET.get("editing", "")
    if editing_pk:
        if not editing_pk.isdigit():
            raise Http404("No such evaluation")
        editing = get_object_or_404(selectors.assessments_for(request.user, patient=patient), pk=editing_pk)
    form = AssessmentForm(request.POST, courses=Course.objects.none())
    return render(
        request,
        "responses/_preview.html",
        {"patient": patient, "preview": _preview(patient, form, editing=editing), "typed": form.is_bound},
    )


def _outcome_of(assessment):
    outcome = selectors.patient_outcome(assessment.patient)
    history = outcome.history if outcome else []
    return outcome, next((o for o in history if o.evaluation.key == assessment.pk), None)


@login_required
@permission_required("responses.view_marrowassessment", raise_exception=True)
def assessment_detail(request, pk):
    assessment = selectors.assessment_get(request.user, pk)
    outcome, evaluation_outcome = _outcome_of(assessment)
    return render(
        request,
        "responses/assessment_detail.html",
        {
            "assessment": assessment,
            "patient": assessment.patient,
            "outcome": evaluation_outcome,
            "endpoints": outcome.endpoints if outcome else None,
            "record_label": assessment._meta.label_lower,
        },
    )


@login_required
@permission_required("responses.view_marrowassessment", raise_exception=True)
def patient_responses(request, patient_pk):
    patient = patient_get(request.user, patient_pk)
    outcome = selectors.patient_outcome(patient)
    rows = []
    if outcome is not None:
        courses = {c.pk: c for c in Course.objects.for_user(request.user).filter(patient=patient)}
        assessments = {a.pk: a for a in outcome.patient.marrow_assessments.all()}
        for o in outcome.history:
            assessment = assessments[o.evaluation.key]
            rows.append({"assessment": assessment, "outcome": o, "course": courses.get(assessment.after_course_id)})
    return render(
        request,
        "responses/patient_responses.html",
        {
            "patient": patient,
            "outcome": outcome,
            "endpoints": outcome.endpoints if outcome else None,
            "rows": rows,
            "timeline": selectors.patient_timeline(request.user, patient, outcome),
        },
    )


@login_required
@permission_required("responses.view_marrowassessment", raise_exception=True)
def due(request):
    today = timezone.localdate()
    rows = selectors.due_for_assessment(request.user, on=today)
    return render(
        request,
        "responses/due.html",
        {"rows": rows, "today": today, "overdue": sum(1 for r in rows if r.overdue)},
    )
