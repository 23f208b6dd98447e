from django.urls import path

from . import views

app_name = "safety"

urlpatterns = [
    path("flags/", views.flag_list, name="flags"),
    path("flags/<int:pk>/", views.flag_detail, name="flag-detail"),
    path("flags/<int:pk>/acknowledge/", views.flag_acknowledge, name="flag-acknowledge"),
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="flag-resolve"),
    path("flags/<int:pk>/dismiss/", views.flag_dismiss, name="flag-dismiss"),
]
