"""REST API of the patients app."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.errors import refuse_input
from core.api.fields import ChoiceField, HistoryUrlField, ReasonForChangeField
from core.api.viewsets import SelectorViewSetMixin
from core.api.withdraw import WithdrawActionMixin
from core.services import NOT_ALLOWED_TO_SIGN
from trial.models import ProtocolVersion, Site

from .. import selectors, services
from ..choices import PatientStatus, Sex
from ..models import PHI_FIELDS, Consent, Patient
from ..services import registration

PHI_INPUT_REFUSED = "Your role may not enter identifying data."


class PatientSerializer(serializers.ModelSerializer):
    """A patient. Identifying fields (name, MRN, date of birth) are left out for roles without PHI access."""

    site = serializers.SlugRelatedField(slug_field="code", read_only=True)
    protocol_version = serializers.SlugRelatedField(slug_field="code", read_only=True)
    history_url = HistoryUrlField()

    class Meta:
        model = Patient
        fields = [
            "id", "subject_id", "site", "sequence_number", "status", "protocol_version",
            "registration_date", "registered_with_waiver", "sex",
            *PHI_FIELDS, "history_url", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not request.user.has_perm("trial.view_phi"):
            for name in PHI_FIELDS:
                data.pop(name, None)
        return data


class PatientScreenSerializer(serializers.Serializer):
    site = serializers.SlugRelatedField(slug_field="code", queryset=Site.objects.all())
    sex = ChoiceField(choices=Sex.choices, required=False, allow_blank=True, default="")
    given_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    family_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    medical_record_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)


class PatientUpdateSerializer(serializers.Serializer):
    sex = ChoiceField(choices=Sex.choices, required=False, allow_blank=True)
    given_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    family_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    medical_record_number = serializers.CharField(required=False, allow_blank=True, max_length=30)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    reason = ReasonForChangeField()


class ConsentSerializer(serializers.ModelSerializer):
    obtained_by = serializers.CharField(source="obtained_by.signature_name", read_only=True)

    class Meta:
        model = Consent
        fields = ["id", "consent_date", "form_version", "obtained_by", "notes", "created_at"]
        read_only_fields = ["id", "obtained_by", "created_at"]


class RegisterSerializer(serializers.Serializer):
    registration_date = serializers.DateField()


class ScreenFailSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ProtocolVersionCorrectionSerializer(serializers.Serializer):
    protocol_version = serializers.SlugRelatedField(slug_field="code", queryset=ProtocolVersion.objects.all())
    reason = serializers.CharField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})


class PatientRegistrationActions:
    """Registration steps as actions on /api/v1/patients/{id}/…"""

    @extend_schema(request=RegisterSerializer, responses={200: PatientSerializer})
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        """Register the patient (sequence number and protocol version assigned); refused with per-criterion reasons."""
        return self.act(RegisterSerializer, registration.patient_register, patient=self.get_object())

    @extend_schema(request=ScreenFailSerializer, responses={200: PatientSerializer})
    @action(detail=True, methods=["post"], url_path="screen-fail")
    def screen_fail(self, request, pk=None):
        """Close the screening record: the patient will not be registered."""
        return self.act(ScreenFailSerializer, registration.patient_screen_fail, patient=self.get_object())

    @extend_schema(request=ProtocolVersionCorrectionSerializer, responses={200: PatientSerializer})
    @action(detail=True, methods=["post"], url_path="protocol-version-correction")
    def protocol_version_correction(self, request, pk=None):
        """An investigator's signed correction of the patient's protocol version (re-enter password)."""
        if not request.user.has_perm("core.sign_records"):
            self.permission_denied(request, message=NOT_ALLOWED_TO_SIGN)
        return self.act(
            ProtocolVersionCorrectionSerializer,
            registration.patient_protocol_version_correct,
            patient=self.get_object(),
        )

    @extend_schema(methods=["get"], responses=ConsentSerializer(many=True))
    @extend_schema(methods=["post"], request=ConsentSerializer, responses={201: ConsentSerializer})
    @action(detail=True, methods=["get", "post"])
    def consents(self, request, pk=None):
        """Consents the patient signed; POST records one (obtained by the caller)."""
        patient = self.get_object()
        if request.method == "POST":
            if not request.user.has_perm("patients.add_consent"):
                self.permission_denied(request)

            def record(values):
                return registration.consent_record(actor=request.user, patient=patient, **values)

            consent = record(self.parse(ConsentSerializer, record))
            return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)
        consents = patient.consents.select_related("obtained_by")
        return Response(ConsentSerializer(consents, many=True).data)


class PatientFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=PatientStatus.choices)
    protocol_version = filters.CharFilter(field_name="protocol_version__code")
    site = filters.CharFilter(field_name="site__code")
    subject_id = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Patient
        fields = ["status", "protocol_version", "site", "subject_id"]


class PatientViewSet(
    WithdrawActionMixin,
    PatientRegistrationActions,
    SelectorViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Patients of the caller's sites. Another site's patient answers 404."""

    serializer_class = PatientSerializer
    filterset_class = PatientFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    model = Patient
    list_selector = selectors.patient_list
    get_selector = selectors.patient_get

    def _refuse_phi_input(self):
        if not self.request.user.has_perm("trial.view_phi"):
            refuse_input(self.request.data, dict.fromkeys(PHI_FIELDS, PHI_INPUT_REFUSED))

    @extend_schema(request=PatientScreenSerializer, responses={201: PatientSerializer})
    def create(self, request, *args, **kwargs):
        self._refuse_phi_input()
        return self.act(PatientScreenSerializer, services.patient_screen, status.HTTP_201_CREATED)

    @extend_schema(request=PatientUpdateSerializer, responses={200: PatientSerializer})
    def partial_update(self, request, *args, **kwargs):
        patient = self.get_object()
        self._refuse_phi_input()
        return self.act(PatientUpdateSerializer, services.patient_update, partial=True, patient=patient)
