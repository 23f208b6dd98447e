from django.urls import path

from .views import events, observations

app_name = "adverse_events"

urlpatterns = [
    path("log/", events.log, name="log"),
    path("terms/search/", events.term_search, name="term-search"),
    path("terms/<int:pk>/grades/", events.term_grades, name="term-grades"),
    path("patients/<int:patient_pk>/adverse-events/", events.patient_aes, name="patient-aes"),
    path("patients/<int:patient_pk>/adverse-events/new/", events.ae_new, name="ae-new"),
    path("patients/<int:patient_pk>/labs/", events.patient_labs, name="patient-labs"),
    path("patients/<int:patient_pk>/labs/new/", events.lab_new, name="lab-new"),
    path(
        "patients/<int:patient_pk>/observations/",
        observations.patient_observations,
        name="patient-observations",
    ),
    path("patients/<int:patient_pk>/observations/new/", observations.observation_new, name="observation-new"),
    path("labs/<int:pk>/confirm/", events.lab_confirm, name="lab-confirm"),
    path("labs/<int:pk>/dismiss/", events.lab_dismiss, name="lab-dismiss"),
    path("adverse-events/<int:pk>/", events.ae_detail, name="ae-detail"),
    path("adverse-events/<int:pk>/edit/", events.ae_edit, name="ae-edit"),
    path("adverse-events/<int:pk>/sae-report/", events.sae_report, name="sae-report"),
]
