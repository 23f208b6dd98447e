"""Pages of eligibility: enter the values, read the checklist and verdict, correct, waive."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.forms import render_form, submit
from core.selectors import signatures_for

from ..forms.eligibility import EligibilityAssessmentEditForm, EligibilityAssessmentForm, EligibilityWaiverForm
from ..selectors import patient_get
from ..selectors.eligibility import (
    ASSESSMENT_VALUE_FIELDS,
    assessment_get,
    assessments_for,
    current_protocol_version,
    eligibility_summary,
)
from ..services import eligibility as services


def _detail(request, assessment, *, waiver_form=None, status=200):
    summary = eligibility_summary(assessment)
    can_waive = request.user.has_perm("core.sign_records") and not summary.registration_allowed
    return render(
        request,
        "patients/eligibility_detail.html",
        {
            "patient": assessment.patient,
            "assessment": assessment,
            "summary": summary,
            "can_waive": can_waive,
            "waiver_form": waiver_form or (EligibilityWaiverForm() if can_waive else None),
            "signatures": signatures_for(assessment),
            "record_label": assessment._meta.label_lower,
            "other_assessments": assessments_for(request.user, assessment.patient).exclude(pk=assessment.pk),
        },
        status=status,
    )


@login_required
@permission_required("patients.view_eligibilityassessment", raise_exception=True)
def eligibility_detail(request, pk, assessment_pk):
    return _detail(request, assessment_get(request.user, pk, assessment_pk))


@login_required
@permission_required("patients.add_eligibilityassessment", raise_exception=True)
def eligibility_new(request, pk):
    patient = patient_get(request.user, pk)
    form = EligibilityAssessmentForm(request.POST or None)
    assessment = submit(
        form, lambda _data: services.eligibility_assess(actor=request.user, patient=patient, **form.values())
    )
    if assessment is not None:
        messages.success(request, "Eligibility assessment saved.")
        return redirect("patients:eligibility-detail", pk=patient.pk, assessment_pk=assessment.pk)
    version = patient.protocol_version or current_protocol_version(patient.site.trial)
    return render_form(
        request,
        "patients/eligibility_form.html",
        {"form": form, "patient": patient, "assessment": None, "protocol_version": version},
    )


@login_required
@permission_required("patients.change_eligibilityassessment", raise_exception=True)
def eligibility_edit(request, pk, assessment_pk):
    assessment = assessment_get(request.user, pk, assessment_pk)
    initial = {name: getattr(assessment, name) for name in ("assessed_on", *ASSESSMENT_VALUE_FIELDS)}
    form = EligibilityAssessmentEditForm(request.POST or None, initial=initial)
    saved = submit(
        form,
        lambda data: services.eligibility_update(
            actor=request.user, assessment=assessment, reason=data["reason"], **form.values()
        ),
    )
    if saved is not None:
        messages.success(request, "Changes saved.")
        return redirect("patients:eligibility-detail", pk=pk, assessment_pk=assessment.pk)
    return render_form(
        request,
        "patients/eligibility_form.html",
        {
            "form": form,
            "patient": assessment.patient,
            "assessment": assessment,
            "protocol_version": assessment.protocol_version,
            "waived": eligibility_summary(assessment).waived,
        },
    )


@login_required
@require_POST
@permission_required("patients.view_eligibilityassessment", raise_exception=True)
def eligibility_waive(request, pk, assessment_pk):
    """Sign a waiver; errors come back on the checklist page, next to the waiver's fields."""
    assessment = assessment_get(request.user, pk, assessment_pk)
    form = EligibilityWaiverForm(request.POST)
    waived = submit(
        form,
        lambda data: services.eligibility_waive(
            actor=request.user, assessment=assessment, reason=data["reason"], password=data["password"]
        ),
    )
    if waived is not None:
        messages.success(request, "Waiver signed: the patient may be registered.")
        return redirect("patients:eligibility-detail", pk=pk, assessment_pk=assessment.pk)
    return _detail(request, assessment, waiver_form=form, status=400)
