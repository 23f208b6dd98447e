"""REST API of dosing: courses with their planned doses, recording what was given, cumulative totals.

Serializers only parse types and choices; the services validate and write, so the same bad input
gets the same message here as from the service behind the form. Ids in the URL of another site's record answer 404;
an unknown id in the body is a 400 naming the field.
"""

from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from core.api.fields import DECIMAL_INPUT, AwareDateTimeField, ChoiceField, HistoryUrlField, SignaturesUrlField
from core.api.filters import IdFilter
from core.api.pagination import DefaultCursorPagination
from core.api.permissions import ActionModelPermissions, RoleModelPermissions
from core.api.viewsets import SelectorViewSetMixin
from core.api.withdraw import WithdrawActionMixin
from core.services import NOT_ALLOWED_TO_SIGN
from patients.api.fields import SitePatientField
from patients.selectors import patient_get
from trial.choices import DoseLevel, Route
from trial.models import Drug

from . import selectors, services
from .choices import RECORDED_STATUSES, AdministrationStatus, DoseAmountUnit
from .derivations.doses import PER_M2_DECIMALS
from .models import Course, DoseOverride, PlannedAdministration

# --- Output ---


class AdministrationInCourseSerializer(serializers.ModelSerializer):
    """A planned dose (or a planned period for an infusion or a daily oral drug) and what was recorded for it."""

    drug = serializers.SlugRelatedField(slug_field="code", read_only=True)
    drug_name = serializers.CharField(source="drug.name", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.signature_name", read_only=True, allow_null=True)
    url = serializers.HyperlinkedIdentityField(view_name="administration-detail")
    history_url = HistoryUrlField()

    class Meta:
        model = PlannedAdministration
        fields = [
            "id", "url", "drug", "drug_name", "day", "last_day", "dose_number", "planned_date",
            "planned_dose", "dose_unit", "dose_per_m2", "doses_per_day", "route",
            "window_before_days", "window_after_days", "hold_days", "reduction_percent",
            "status", "given_at", "dose_given", "route_given", "deviation_reason", "recorded_by", "unplanned",
            "history_url", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "planned_dose": {"help_text": "Absolute amount to give, in dose_unit (per-m² doses × the course's BSA)."},
            "dose_given": {"help_text": "Amount given, in dose_unit."},
        }


class AdministrationSerializer(AdministrationInCourseSerializer):
    """A planned dose with its course and patient."""

    patient = serializers.IntegerField(source="course.patient_id", read_only=True)
    subject_id = serializers.CharField(source="course.patient.subject_id", read_only=True)
    course_number = serializers.IntegerField(source="course.course_number", read_only=True)

    class Meta(AdministrationInCourseSerializer.Meta):
        fields = [
            *AdministrationInCourseSerializer.Meta.fields[:2],
            "course", "course_number", "patient", "subject_id",
            *AdministrationInCourseSerializer.Meta.fields[2:],
        ]  # fmt: skip
        read_only_fields = fields


class CourseSerializer(serializers.ModelSerializer):
    """A treatment course: its place in the protocol version's sequence, start date and body size."""

    subject_id = serializers.CharField(source="patient.subject_id", read_only=True)
    protocol_version = serializers.CharField(source="patient.protocol_version.code", read_only=True)
    course_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    course_type_name = serializers.CharField(source="course_type.name", read_only=True)
    started_by = serializers.CharField(source="started_by.signature_name", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="course-detail")
    administrations_url = serializers.SerializerMethodField()
    history_url = HistoryUrlField()

    class Meta:
        model = Course
        fields = [
            "id", "url", "patient", "subject_id", "protocol_version", "course_number", "sequence_step",
            "course_type", "course_type_name", "type_ordinal", "start_date", "height_cm", "weight_kg", "bsa_m2",
            "inotuzumab_dose_level", "early_maintenance_reason", "started_by",
            "administrations_url", "history_url", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_administrations_url(self, obj) -> str:
        url = reverse("administration-list", request=self.context.get("request"))
        return f"{url}?course={obj.pk}"


class CourseDetailSerializer(CourseSerializer):
    """A course with every planned dose of it, in course-day order."""

    administrations = AdministrationInCourseSerializer(many=True, read_only=True)

    class Meta(CourseSerializer.Meta):
        fields = [*CourseSerializer.Meta.fields, "administrations"]
        read_only_fields = fields


class DoseOverrideSerializer(serializers.ModelSerializer):
    """An investigator's signed authorisation to go past a drug's cumulative maximum (per m²)."""

    authorised_by = serializers.CharField(source="authorised_by.signature_name", read_only=True)
    signatures_url = SignaturesUrlField()

    class Meta:
        model = DoseOverride
        fields = [
            "id", "administration", "reason", "cumulative_before_per_m2", "dose_per_m2", "maximum_per_m2",
            "authorised_by", "signatures_url", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class CumulativeDoseSerializer(serializers.Serializer):
    drug = serializers.CharField(source="drug.code", help_text="Drug code, e.g. inotuzumab-ozogamicin.")
    drug_name = serializers.CharField(source="drug.name")
    total_per_m2 = serializers.DecimalField(
        max_digits=10, decimal_places=PER_M2_DECIMALS, help_text="Given so far, per m² (e.g. mg/m²), over all courses."
    )
    maximum_per_m2 = serializers.DecimalField(
        max_digits=10,
        decimal_places=PER_M2_DECIMALS,
        allow_null=True,
        help_text="The protocol version's cumulative maximum.",
    )
    remaining_per_m2 = serializers.DecimalField(
        max_digits=10,
        decimal_places=PER_M2_DECIMALS,
        allow_null=True,
        help_text="Maximum minus total (negative once exceeded).",
    )


class PatientCumulativeDosesSerializer(serializers.Serializer):
    patient = serializers.IntegerField(source="patient.pk")
    subject_id = serializers.CharField(source="patient.subject_id")
    protocol_version = serializers.CharField(source="patient.protocol_version.code", allow_null=True)
    drugs = CumulativeDoseSerializer(many=True, help_text="One entry per drug with a protocol cumulative maximum.")


# --- Input ---


class CourseStartSerializer(serializers.Serializer):
    patient = SitePatientField()
    start_date = serializers.DateField(help_text="Course day 1.")
    height_cm = serializers.DecimalField(**DECIMAL_INPUT, help_text="Height (cm) for this course's BSA.")
    weight_kg = serializers.DecimalField(**DECIMAL_INPUT, help_text="Weight (kg) for this course's BSA.")
    inotuzumab_dose_level = ChoiceField(
        choices=DoseLevel.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Higher or lower, where the patient's protocol version has both (later courses keep it).",
    )
    early_maintenance_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Given only to start maintenance before the planned consolidation courses: why.",
    )


class CourseRecomputeSerializer(serializers.Serializer):
    height_cm = serializers.DecimalField(**DECIMAL_INPUT, help_text="New height (cm).")
    weight_kg = serializers.DecimalField(**DECIMAL_INPUT, help_text="New weight (kg).")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why the doses are re-planned (e.g. weight loss)."
    )


class DoseRecordSerializer(serializers.Serializer):
    status = ChoiceField(choices=RECORDED_STATUSES, error_messages={"invalid_choice": services.CHOOSE_STATUS})
    given_at = AwareDateTimeField(
        required=False, allow_null=True, default=None, help_text="When it was given (a given dose only)."
    )
    dose_given = serializers.DecimalField(
        **DECIMAL_INPUT,
        required=False,
        allow_null=True,
        default=None,
        help_text="Amount given, in the administration's dose_unit (a given dose only).",
    )
    route_given = ChoiceField(
        choices=Route.choices, required=False, allow_blank=True, default="", help_text="Default: the planned route."
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed when held or omitted, when anything differs from the plan, and to change a recorded dose.",
    )
    reduce_rest_of_course = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Reduce this drug's later planned doses in the course by the same fraction as this lower dose.",
    )


class UnplannedDoseSerializer(serializers.Serializer):
    drug = serializers.SlugRelatedField(
        slug_field="code", queryset=Drug.objects.all(), help_text="Code of the drug given (e.g. vincristine)."
    )
    given_at = AwareDateTimeField(
        required=False, allow_null=True, default=None, help_text="When it was given; its day is the course day."
    )
    dose_given = serializers.DecimalField(
        **DECIMAL_INPUT, required=False, allow_null=True, default=None, help_text="Amount given, in dose_unit."
    )
    dose_unit = ChoiceField(choices=DoseAmountUnit.choices)
    route = ChoiceField(choices=Route.choices)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why it was given although the plan did not hold it."
    )


class DoseOverrideRequestSerializer(serializers.Serializer):
    dose_given = serializers.DecimalField(**DECIMAL_INPUT, help_text="The dose to authorise, in dose_unit.")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="The clinical reason for exceeding the maximum."
    )
    password = serializers.CharField(
        trim_whitespace=False,
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        style={"input_type": "password"},
        help_text="Your password, re-entered to sign (meaning: override).",
    )


# --- Views ---


class CourseFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id", help_text="Patient id.")

    class Meta:
        model = Course
        fields = ["patient"]


@extend_schema_field(OpenApiTypes.STR)
class DrugCodeFilter(filters.ModelMultipleChoiceFilter):
    """Drugs by code (``?drug=vincristine&drug=cytarabine``); an unknown code is a 400 naming the field."""


class AdministrationFilter(filters.FilterSet):
    course = IdFilter(field_name="course_id", help_text="Course id.")
    patient = IdFilter(field_name="course__patient_id", help_text="Patient id.")
    status = filters.ChoiceFilter(choices=AdministrationStatus.choices)
    drug = DrugCodeFilter(
        field_name="drug__code", to_field_name="code", queryset=Drug.objects.all(), help_text="Drug code (repeatable)."
    )
    planned_date_from = filters.DateFilter(field_name="planned_date", lookup_expr="gte", help_text="On or after.")
    planned_date_to = filters.DateFilter(field_name="planned_date", lookup_expr="lte", help_text="On or before.")

    class Meta:
        model = PlannedAdministration
        fields = ["course", "patient", "status", "drug", "planned_date_from", "planned_date_to"]


class AdministrationPagination(DefaultCursorPagination):
    """Administrations in the order they are planned."""

    ordering = ("planned_date", "id")


class CourseViewSet(
    WithdrawActionMixin,
    SelectorViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Treatment courses of the caller's sites (``?patient=<id>`` for one patient's). Another site's answers 404.

    POST starts the patient's next course — its type follows the protocol version's sequence — and plans
    every dose from the regimen and this course's body-surface area. ``recompute`` re-plans the doses
    still to give from a new height and weight.
    """

    serializer_class = CourseSerializer
    filterset_class = CourseFilter
    permission_classes = [ActionModelPermissions]
    action_permissions = {
        "recompute": ["dosing.change_course"],
        "unplanned_doses": ["dosing.change_plannedadministration"],
    }
    model = Course
    list_selector = selectors.courses_for
    get_selector = selectors.course_get

    def get_serializer_class(self):
        return CourseDetailSerializer if self.action == "retrieve" else CourseSerializer

    @extend_schema(request=CourseStartSerializer, responses={201: CourseDetailSerializer})
    def create(self, request, *args, **kwargs):
        return self.act(
            CourseStartSerializer,
            services.course_start,
            status.HTTP_201_CREATED,
            serializer_class=CourseDetailSerializer,
        )

    @extend_schema(request=CourseRecomputeSerializer, responses={200: CourseDetailSerializer})
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        """Re-plan the doses still to give from a new height and weight (BSA); given doses stay as recorded."""
        return self.act(
            CourseRecomputeSerializer,
            services.course_recompute_bsa,
            serializer_class=CourseDetailSerializer,
            course=self.get_object(),
        )

    @extend_schema(request=UnplannedDoseSerializer, responses={201: AdministrationSerializer})
    @action(detail=True, methods=["post"], url_path="unplanned-doses")
    def unplanned_doses(self, request, pk=None):
        """Record a dose the plan did not hold (an extra dose, another drug, a dose on another day) as given,
        with its reason; the deviation rules then judge it like any other dose, and flag it as unplanned."""
        course = self.get_object()

        def record(values):
            return services.unplanned_dose_record(actor=request.user, course=course, **values)

        dose = record(self.parse(UnplannedDoseSerializer, record))
        fresh = selectors.administration_get(request.user, dose.pk)
        return Response(
            AdministrationSerializer(fresh, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


class AdministrationViewSet(
    WithdrawActionMixin, SelectorViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Planned doses of the caller's sites, in planned order, with what was given. Another site's answers 404.

    ``record`` records one as given, held or omitted (a difference from the plan needs a reason);
    ``override`` is an investigator's signed authorisation to pass a cumulative maximum.
    """

    serializer_class = AdministrationSerializer
    filterset_class = AdministrationFilter
    pagination_class = AdministrationPagination
    permission_classes = [ActionModelPermissions]
    action_permissions = {
        "record": ["dosing.change_plannedadministration"],
        "override": ["dosing.change_plannedadministration"],
    }

    model = PlannedAdministration
    list_selector = selectors.administrations_for
    get_selector = selectors.administration_get

    @extend_schema(request=DoseRecordSerializer, responses={200: AdministrationSerializer})
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        """Record the dose as given (when, how much, route), held or omitted — with the reason for any difference."""
        return self.act(DoseRecordSerializer, services.dose_record, administration=self.get_object())

    @extend_schema(request=DoseOverrideRequestSerializer, responses={201: DoseOverrideSerializer})
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        """An investigator authorises, and signs, a dose that takes the drug past its cumulative maximum."""
        if not request.user.has_perm("core.sign_records"):
            self.permission_denied(request, message=NOT_ALLOWED_TO_SIGN)
        administration = self.get_object()

        def authorise(values):
            return services.dose_override_authorise(actor=request.user, administration=administration, **values)

        override = authorise(self.parse(DoseOverrideRequestSerializer, authorise))
        return Response(
            DoseOverrideSerializer(override, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class PatientCumulativeDosesView(APIView):
    """Cumulative doses of one patient of the caller's sites, per drug the protocol caps (e.g. inotuzumab mg/m²)."""

    permission_classes = [RoleModelPermissions]

    def get_queryset(self):  # for the model permission: reading planned administrations
        return PlannedAdministration.objects.none()

    @extend_schema(responses=PatientCumulativeDosesSerializer)
    def get(self, request, pk):
        patient = patient_get(request.user, pk)
        data = {"patient": patient, "drugs": selectors.cumulative_doses(patient)}
        return Response(PatientCumulativeDosesSerializer(data).data)
