from django.urls import path

from . import views

app_name = "trial"

urlpatterns = [
    path("", views.home, name="home"),
    path("protocol/", views.protocol, name="protocol"),
    path("accounts/set-password/<uidb64>/<token>/", views.PasswordSetView.as_view(), name="password-set"),
    path("accounts/set-password/done/", views.password_set_done, name="password-set-done"),
]
