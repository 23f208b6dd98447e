"""REST API of eligibility: assessments with their derived checklist, corrections and waivers.

Input goes through the same services as the pages, so the same bad input gets the same message:
plausible ranges come from the model (the service's ``full_clean``), not from these serializers.
"""

from datetime import date
from decimal import Decimal

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated

from core.api.fields import ChoiceField, HistoryUrlField, ReasonForChangeField
from core.api.filters import IdFilter
from core.api.viewsets import SelectorViewSetMixin

from ..choices import Diagnosis, DiseaseStatus, PosNeg
from ..forms.eligibility import PASSWORD_REQUIRED
from ..models import EligibilityAssessment
from ..selectors.eligibility import (
    ASSESSMENT_VALUE_FIELDS,
    assessment_get_by_id,
    assessments_for,
    eligibility_summary,
)
from ..services.eligibility import (
    WAIVER_REASON_REQUIRED,
    eligibility_assess,
    eligibility_update,
    eligibility_waive,
)
from .fields import SitePatientField


class CriterionResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    text = serializers.CharField()
    requirement = serializers.CharField(help_text='What must hold to be eligible, e.g. "≤ 1.95 mg/dL".')
    value = serializers.JSONField(help_text="The value read (numbers as text, dates as YYYY-MM-DD); null if missing.")
    value_display = serializers.CharField()
    status = ChoiceField(choices=["met", "not_met", "missing"])


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return None if value == "" else value


class EligibilityAssessmentSerializer(serializers.ModelSerializer):
    """An assessment: the values recorded, each criterion's result, and whether registration may go ahead."""

    subject_id = serializers.CharField(source="patient.subject_id", read_only=True)
    protocol_version = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assessed_by = serializers.CharField(source="assessed_by.signature_name", read_only=True)
    results = serializers.SerializerMethodField()
    all_met = serializers.SerializerMethodField()
    waived = serializers.SerializerMethodField()
    registration_allowed = serializers.SerializerMethodField()
    history_url = HistoryUrlField()

    class Meta:
        model = EligibilityAssessment
        fields = [
            "id", "patient", "subject_id", "protocol_version", "assessed_on", "assessed_by",
            *ASSESSMENT_VALUE_FIELDS, "waiver_reason",
            "results", "all_met", "waived", "registration_allowed", "history_url", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _summary(self, obj):
        if getattr(obj, "_summary_cache", None) is None:
            obj._summary_cache = eligibility_summary(obj)
        return obj._summary_cache

    @extend_schema_field(CriterionResultSerializer(many=True))
    def get_results(self, obj) -> list[dict]:
        return [
            {
                "code": line.criterion.code,
                "kind": line.criterion.kind,
                "text": line.criterion.text,
                "requirement": line.requirement,
                "value": _json_value(line.result.value),
                "value_display": line.value_display,
                "status": line.status,
            }
            for line in self._summary(obj).lines
        ]

    def get_all_met(self, obj) -> bool:
        return self._summary(obj).all_met

    def get_waived(self, obj) -> bool:
        return self._summary(obj).waived

    def get_registration_allowed(self, obj) -> bool:
        return self._summary(obj).registration_allowed


def _value_fields():
    """Input fields for the recorded values: types and choices only (ranges are the model's, via the service)."""
    blank_choice = {"required": False, "allow_blank": True}
    return {
        "diagnosis": ChoiceField(choices=Diagnosis.choices, **blank_choice),
        "disease_status": ChoiceField(choices=DiseaseStatus.choices, **blank_choice),
        "ph_status": ChoiceField(choices=PosNeg.choices, **blank_choice),
        "cd22_status": ChoiceField(choices=PosNeg.choices, **blank_choice),
        "ecog": serializers.IntegerField(required=False, allow_null=True),
        "ejection_fraction_percent": serializers.DecimalField(
            max_digits=5, decimal_places=2, required=False, allow_null=True
        ),
        "bilirubin_mg_dl": serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True),
        "creatinine_mg_dl": serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True),
        "uncontrolled_infection": serializers.BooleanField(required=False, allow_null=True),
        "nyha_class": serializers.IntegerField(required=False, allow_null=True),
        "second_active_malignancy": serializers.BooleanField(required=False, allow_null=True),
    }


class EligibilityValuesSerializer(serializers.Serializer):
    assessed_on = serializers.DateField()

    def get_fields(self):
        fields = super().get_fields()
        fields.update(_value_fields())
        return fields


class EligibilityCreateSerializer(EligibilityValuesSerializer):
    patient = SitePatientField(help_text="The patient's id (a patient of one of your sites).")


class EligibilityUpdateSerializer(EligibilityValuesSerializer):
    reason = ReasonForChangeField()


class EligibilityWaiveSerializer(serializers.Serializer):
    reason = serializers.CharField(
        error_messages={"required": WAIVER_REASON_REQUIRED, "blank": WAIVER_REASON_REQUIRED},
        help_text="Why registration is allowed although criteria are not met or missing.",
    )
    password = serializers.CharField(
        trim_whitespace=False,
        error_messages={"required": PASSWORD_REQUIRED, "blank": PASSWORD_REQUIRED},
        help_text="Your password, re-entered to sign (meaning: waiver).",
    )


class EligibilityAssessmentFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id", help_text="Patient id.")

    class Meta:
        model = EligibilityAssessment
        fields = ["patient"]


class EligibilityAssessmentViewSet(
    SelectorViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Eligibility assessments of the caller's sites (``?patient=<id>`` for one patient). Another site's answers 404.

    Each carries its checklist: every criterion of the protocol version with the value read and
    met / not_met / missing, and whether registration may go ahead (all met, or a signed waiver).
    """

    serializer_class = EligibilityAssessmentSerializer
    filterset_class = EligibilityAssessmentFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    model = EligibilityAssessment
    list_selector = assessments_for
    get_selector = assessment_get_by_id

    def get_permissions(self):
        if self.action == "waive":
            return [IsAuthenticated()]  # the service decides: an investigator of the patient's site
        return super().get_permissions()

    @extend_schema(request=EligibilityCreateSerializer, responses={201: EligibilityAssessmentSerializer})
    def create(self, request, *args, **kwargs):
        return self.act(EligibilityCreateSerializer, eligibility_assess, status.HTTP_201_CREATED)

    @extend_schema(request=EligibilityUpdateSerializer, responses={200: EligibilityAssessmentSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.act(EligibilityUpdateSerializer, eligibility_update, partial=True, assessment=self.get_object())

    @extend_schema(request=EligibilityWaiveSerializer, responses={200: EligibilityAssessmentSerializer})
    @action(detail=True, methods=["post"])
    def waive(self, request, *args, **kwargs):
        """An investigator waives the criteria not met or missing: reason and password (signature meaning: waiver)."""
        return self.act(EligibilityWaiveSerializer, eligibility_waive, assessment=self.get_object())
