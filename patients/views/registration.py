"""Pages for consent, registration, screen failure and protocol-version correction."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from core.forms import add_service_errors

from ..forms.registration import ConsentForm, ProtocolVersionCorrectionForm, RegistrationForm, ScreenFailForm
from ..selectors import patient_get
from ..selectors.eligibility import eligibility_summary, latest_assessment
from ..selectors.registration import next_sequence_number, protocol_version_for
from ..services import registration as services
from .common import patient_form_page


@login_required
@permission_required("patients.add_consent", raise_exception=True)
def consent_new(request, pk):
    patient = patient_get(request.user, pk)
    form = ConsentForm(request.POST or None)
    return patient_form_page(
        request,
        patient=patient,
        form=form,
        title="Record consent",
        action="Save consent",
        save=lambda data: services.consent_record(actor=request.user, patient=patient, **data),
        success="Consent recorded.",
    )


@login_required
@permission_required("patients.change_patient", raise_exception=True)
def patient_register(request, pk):
    patient = patient_get(request.user, pk)
    form = RegistrationForm(request.POST or None)
    registration_date = timezone.localdate()
    if form.is_bound and form.is_valid():
        registration_date = form.cleaned_data["registration_date"]
    assessment = latest_assessment(patient)
    context = {
        "patient": patient,
        "form": form,
        "assessment": assessment,
        "summary": eligibility_summary(assessment) if assessment else None,
        "blockers": services.registration_blockers(patient, registration_date, assessment),
        "consents": patient.consents.all(),
    }
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_register(
                actor=request.user, patient=patient, registration_date=registration_date
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{patient.subject_id} registered as patient #{patient.sequence_number} "
                f"on the {patient.protocol_version.name} protocol.",
            )
            return redirect("patients:detail", pk=patient.pk)
    else:
        trial = patient.site.trial
        context["preview_sequence"] = next_sequence_number(trial)
        context["preview_version"] = protocol_version_for(
            trial, sequence_number=context["preview_sequence"], registration_date=registration_date
        )
    return render(request, "patients/register.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("patients.change_patient", raise_exception=True)
def patient_screen_fail(request, pk):
    patient = patient_get(request.user, pk)
    form = ScreenFailForm(request.POST or None)
    return patient_form_page(
        request,
        patient=patient,
        form=form,
        title="Close screening (not registered)",
        action="Close screening",
        save=lambda data: services.patient_screen_fail(actor=request.user, patient=patient, **data),
        success="Screening closed: the patient will not be registered.",
    )


@login_required
@permission_required("core.sign_records", raise_exception=True)
def protocol_version_correct(request, pk):
    patient = patient_get(request.user, pk)
    form = ProtocolVersionCorrectionForm(request.POST or None)
    return patient_form_page(
        request,
        patient=patient,
        form=form,
        title="Correct the protocol version (signed)",
        action="Sign and correct",
        save=lambda data: services.patient_protocol_version_correct(actor=request.user, patient=patient, **data),
        success="Protocol version corrected and signed.",
    )


urlpatterns = [
    path("<int:pk>/consent/new/", consent_new, name="consent-new"),
    path("<int:pk>/register/", patient_register, name="register"),
    path("<int:pk>/screen-fail/", patient_screen_fail, name="screen-fail"),
    path("<int:pk>/protocol-version/", protocol_version_correct, name="protocol-version-correct"),
]
