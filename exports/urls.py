from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.index, name="index"),
    path("study.zip", views.study_zip, name="study-zip"),
    path("<str:name>.csv", views.dataset_csv, name="dataset-csv"),
    path("<str:name>/", views.dataset, name="dataset"),
    path("<str:name>/dictionary.csv", views.dataset_dictionary, name="dataset-dictionary"),
]
