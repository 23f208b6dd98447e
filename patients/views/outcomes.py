"""Pages for outcomes after registration: allogeneic SCT (new, correct), off study, follow-up contact, death
(new, correct). Reads through ``patients.selectors`` (another site's record is a 404), writes through
``patients.services.outcomes``; a service's error comes back next to the field it names."""

from django.urls import path

from ..forms.outcomes import (
    DeathEditForm,
    DeathForm,
    FollowUpForm,
    OffStudyForm,
    TransplantEditForm,
    TransplantForm,
)
from ..selectors.outcomes import death_get, transplant_get
from ..services import outcomes as services
from .common import correction_page, patient_record_page

transplant_new = patient_record_page(
    permission="patients.add_transplant",
    form_class=TransplantForm,
    service=services.transplant_record,
    title="Record an allogeneic SCT",
    action="Save transplant",
    success="Allogeneic SCT recorded.",
    intro="A planned transplant may have a future date; a transplant marked done may not.",
)
transplant_edit = correction_page(
    permission="patients.change_transplant",
    get=transplant_get,
    form_class=TransplantEditForm,
    fields=("status", "transplant_date", "donor_type", "conditioning_regimen", "conditioning_agents"),
    service=services.transplant_update,
    title="Correct the allogeneic SCT",
    success="Transplant corrected.",
)
off_study_new = patient_record_page(
    permission="patients.add_offstudy",
    form_class=OffStudyForm,
    service=services.off_study_record,
    title="Take off study",
    action="Take off study",
    success="The patient is off study. Follow-up contacts, evaluations and death can still be recorded.",
    intro="The patient's status becomes off study: no further course can be started.",
)
follow_up_new = patient_record_page(
    permission="patients.add_followup",
    form_class=FollowUpForm,
    service=services.follow_up_record,
    title="Record a follow-up contact",
    action="Save follow-up",
    success="Follow-up contact recorded.",
    intro="The last date the patient is known alive censors overall and relapse-free survival.",
)
death_new = patient_record_page(
    permission="patients.add_death",
    form_class=DeathForm,
    service=services.death_record,
    title="Record death",
    action="Save",
    success="Death recorded.",
)
death_edit = correction_page(
    permission="patients.change_death",
    get=death_get,
    form_class=DeathEditForm,
    fields=("death_date", "cause", "cause_detail"),
    service=services.death_update,
    title="Correct the death record",
    success="Death record corrected.",
)


urlpatterns = [
    path("<int:pk>/transplants/new/", transplant_new, name="transplant-new"),
    path("transplants/<int:pk>/edit/", transplant_edit, name="transplant-edit"),
    path("<int:pk>/off-study/new/", off_study_new, name="off-study-new"),
    path("<int:pk>/follow-ups/new/", follow_up_new, name="follow-up-new"),
    path("<int:pk>/death/new/", death_new, name="death-new"),
    path("deaths/<int:pk>/edit/", death_edit, name="death-edit"),
]
