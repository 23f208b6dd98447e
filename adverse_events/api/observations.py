"""REST API of clinical observations: a patient's weight, hepatomegaly and ascites on a date, the bedside findings
the SOS criteria read (with a bilirubin ≥ 2 mg/dL, two of them within 7 days raise a possible-SOS flag).

Recorded through ``adverse_events.services.clinical_observation_record`` (same rules and messages as the form);
another site's record (id in the URL) answers 404, another site's patient in the body is a 400 naming ``patient``.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets

from core.api.fields import DECIMAL_INPUT, HistoryUrlField
from core.api.filters import IdFilter
from core.api.pagination import DefaultCursorPagination
from core.api.permissions import ActionModelPermissions
from core.api.viewsets import SelectorViewSetMixin
from core.api.withdraw import WithdrawActionMixin
from patients.api.fields import SitePatientField

from .. import selectors, services
from ..models import ClinicalObservation


class ClinicalObservationSerializer(serializers.ModelSerializer):
    """A clinical observation: null for a finding not assessed, false for one looked for and absent."""

    url = serializers.HyperlinkedIdentityField(view_name="clinical-observation-detail")
    subject_id = serializers.CharField(source="patient.subject_id", read_only=True)
    site = serializers.CharField(source="patient.site.code", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.signature_name", read_only=True)
    history_url = HistoryUrlField()

    class Meta:
        model = ClinicalObservation
        fields = [
            "id", "url", "patient", "subject_id", "site", "observed_on", "weight_kg", "hepatomegaly", "ascites",
            "recorded_by", "history_url", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ClinicalObservationRecordSerializer(serializers.Serializer):
    patient = SitePatientField()
    observed_on = serializers.DateField(help_text="Date of the observation (not in the future).")
    weight_kg = serializers.DecimalField(
        **DECIMAL_INPUT, required=False, allow_null=True, help_text="Body weight in kg (25–300)."
    )
    hepatomegaly = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Tender, enlarged liver (null: not assessed)."
    )
    ascites = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="Null: not assessed.")


class ClinicalObservationFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id", help_text="Patient id.")

    class Meta:
        model = ClinicalObservation
        fields = ["patient"]


class ClinicalObservationPagination(DefaultCursorPagination):
    """The most recent observation first."""

    ordering = ("-observed_on", "-id")


class ClinicalObservationViewSet(
    WithdrawActionMixin,
    SelectorViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Clinical observations of the caller's sites (``?patient=<id>`` for one patient's), most recent first.

    POST records one: at least one finding (weight, hepatomegaly, ascites), a date not in the future, a plausible
    weight; every problem is answered at once. The safety rules re-evaluate the patient after the write.
    """

    serializer_class = ClinicalObservationSerializer
    filterset_class = ClinicalObservationFilter
    pagination_class = ClinicalObservationPagination
    permission_classes = [ActionModelPermissions]
    http_method_names = ["get", "post", "head", "options"]
    model = ClinicalObservation
    list_selector = selectors.clinical_observations_for
    get_selector = selectors.clinical_observation_get

    @extend_schema(request=ClinicalObservationRecordSerializer, responses={201: ClinicalObservationSerializer})
    def create(self, request, *args, **kwargs):
        return self.act(
            ClinicalObservationRecordSerializer, services.clinical_observation_record, status.HTTP_201_CREATED
        )
