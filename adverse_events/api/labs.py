"""REST API of lab values: each with its normal range, its CTCAE grade derived by the shipped rules and the AE a
grade of 3 or worse proposes (confirmed into an AE or dismissed with a reason), and the lab tests the rules grade.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import DERIVED_NOT_TYPED, refuse_input
from core.api.fields import DECIMAL_INPUT, ChoiceField
from core.api.filters import IdFilter
from core.api.pagination import DefaultCursorPagination
from core.api.permissions import ActionModelPermissions
from core.api.viewsets import SelectorViewSetMixin
from core.api.withdraw import WithdrawActionMixin
from patients.api.fields import SitePatientField

from .. import selectors, services
from ..choices import UnitSystem
from ..models import CTCAETerm, LabResult
from .events import AdverseEventSerializer, AEDetailsSerializer

FROM_GRADING = "The term and grade of a proposed AE come from the lab value's grading."
LAB_NOT_TYPED = dict.fromkeys(("grade", "proposal_status"), DERIVED_NOT_TYPED)
CONFIRM_NOT_TYPED = dict.fromkeys(("term", "meddra_code", "grade"), FROM_GRADING)


class LabResultSerializer(serializers.ModelSerializer):
    """A lab value with its normal range, its CTCAE grade (derived by the shipped rules; null when the rules
    cannot grade it) and the state of the AE it proposes (grade 3 or worse): proposed, confirmed or dismissed."""

    url = serializers.HyperlinkedIdentityField(view_name="lab-result-detail")
    subject_id = serializers.CharField(source="patient.subject_id", read_only=True)
    site = serializers.CharField(source="patient.site.code", read_only=True)
    adverse_event = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(source="recorded_by.signature_name", read_only=True)
    lab_test_name = serializers.CharField(read_only=True, help_text="The lab test as the nurse knows it.")
    lab_term = serializers.CharField(
        read_only=True, help_text="The CTCAE lab term the value is graded as, derived from the value."
    )

    class Meta:
        model = LabResult
        fields = [
            "id", "url", "patient", "subject_id", "site", "lab_test", "lab_test_name", "lab_term", "unit_system",
            "unit", "collected_on",
            "value", "lower_limit_normal", "upper_limit_normal", "baseline_value", "grade",
            "proposal_status", "proposal_note", "adverse_event", "recorded_by", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_adverse_event(self, obj) -> int | None:
        """The AE a confirmed proposal became (its id)."""
        return next((ae.pk for ae in obj.adverse_events.all()), None)


class LabResultRecordSerializer(serializers.Serializer):
    patient = SitePatientField()
    lab_test = serializers.CharField(
        required=False, help_text="The lab test's code, e.g. potassium (see /api/v1/lab-tests/)."
    )
    lab_term = serializers.CharField(
        required=False,
        help_text="Deprecated, instead of lab_test: a CTCAE lab term (Hypokalemia), read as its lab test (potassium); "
        "the term recorded is derived from the value.",
    )
    unit_system = ChoiceField(choices=UnitSystem.choices, required=False)
    unit = serializers.CharField(
        required=False, allow_blank=True, help_text="One of the lab test's units; empty: its only unit."
    )
    collected_on = serializers.DateField(help_text="Date the sample was taken (not in the future).")
    value = serializers.DecimalField(**DECIMAL_INPUT)
    lower_limit_normal = serializers.DecimalField(**DECIMAL_INPUT, required=False, allow_null=True)
    upper_limit_normal = serializers.DecimalField(**DECIMAL_INPUT, required=False, allow_null=True)
    baseline_value = serializers.DecimalField(
        **DECIMAL_INPUT, required=False, allow_null=True, help_text="The patient's baseline value of the test."
    )


class LabProposalConfirmSerializer(AEDetailsSerializer):
    """The AE a lab value proposes: its term and grade come from the grading; the reporter adds the rest."""

    onset_date = serializers.DateField(required=False, help_text="Default: the date the sample was taken.")


class LabProposalDismissSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True,
        error_messages={"required": services.DISMISS_REASON},
        help_text="Why this lab value is not an adverse event.",
    )


class LabResultFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id", help_text="Patient id.")

    class Meta:
        model = LabResult
        fields = ["patient"]


class LabResultPagination(DefaultCursorPagination):
    """The most recent sample first."""

    ordering = ("-collected_on", "-id")


class LabResultViewSet(
    WithdrawActionMixin,
    SelectorViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Lab values of the caller's sites (``?patient=<id>`` for one patient's), most recent first. Another site's
    value answers 404.

    POST records a value with its normal range; the CTCAE grade is derived, and a grade of 3 or worse proposes
    an AE — it never creates one. ``confirm`` turns the proposal into an AE (201, the AE); ``dismiss`` closes it
    with a reason.
    """

    serializer_class = LabResultSerializer
    filterset_class = LabResultFilter
    pagination_class = LabResultPagination
    permission_classes = [ActionModelPermissions]
    action_permissions = {
        "confirm": ["adverse_events.change_labresult", "adverse_events.add_adverseevent"],
        "dismiss": ["adverse_events.change_labresult"],
    }
    http_method_names = ["get", "post", "head", "options"]
    model = LabResult
    list_selector = selectors.lab_results_for
    get_selector = selectors.lab_result_get

    @extend_schema(request=LabResultRecordSerializer, responses={201: LabResultSerializer})
    def create(self, request, *args, **kwargs):
        refuse_input(request.data, LAB_NOT_TYPED)
        return self.act(LabResultRecordSerializer, services.lab_result_record, status.HTTP_201_CREATED)

    @extend_schema(request=LabProposalConfirmSerializer, responses={201: AdverseEventSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm the proposed AE: the term and grade come from the grading, the onset from the sample date."""
        lab_result = self.get_object()
        refuse_input(request.data, CONFIRM_NOT_TYPED)

        def confirm(values):
            return services.lab_proposal_confirm(actor=request.user, lab_result=lab_result, **values)

        ae = confirm(self.parse(LabProposalConfirmSerializer, confirm))
        fresh = selectors.ae_get(request.user, ae.pk)
        return Response(
            AdverseEventSerializer(fresh, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=LabProposalDismissSerializer, responses={200: LabResultSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Dismiss the proposed AE, saying why the value is not an adverse event."""
        return self.act(LabProposalDismissSerializer, services.lab_proposal_dismiss, lab_result=self.get_object())


class LabTestTermSerializer(serializers.Serializer):
    lab_term = serializers.CharField(help_text="The CTCAE lab-grading term, e.g. Hypokalemia.")
    direction = ChoiceField(
        choices=[("H", "high"), ("L", "low")], help_text="H: graded for high values; L: for low values."
    )
    ctcae_term = serializers.IntegerField(source="ctcae_term_id", help_text="The CTCAE term's id.")
    ctcae_term_name = serializers.CharField(source="ctcae_term")
    meddra_code = serializers.CharField()


class LabTestSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="What to send as lab_test, e.g. potassium.")
    name = serializers.CharField(help_text="The lab test as a nurse knows it, e.g. Potassium.")
    unit_system = ChoiceField(choices=UnitSystem.choices)
    units = serializers.ListField(
        child=serializers.CharField(allow_blank=True), help_text="The units it is recorded in (empty: no unit)."
    )
    label = serializers.CharField(help_text="Name with unit, as the lab picker shows it: Potassium (mmol/L).")
    terms = LabTestTermSerializer(
        many=True, help_text="The CTCAE terms a value is graded as (one per direction); the value decides which."
    )


class LabTestListView(APIView):
    """The lab tests a nurse records, one per analyte and unit system (Potassium (mmol/L), not one per
    direction), each with its units and the CTCAE terms its values are graded as by the shipped rules (latest
    CTCAE version). The term and grade of a value follow from the value. Not paginated."""

    def get_queryset(self):  # for the model permission: reading the CTCAE dictionary
        return CTCAETerm.objects.none()

    @extend_schema(responses=LabTestSerializer(many=True))
    def get(self, request):
        return Response(LabTestSerializer(selectors.lab_test_options(), many=True).data)
