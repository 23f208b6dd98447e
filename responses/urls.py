from django.urls import path

from . import views

app_name = "responses"

urlpatterns = [
    path("due/", views.due, name="due"),
    path("patients/<int:patient_pk>/responses/", views.patient_responses, name="patient-responses"),
    path("patients/<int:patient_pk>/assessments/new/", views.assessment_new, name="assessment-new"),
    path("assessments/preview/<int:patient_pk>/", views.assessment_preview, name="assessment-preview"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment-detail"),
    path("assessments/<int:pk>/edit/", views.assessment_edit, name="assessment-edit"),
]
