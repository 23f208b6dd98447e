"""REST API of baseline characteristics, with the values derived from them."""

from django.core.exceptions import ValidationError
from django.db import models
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets

from core.api.errors import DERIVED_NOT_TYPED, refuse_input
from core.api.fields import DECIMAL_INPUT, ChoiceField, HistoryUrlField, ReasonForChangeField
from core.api.filters import IdFilter
from core.api.viewsets import SelectorViewSetMixin

from ..choices import SalvageStatus
from ..models import Baseline
from ..selectors import patient_get
from ..selectors.baseline import ProtocolThresholds, baseline_get_by_id, baseline_list, baseline_of, baseline_summary
from ..services.baseline import baseline_record
from ..validators import BASELINE_FIELDS

BASELINE_EXISTS = "This patient's baseline is already recorded: change it with PATCH (with a reason)."
BASELINE_NOT_TYPED = dict.fromkeys(
    ("salvage_status", "salvage_status_label", "high_risk_cytogenetics", "rituximab_indicated", "age_at_registration"),
    DERIVED_NOT_TYPED,
)


def _input_field(model_field):
    """A field that only parses the type; ranges and cross-field rules are the service's (same messages as the form)."""
    help_text = str(model_field.verbose_name)
    if model_field.choices:
        return ChoiceField(choices=model_field.choices, required=False, allow_blank=True, help_text=help_text)
    if isinstance(model_field, models.DecimalField):
        return serializers.DecimalField(**DECIMAL_INPUT, required=False, allow_null=True, help_text=help_text)
    if isinstance(model_field, models.IntegerField):
        return serializers.IntegerField(required=False, allow_null=True, help_text=help_text)
    if isinstance(model_field, models.BooleanField):
        return serializers.BooleanField(required=False, allow_null=True, help_text=help_text)
    return serializers.CharField(
        required=False, allow_blank=True, max_length=model_field.max_length, help_text=help_text
    )


BaselineValuesSerializer = type(
    "BaselineValuesSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "Baseline values; every field is optional and may be completed later.",
        **{name: _input_field(Baseline._meta.get_field(name)) for name in BASELINE_FIELDS},
    },
)


class BaselineCreateSerializer(BaselineValuesSerializer):
    patient = serializers.IntegerField(help_text="The patient's id (a patient of one of your sites).")


class BaselineUpdateSerializer(BaselineValuesSerializer):
    reason = ReasonForChangeField()


class BaselineSerializer(serializers.ModelSerializer):
    """A baseline with its derived values: salvage status, high-risk cytogenetics, rituximab
    indication (thresholds from the patient's protocol version) and age at registration."""

    subject_id = serializers.CharField(source="patient.subject_id", read_only=True)
    salvage_status = serializers.SerializerMethodField()
    salvage_status_label = serializers.SerializerMethodField()
    high_risk_cytogenetics = serializers.SerializerMethodField()
    rituximab_indicated = serializers.SerializerMethodField()
    age_at_registration = serializers.SerializerMethodField()
    history_url = HistoryUrlField()

    class Meta:
        model = Baseline
        fields = [
            "id", "patient", "subject_id", *BASELINE_FIELDS,
            "salvage_status", "salvage_status_label", "high_risk_cytogenetics", "rituximab_indicated",
            "age_at_registration", "history_url", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _summary(self, obj):
        if not hasattr(obj, "_summary"):
            thresholds = self.context.setdefault("thresholds", ProtocolThresholds())
            obj._summary = baseline_summary(obj.patient, obj, thresholds=thresholds)
        return obj._summary

    def get_salvage_status(self, obj) -> SalvageStatus | None:
        return self._summary(obj).salvage_status

    def get_salvage_status_label(self, obj) -> str:
        return self._summary(obj).salvage_status_label

    def get_high_risk_cytogenetics(self, obj) -> bool | None:
        return self._summary(obj).high_risk_cytogenetics

    def get_rituximab_indicated(self, obj) -> bool | None:
        return self._summary(obj).rituximab_indicated

    def get_age_at_registration(self, obj) -> int | None:
        return self._summary(obj).age_at_registration


class BaselineFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id")
    site = filters.CharFilter(field_name="patient__site__code")

    class Meta:
        model = Baseline
        fields = ["patient", "site"]


class BaselineViewSet(
    SelectorViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Baseline characteristics of the caller's sites' patients (``?patient=<id>`` for one patient).

    POST records a patient's baseline; PATCH changes fields of it (a saved value needs a
    ``reason``). Another site's patient or baseline answers 404. Errors are the same as the form's.
    """

    serializer_class = BaselineSerializer
    filterset_class = BaselineFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    model = Baseline
    list_selector = baseline_list
    get_selector = baseline_get_by_id

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "thresholds": ProtocolThresholds()}

    @extend_schema(request=BaselineCreateSerializer, responses={201: BaselineSerializer})
    def create(self, request, *args, **kwargs):
        refuse_input(request.data, BASELINE_NOT_TYPED)

        def create(values):
            values = dict(values)
            patient = patient_get(request.user, values.pop("patient"))
            if baseline_of(patient) is not None:
                raise ValidationError({"patient": BASELINE_EXISTS})
            return baseline_record(actor=request.user, patient=patient, **values)

        return self.respond(create(self.parse(BaselineCreateSerializer, create)), status.HTTP_201_CREATED)

    @extend_schema(request=BaselineUpdateSerializer, responses={200: BaselineSerializer})
    def partial_update(self, request, *args, **kwargs):
        baseline = self.get_object()
        refuse_input(request.data, BASELINE_NOT_TYPED)
        return self.act(BaselineUpdateSerializer, baseline_record, partial=True, patient=baseline.patient)
