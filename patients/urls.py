from django.urls import path

from .views import outcomes, registration
from .views import patient as views
from .views.baseline import baseline
from .views.eligibility import eligibility_detail, eligibility_edit, eligibility_new, eligibility_waive

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("screen/", views.patient_screen, name="screen"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/eligibility/new/", eligibility_new, name="eligibility-new"),
    path("<int:pk>/eligibility/<int:assessment_pk>/", eligibility_detail, name="eligibility-detail"),
    path("<int:pk>/eligibility/<int:assessment_pk>/edit/", eligibility_edit, name="eligibility-edit"),
    path("<int:pk>/eligibility/<int:assessment_pk>/waive/", eligibility_waive, name="eligibility-waive"),
    path("<int:pk>/baseline/", baseline, name="baseline"),
    *registration.urlpatterns,
    *outcomes.urlpatterns,
]
