"""The clinical-observation pages: record a patient's weight, hepatomegaly and ascites on a date (the bedside
findings the SOS criteria read), and the patient's observations. Reads through ``adverse_events.selectors``, the
write through ``adverse_events.services.clinical_observation_record`` (its errors come back next to the field)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from core.forms import render_form, submit
from patients.selectors import patient_get

from .. import selectors, services
from ..forms import ClinicalObservationForm


def _observations_url(patient):
    return reverse("adverse_events:patient-observations", args=[patient.pk])


@login_required
@permission_required("adverse_events.add_clinicalobservation", raise_exception=True)
def observation_new(request, patient_pk):
    patient = patient_get(request.user, patient_pk)
    form = ClinicalObservationForm(request.POST or None, initial={"observed_on": timezone.localdate()})
    saved = submit(form, lambda data: services.clinical_observation_record(actor=request.user, patient=patient, **data))
    if saved is not None:
        messages.success(request, f"Clinical observation of {saved.observed_on:%-d %b %Y} recorded.")
        return redirect(f"{_observations_url(patient)}#observation-{saved.pk}")
    blocked = None if patient.is_followed else services.NOT_REGISTERED
    return render_form(
        request, "adverse_events/observation_form.html", {"patient": patient, "form": form, "blocked": blocked}
    )


@login_required
@permission_required("adverse_events.view_clinicalobservation", raise_exception=True)
def patient_observations(request, patient_pk):
    patient = patient_get(request.user, patient_pk)
    return render(
        request,
        "adverse_events/patient_observations.html",
        {
            "patient": patient,
            "observations": selectors.patient_clinical_observations(request.user, patient),
            "can_record": patient.is_followed,
        },
    )
