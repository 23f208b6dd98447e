"""REST API of responses: bone-marrow evaluations with their derived response, and each patient's endpoints.

Serializers only parse types and choices; ``responses.services`` validates and writes, so the same bad
input gets the same message as from the form (ranges come from the model's ``full_clean``). The
response and relapse are derived from the patient's whole history by the protocol version's rules,
never entered. Endpoints come from :func:`responses.selectors.patient_endpoints`, the one place they
are computed. Another site's record or patient (id in the URL) answers 404.
"""

from django.db.models import Prefetch, prefetch_related_objects
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import refuse_input
from core.api.fields import DECIMAL_INPUT, ChoiceField, HistoryUrlField, ReasonForChangeField, SiteScopedPrimaryKeyField
from core.api.filters import IdFilter
from core.api.pagination import DefaultCursorPagination
from core.api.viewsets import SelectorViewSetMixin
from core.api.withdraw import WithdrawActionMixin
from dosing.models import Course
from patients.api.fields import SitePatientField
from patients.models import Patient
from patients.selectors import patient_get
from trial.choices import ResponseCategory

from . import selectors, services
from .choices import CytogeneticsResult, MRDResult
from .derivations import BEST_RESPONSE_LABELS, NO_RESPONSE_LABEL, Outcome
from .models import MarrowAssessment

NO_ENDPOINTS = "This patient is not registered: there are no endpoints yet."
DERIVED_NOT_TYPED = "The response and relapse are derived from the recorded values and cannot be entered."
ASSESSMENT_NOT_TYPED = dict.fromkeys(("response", "relapse"), DERIVED_NOT_TYPED)


def outcomes_by_assessment(assessments) -> dict[int, Outcome | None]:
    """The derived response of each of ``assessments``, keyed by id, in a fixed number of queries.

    Relapse depends on the evaluations before, so each patient's whole history is read (one prefetch for
    all the patients of the list) and derived once with one :class:`~responses.selectors.ProtocolReadings`.
    """
    assessments = list(assessments)
    prefetch_related_objects(
        assessments,
        Prefetch("patient__marrow_assessments", queryset=MarrowAssessment.objects.order_by("assessed_on", "id")),
    )
    readings = selectors.ProtocolReadings()
    found: dict[int, Outcome | None] = {}
    done = set()
    for assessment in assessments:
        if assessment.patient_id in done:
            continue
        done.add(assessment.patient_id)
        for outcome in selectors.history_of(assessment.patient, readings):
            found[outcome.evaluation.key] = outcome
    for assessment in assessments:
        found.setdefault(assessment.pk, None)  # a patient without a protocol version: nothing derived
    return found


# --- Output ---


class DerivedResponseSerializer(serializers.Serializer):
    category = ChoiceField(choices=ResponseCategory.choices)
    category_label = serializers.CharField(help_text="CR, CRp, CRi or No response.")
    label = serializers.CharField(help_text="The protocol version's definition that was met (or none).")


def _response_of(outcome: Outcome | None) -> dict | None:
    if outcome is None:
        return None
    return {
        "category": outcome.category,
        "category_label": ResponseCategory(outcome.category).label,
        "label": outcome.rule.label if outcome.rule else NO_RESPONSE_LABEL,
    }


class MarrowAssessmentListSerializer(serializers.ListSerializer):
    """Derives the responses of the whole list at once (query count independent of its length)."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        self.context["outcomes"] = outcomes_by_assessment(items)
        return super().to_representation(items)


class MarrowAssessmentSerializer(serializers.ModelSerializer):
    """A bone-marrow evaluation with its same-day counts, MRD and cytogenetics, and what is derived
    from them: the response (by the patient's protocol version's definitions) and whether it is the
    patient's relapse (the first evaluation after a response with leukaemic blasts above the protocol version's
    threshold, or extramedullary disease)."""

    url = serializers.HyperlinkedIdentityField(view_name="marrow-assessment-detail")
    subject_id = serializers.CharField(source="patient.subject_id", read_only=True)
    site = serializers.CharField(source="patient.site.code", read_only=True)
    after_course_number = serializers.IntegerField(source="after_course.course_number", read_only=True, default=None)
    recorded_by = serializers.CharField(source="recorded_by.signature_name", read_only=True)
    response = serializers.SerializerMethodField()
    relapse = serializers.SerializerMethodField()
    history_url = HistoryUrlField()

    class Meta:
        model = MarrowAssessment
        list_serializer_class = MarrowAssessmentListSerializer
        fields = [
            "id", "url", "patient", "subject_id", "site", "assessed_on", "after_course", "after_course_number",
            "marrow_blast_percent", "blasts_due_to_recovery", "extramedullary_disease",
            "neutrophils_1e9_per_l", "platelets_1e9_per_l", "mrd_flow", "mrd_flow_level", "mrd_ngs", "mrd_ngs_level",
            "cytogenetics", "response", "relapse", "recorded_by", "history_url", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _outcome(self, obj) -> Outcome | None:
        outcomes = self.context.get("outcomes") or {}
        if obj.pk not in outcomes:  # a single evaluation (retrieve, create, update)
            outcomes = self.context["outcomes"] = {**outcomes, **outcomes_by_assessment([obj])}
        return outcomes.get(obj.pk)

    @extend_schema_field(DerivedResponseSerializer(allow_null=True))
    def get_response(self, obj):
        return _response_of(self._outcome(obj))

    def get_relapse(self, obj) -> bool:
        outcome = self._outcome(obj)
        return bool(outcome and outcome.relapse)


class ResponseHistoryEntrySerializer(serializers.Serializer):
    assessment = serializers.IntegerField(source="evaluation.key", help_text="The marrow assessment's id.")
    assessed_on = serializers.DateField(source="evaluation.assessed_on")
    response = serializers.SerializerMethodField()
    relapse = serializers.BooleanField()

    @extend_schema_field(DerivedResponseSerializer)
    def get_response(self, outcome):
        return _response_of(outcome)


class PatientEndpointsSerializer(serializers.Serializer):
    """One patient's endpoints: OS from treatment start (first course) to death, censored at the last
    date known alive; RFS from the first response to relapse or death; early death within the protocol
    version's window of the treatment start; best response, MRD and cytogenetic response."""

    patient = serializers.IntegerField(source="patient.pk")
    subject_id = serializers.CharField(source="patient.subject_id")
    site = serializers.CharField(source="patient.site.code")
    sequence_number = serializers.IntegerField(source="patient.sequence_number")
    protocol_version = serializers.CharField(source="patient.protocol_version.code")
    treatment_start = serializers.DateField(
        source="endpoints.treatment_start", allow_null=True, help_text="Day 1 of course 1; null before treatment."
    )
    best_response = ChoiceField(
        source="endpoints.best_response",
        choices=list(BEST_RESPONSE_LABELS.items()),
        help_text="Best over all evaluations; early_death for an early death without response; "
        "not_evaluable before any evaluation.",
    )
    best_response_label = serializers.CharField(source="endpoints.best_response_label")
    responded = serializers.BooleanField(
        source="endpoints.responded", help_text="Reached CR, CRp or CRi (objective response)."
    )
    first_response_date = serializers.DateField(source="endpoints.first_response_date", allow_null=True)
    time_to_response_days = serializers.IntegerField(
        source="endpoints.time_to_response_days", allow_null=True, help_text="Days from treatment start."
    )
    mrd_negative_at_response = serializers.BooleanField(
        source="endpoints.mrd_negative_at_response",
        allow_null=True,
        help_text="Flow MRD at the first response; null if not done.",
    )
    mrd_negative_any_time = serializers.BooleanField(
        source="endpoints.mrd_negative_any_time", allow_null=True, help_text="Null if flow MRD was never done."
    )
    cytogenetic_response = serializers.BooleanField(
        source="endpoints.cytogenetic_response",
        allow_null=True,
        help_text="Karyotype normalised; null unless abnormal at baseline and tested after.",
    )
    relapse_date = serializers.DateField(source="endpoints.relapse_date", allow_null=True)
    death_date = serializers.DateField(source="endpoints.death_date", allow_null=True)
    early_death = serializers.BooleanField(source="endpoints.early_death")
    last_known_alive = serializers.DateField(
        source="endpoints.last_known_alive", allow_null=True, help_text="The death date for a patient who died."
    )
    os_days = serializers.IntegerField(source="endpoints.os_days", allow_null=True)
    os_event = serializers.BooleanField(source="endpoints.os_event", help_text="True: died; false: censored.")
    rfs_days = serializers.IntegerField(
        source="endpoints.rfs_days", allow_null=True, help_text="From the first response; null without a response."
    )
    rfs_event = serializers.BooleanField(
        source="endpoints.rfs_event", allow_null=True, help_text="True: relapsed or died; false: censored."
    )


class PatientEndpointsDetailSerializer(PatientEndpointsSerializer):
    history = ResponseHistoryEntrySerializer(many=True, help_text="Each evaluation by date with its derived response.")


# --- Input ---


def _values(required: bool) -> dict:
    optional = {"required": False}
    number = {**DECIMAL_INPUT, "required": required}
    return {
        "after_course": SiteScopedPrimaryKeyField(
            queryset=Course.objects.all(), allow_null=True, **optional, help_text="The course it follows (id)."
        ),
        "marrow_blast_percent": serializers.DecimalField(**number, help_text="Bone-marrow blasts (%)."),
        "blasts_due_to_recovery": serializers.BooleanField(
            **optional, help_text="Blasts above 5% attributed to a regenerating marrow."
        ),
        "extramedullary_disease": serializers.BooleanField(**optional),
        "neutrophils_1e9_per_l": serializers.DecimalField(**number, help_text="Neutrophils (×10⁹/L), same day."),
        "platelets_1e9_per_l": serializers.DecimalField(**number, help_text="Platelets (×10⁹/L), same day."),
        "mrd_flow": ChoiceField(
            choices=MRDResult.choices, required=required, help_text="Done or not, and the result: must be chosen."
        ),
        "mrd_flow_level": serializers.DecimalField(
            **DECIMAL_INPUT, allow_null=True, **optional, help_text="Fraction of cells; only when detected."
        ),
        "mrd_ngs": ChoiceField(
            choices=MRDResult.choices, required=required, help_text="Done or not, and the result: must be chosen."
        ),
        "mrd_ngs_level": serializers.DecimalField(
            **DECIMAL_INPUT, allow_null=True, **optional, help_text="Fraction of cells; only when detected."
        ),
        "cytogenetics": ChoiceField(
            choices=CytogeneticsResult.choices,
            required=required,
            help_text="Done or not, and the result: must be chosen.",
        ),
    }


AssessmentRecordSerializer = type(
    "AssessmentRecordSerializer",
    (serializers.Serializer,),
    {
        "patient": SitePatientField(),
        "assessed_on": serializers.DateField(help_text="Date of the marrow (not in the future)."),
        **_values(required=True),
    },
)

AssessmentUpdateSerializer = type(
    "AssessmentUpdateSerializer",
    (serializers.Serializer,),
    {
        "assessed_on": serializers.DateField(required=False),
        **_values(required=False),
        "reason": ReasonForChangeField(),
    },
)


# --- Views ---


class MarrowAssessmentFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id", help_text="Patient id.")
    site = filters.CharFilter(field_name="patient__site__code", help_text="Site code.")
    assessed_from = filters.DateFilter(field_name="assessed_on", lookup_expr="gte", help_text="On or after.")
    assessed_to = filters.DateFilter(field_name="assessed_on", lookup_expr="lte", help_text="On or before.")

    class Meta:
        model = MarrowAssessment
        fields = ["patient", "site", "assessed_from", "assessed_to"]


class AssessmentPagination(DefaultCursorPagination):
    """Evaluations by date."""

    ordering = ("assessed_on", "id")


class MarrowAssessmentViewSet(
    WithdrawActionMixin,
    SelectorViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Bone-marrow evaluations of the caller's sites (``?patient=<id>`` for one patient's), by date, each
    with its derived ``response`` and ``relapse``. Another site's evaluation answers 404.

    POST records an evaluation; PATCH corrects one (a changed saved value needs a ``reason``) and the
    derived response follows. Response and relapse cannot be entered.
    """

    serializer_class = MarrowAssessmentSerializer
    filterset_class = MarrowAssessmentFilter
    pagination_class = AssessmentPagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    model = MarrowAssessment
    list_selector = selectors.assessments_for
    get_selector = selectors.assessment_get

    @extend_schema(request=AssessmentRecordSerializer, responses={201: MarrowAssessmentSerializer})
    def create(self, request, *args, **kwargs):
        refuse_input(request.data, ASSESSMENT_NOT_TYPED)
        return self.act(AssessmentRecordSerializer, services.assessment_record, status.HTTP_201_CREATED)

    @extend_schema(request=AssessmentUpdateSerializer, responses={200: MarrowAssessmentSerializer})
    def partial_update(self, request, *args, **kwargs):
        assessment = self.get_object()
        refuse_input(request.data, ASSESSMENT_NOT_TYPED)
        return self.act(AssessmentUpdateSerializer, services.assessment_update, assessment=assessment)


class EndpointsFilter(filters.FilterSet):
    protocol_version = filters.CharFilter(field_name="protocol_version__code", help_text="Protocol version code.")
    site = filters.CharFilter(field_name="site__code", help_text="Site code.")

    class Meta:
        model = Patient
        fields = ["protocol_version", "site"]


class EndpointListView(generics.ListAPIView):
    """Endpoints of every registered patient (registered or since off study) of the caller's sites, in
    registration order — one row per patient, ready for survival analysis.

    A plain list, not paginated: statisticians take the whole cohort at once, and the read is a fixed
    number of queries whatever the number of patients. Filter with ``?protocol_version=`` and ``?site=``.
    """

    serializer_class = PatientEndpointsSerializer
    filterset_class = EndpointsFilter
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Patient.objects.none()
        return Patient.objects.for_user(self.request.user).followed()

    def list(self, request, *args, **kwargs):
        outcomes = selectors.patient_endpoints(self.filter_queryset(self.get_queryset()))
        return Response(self.get_serializer(outcomes, many=True).data)


class PatientEndpointsView(APIView):
    """One patient's endpoints with each evaluation's derived response. Another site's patient answers 404,
    as does a patient not (yet) registered."""

    def get_queryset(self):  # for the model permission: reading patients
        return Patient.objects.none()

    @extend_schema(responses=PatientEndpointsDetailSerializer)
    def get(self, request, pk):
        patient = patient_get(request.user, pk)
        outcome = selectors.patient_outcome(patient)
        if outcome is None:
            raise NotFound(NO_ENDPOINTS)
        return Response(PatientEndpointsDetailSerializer(outcome, context={"request": request}).data)
