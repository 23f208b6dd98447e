from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from adverse_events.api.events import AdverseEventViewSet
from adverse_events.api.labs import LabResultViewSet, LabTestListView
from adverse_events.api.observations import ClinicalObservationViewSet
from adverse_events.api.terms import CTCAETermViewSet
from core.api.records import RecordHistoryView, RecordSignaturesView
from core.views import healthz
from dosing.api import AdministrationViewSet, CourseViewSet, PatientCumulativeDosesView
from exports.api import (
    DatasetCSVView,
    DatasetDetailView,
    DatasetListView,
    ExportJobDetailView,
    ExportJobDownloadView,
    ExportJobListView,
    StudyZipView,
)
from patients.api.baseline import BaselineViewSet
from patients.api.eligibility import EligibilityAssessmentViewSet
from patients.api.outcomes import DeathViewSet, FollowUpViewSet, OffStudyViewSet, TransplantViewSet
from patients.api.patient import PatientViewSet
from reports.api import CoxView, SafetySummaryView, SurvivalView, Table1View, Table2View, Table3View
from responses.api import EndpointListView, MarrowAssessmentViewSet, PatientEndpointsView
from safety.api import FlagViewSet, SafetyRuleListView
from trial.api import ProtocolVersionViewSet, SiteViewSet

router = DefaultRouter()
router.register("protocol-versions", ProtocolVersionViewSet, basename="protocol-version")
router.register("sites", SiteViewSet, basename="site")
router.register("patients", PatientViewSet, basename="patient")
router.register("eligibility-assessments", EligibilityAssessmentViewSet, basename="eligibility-assessment")
router.register("baselines", BaselineViewSet, basename="baseline")
router.register("courses", CourseViewSet, basename="course")
router.register("administrations", AdministrationViewSet, basename="administration")
router.register("marrow-assessments", MarrowAssessmentViewSet, basename="marrow-assessment")
router.register("transplants", TransplantViewSet, basename="transplant")
router.register("off-study", OffStudyViewSet, basename="off-study")
router.register("follow-ups", FollowUpViewSet, basename="follow-up")
router.register("deaths", DeathViewSet, basename="death")
router.register("ctcae-terms", CTCAETermViewSet, basename="ctcae-term")
router.register("adverse-events", AdverseEventViewSet, basename="adverse-event")
router.register("lab-results", LabResultViewSet, basename="lab-result")
router.register("clinical-observations", ClinicalObservationViewSet, basename="clinical-observation")
router.register("flags", FlagViewSet, basename="flag")

api_v1 = [
    path("", include(router.urls)),
    path(
        "patients/<int:pk>/cumulative-doses/",
        PatientCumulativeDosesView.as_view(),
        name="api-patient-cumulative-doses",
    ),
    path("patients/<int:pk>/endpoints/", PatientEndpointsView.as_view(), name="api-patient-endpoints"),
    path("endpoints/", EndpointListView.as_view(), name="api-endpoints"),
    path("lab-tests/", LabTestListView.as_view(), name="api-lab-tests"),
    path("safety-rules/", SafetyRuleListView.as_view(), name="api-safety-rules"),
    path("reports/table1/", Table1View.as_view(), name="api-reports-table1"),
    path("reports/table2/", Table2View.as_view(), name="api-reports-table2"),
    path("reports/table3/", Table3View.as_view(), name="api-reports-table3"),
    path("reports/safety/", SafetySummaryView.as_view(), name="api-reports-safety"),
    path("reports/survival/<str:endpoint>/", SurvivalView.as_view(), name="api-reports-survival"),
    path("reports/cox/<str:endpoint>/", CoxView.as_view(), name="api-reports-cox"),
    path("exports/", ExportJobListView.as_view(), name="api-export-jobs"),
    path("exports/<int:pk>/", ExportJobDetailView.as_view(), name="api-export-job"),
    path("exports/<int:pk>/download/", ExportJobDownloadView.as_view(), name="api-export-job-download"),
    path("exports/datasets/", DatasetListView.as_view(), name="api-export-datasets"),
    path("exports/study.zip", StudyZipView.as_view(), name="api-export-study-zip"),
    path("exports/datasets/<str:name>/", DatasetDetailView.as_view(), name="api-export-dataset"),
    path("exports/datasets/<str:name>/csv/", DatasetCSVView.as_view(), name="api-export-dataset-csv"),
    path("records/<str:label>/<int:pk>/history/", RecordHistoryView.as_view(), name="api-record-history"),
    path("records/<str:label>/<int:pk>/signatures/", RecordSignaturesView.as_view(), name="api-record-signatures"),
]

admin.site.site_header = "NCT01371630 trial administration"

urlpatterns = [
    path("", include("trial.urls")),
    path("", include("core.urls")),
    path("patients/", include("patients.urls")),
    path("dosing/", include("dosing.urls")),
    path("responses/", include("responses.urls")),
    path("adverse-events/", include("adverse_events.urls")),
    path("safety/", include("safety.urls")),
    path("reports/", include("reports.urls")),
    path("exports/", include("exports.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI sets inline styles on its own elements; scripts stay 'self'-only.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]

handler404 = "core.api.errors.not_found"
handler500 = "core.api.errors.server_error"
