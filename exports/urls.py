from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.index, name="index"),
    path("study.zip", views.study_zip, name="study-zip"),
    path("jobs/", views.job_start, name="job-start"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job-progress"),
    path("jobs/<int:pk>/download/", views.job_download, name="job-download"),
    path("jobs/<int:pk>/manifest.json", views.job_manifest, name="job-manifest"),
    path("<str:name>.csv", views.dataset_csv, name="dataset-csv"),
    path("<str:name>/", views.dataset, name="dataset"),
    path("<str:name>/dictionary.csv", views.dataset_dictionary, name="dataset-dictionary"),
]
