from django.urls import path

from . import observation_views, views

app_name = "adverse_events"

urlpatterns = [
    path("log/", views.log, name="log"),
    path("table3/", views.table3, name="table3"),
    path("terms/search/", views.term_search, name="term-search"),
    path("terms/<int:pk>/grades/", views.term_grades, name="term-grades"),
    path("patients/<int:patient_pk>/adverse-events/", views.patient_aes, name="patient-aes"),
    path("patients/<int:patient_pk>/adverse-events/new/", views.ae_new, name="ae-new"),
    path("patients/<int:patient_pk>/labs/", views.patient_labs, name="patient-labs"),
    path("patients/<int:patient_pk>/labs/new/", views.lab_new, name="lab-new"),
    path(
        "patients/<int:patient_pk>/observations/",
        observation_views.patient_observations,
        name="patient-observations",
    ),
    path("patients/<int:patient_pk>/observations/new/", observation_views.observation_new, name="observation-new"),
    path("labs/<int:pk>/confirm/", views.lab_confirm, name="lab-confirm"),
    path("labs/<int:pk>/dismiss/", views.lab_dismiss, name="lab-dismiss"),
    path("adverse-events/<int:pk>/", views.ae_detail, name="ae-detail"),
    path("adverse-events/<int:pk>/edit/", views.ae_edit, name="ae-edit"),
    path("adverse-events/<int:pk>/sae-report/", views.sae_report, name="sae-report"),
]
