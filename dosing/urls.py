from django.urls import path

from . import views

app_name = "dosing"

urlpatterns = [
    path("worklist/", views.worklist, name="worklist"),
    path("patients/<int:patient_pk>/courses/", views.patient_courses, name="patient-courses"),
    path("patients/<int:patient_pk>/courses/new/", views.course_start, name="course-start"),
    path("courses/<int:pk>/", views.course_detail, name="course-detail"),
    path("courses/<int:pk>/recompute/", views.course_recompute, name="course-recompute"),
    path("courses/<int:pk>/unplanned-dose/", views.unplanned_dose_record, name="unplanned-dose-record"),
    path("administrations/<int:pk>/record/", views.administration_record, name="administration-record"),
    path(
        "administrations/<int:pk>/record/preview/",
        views.administration_record_preview,
        name="administration-record-preview",
    ),
    path("administrations/<int:pk>/override/", views.administration_override, name="administration-override"),
]
