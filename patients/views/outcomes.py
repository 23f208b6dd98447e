"""Pages for outcomes after registration: allogeneic SCT (new, correct), off study, follow-up contact, death
(new, correct). Reads through ``patients.selectors`` (another site's record is a 404), writes through
``patients.services.outcomes``; a service's error comes back next to the field it names."""

from django.contrib.auth.decorators import login_required, permission_required
from django.urls import path

from ..forms.outcomes import (
    DeathEditForm,
    DeathForm,
    FollowUpForm,
    OffStudyForm,
    TransplantEditForm,
    TransplantForm,
)
from ..selectors import patient_get
from ..selectors.outcomes import death_get, transplant_get
from ..services import outcomes as services
from .common import patient_form_page


@login_required
@permission_required("patients.add_transplant", raise_exception=True)
def transplant_new(request, pk):
    patient = patient_get(request.user, pk)
    return patient_form_page(
        request,
        patient=patient,
        form=TransplantForm(request.POST or None),
        title="Record an allogeneic SCT",
        action="Save transplant",
        save=lambda data: services.transplant_record(actor=request.user, patient=patient, **data),
        success="Allogeneic SCT recorded.",
        intro="A planned transplant may have a future date; a transplant marked done may not.",
    )


@login_required
@permission_required("patients.change_transplant", raise_exception=True)
def transplant_edit(request, pk):
    transplant = transplant_get(request.user, pk)
    initial = {
        name: getattr(transplant, name)
        for name in ("status", "transplant_date", "donor_type", "conditioning_regimen", "conditioning_agents")
    }

    def save(data):
        reason = data.pop("reason")
        services.transplant_update(actor=request.user, transplant=transplant, reason=reason, **data)

    return patient_form_page(
        request,
        patient=transplant.patient,
        form=TransplantEditForm(request.POST or None, initial=initial),
        title="Correct the allogeneic SCT",
        action="Save correction",
        save=save,
        success="Transplant corrected.",
        record=transplant,
    )


@login_required
@permission_required("patients.add_offstudy", raise_exception=True)
def off_study_new(request, pk):
    patient = patient_get(request.user, pk)
    return patient_form_page(
        request,
        patient=patient,
        form=OffStudyForm(request.POST or None),
        title="Take off study",
        action="Take off study",
        save=lambda data: services.off_study_record(actor=request.user, patient=patient, **data),
        success="The patient is off study. Follow-up contacts, evaluations and death can still be recorded.",
        intro="The patient's status becomes off study: no further course can be started.",
    )


@login_required
@permission_required("patients.add_followup", raise_exception=True)
def follow_up_new(request, pk):
    patient = patient_get(request.user, pk)
    return patient_form_page(
        request,
        patient=patient,
        form=FollowUpForm(request.POST or None),
        title="Record a follow-up contact",
        action="Save follow-up",
        save=lambda data: services.follow_up_record(actor=request.user, patient=patient, **data),
        success="Follow-up contact recorded.",
        intro="The last date the patient is known alive censors overall and relapse-free survival.",
    )


@login_required
@permission_required("patients.add_death", raise_exception=True)
def death_new(request, pk):
    patient = patient_get(request.user, pk)
    return patient_form_page(
        request,
        patient=patient,
        form=DeathForm(request.POST or None),
        title="Record death",
        action="Save",
        save=lambda data: services.death_record(actor=request.user, patient=patient, **data),
        success="Death recorded.",
    )


@login_required
@permission_required("patients.change_death", raise_exception=True)
def death_edit(request, pk):
    death = death_get(request.user, pk)

    def save(data):
        reason = data.pop("reason")
        services.death_update(actor=request.user, death=death, reason=reason, **data)

    return patient_form_page(
        request,
        patient=death.patient,
        form=DeathEditForm(
            request.POST or None,
            initial={"death_date": death.death_date, "cause": death.cause, "cause_detail": death.cause_detail},
        ),
        title="Correct the death record",
        action="Save correction",
        save=save,
        success="Death record corrected.",
        record=death,
    )


urlpatterns = [
    path("<int:pk>/transplants/new/", transplant_new, name="transplant-new"),
    path("transplants/<int:pk>/edit/", transplant_edit, name="transplant-edit"),
    path("<int:pk>/off-study/new/", off_study_new, name="off-study-new"),
    path("<int:pk>/follow-ups/new/", follow_up_new, name="follow-up-new"),
    path("<int:pk>/death/new/", death_new, name="death-new"),
    path("deaths/<int:pk>/edit/", death_edit, name="death-edit"),
]
