from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from patients.api import PatientViewSet
from trial.api import ProtocolVersionViewSet, RecordHistoryView, RecordSignaturesView, SiteViewSet
from trial.views import healthz

router = DefaultRouter()
router.register("protocol-versions", ProtocolVersionViewSet, basename="protocol-version")
router.register("sites", SiteViewSet, basename="site")
router.register("patients", PatientViewSet, basename="patient")

api_v1 = [
    path("", include(router.urls)),
    path("records/<str:label>/<int:pk>/history/", RecordHistoryView.as_view(), name="api-record-history"),
    path("records/<str:label>/<int:pk>/signatures/", RecordSignaturesView.as_view(), name="api-record-signatures"),
]

admin.site.site_header = "NCT01371630 trial administration"

urlpatterns = [
    path("", include("trial.urls")),
    path("patients/", include("patients.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
