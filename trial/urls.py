from django.urls import path

from . import views

app_name = "trial"

urlpatterns = [
    path("", views.home, name="home"),
    path("protocol/", views.protocol, name="protocol"),
]
