from django.urls import path

from .views import patient as views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("screen/", views.patient_screen, name="screen"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
]
