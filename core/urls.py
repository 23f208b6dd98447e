from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("records/<str:label>/<int:pk>/history/", views.record_history, name="record-history"),
    path("records/<str:label>/<int:pk>/sign/", views.record_sign, name="record-sign"),
    path("records/<str:label>/<int:pk>/withdraw/", views.record_withdraw_page, name="withdraw"),
]
