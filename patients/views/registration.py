"""Pages for consent, registration, screen failure and protocol-version correction."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone

from core.forms import render_form, submit

from ..forms.registration import ConsentForm, ProtocolVersionCorrectionForm, RegistrationForm, ScreenFailForm
from ..selectors import patient_get
from ..selectors.eligibility import eligibility_summary, latest_assessment
from ..selectors.registration import next_sequence_number, protocol_version_for
from ..services import registration as services
from .common import patient_record_page

consent_new = patient_record_page(
    permission="patients.add_consent",
    form_class=ConsentForm,
    service=services.consent_record,
    title="Record consent",
    action="Save consent",
    success="Consent recorded.",
)


@login_required
@permission_required("patients.change_patient", raise_exception=True)
def patient_register(request, pk):
    patient = patient_get(request.user, pk)
    form = RegistrationForm(request.POST or None)
    valid = form.is_bound and form.is_valid()
    registration_date = form.cleaned_data["registration_date"] if valid else timezone.localdate()
    assessment = latest_assessment(patient)
    context = {
        "patient": patient,
        "form": form,
        "assessment": assessment,
        "summary": eligibility_summary(assessment) if assessment else None,
        "blockers": services.registration_blockers(patient, registration_date, assessment),
        "consents": patient.consents.all(),
    }
    registered = submit(
        form,
        lambda _data: services.patient_register(
            actor=request.user, patient=patient, registration_date=registration_date
        ),
    )
    if registered is not None:
        messages.success(
            request,
            f"{registered.subject_id} registered as patient #{registered.sequence_number} "
            f"on the {registered.protocol_version.name} protocol.",
        )
        return redirect("patients:detail", pk=registered.pk)
    if not valid:
        trial = patient.site.trial
        context["preview_sequence"] = next_sequence_number(trial)
        context["preview_version"] = protocol_version_for(
            trial, sequence_number=context["preview_sequence"], registration_date=registration_date
        )
    return render_form(request, "patients/register.html", context)


patient_screen_fail = patient_record_page(
    permission="patients.change_patient",
    form_class=ScreenFailForm,
    service=services.patient_screen_fail,
    title="Close screening (not registered)",
    action="Close screening",
    success="Screening closed: the patient will not be registered.",
)
protocol_version_correct = patient_record_page(
    permission="core.sign_records",
    form_class=ProtocolVersionCorrectionForm,
    service=services.patient_protocol_version_correct,
    title="Correct the protocol version (signed)",
    action="Sign and correct",
    success="Protocol version corrected and signed.",
)


urlpatterns = [
    path("<int:pk>/consent/new/", consent_new, name="consent-new"),
    path("<int:pk>/register/", patient_register, name="register"),
    path("<int:pk>/screen-fail/", patient_screen_fail, name="screen-fail"),
    path("<int:pk>/protocol-version/", protocol_version_correct, name="protocol-version-correct"),
]
