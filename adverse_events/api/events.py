"""REST API of adverse events: AEs with their reporting window and SAE clock, reported and corrected through
``adverse_events.services``.

Serializers only parse types and choices; the services validate and write, so the same bad input gets the same
message as from the service behind the form (an unknown attribution or SAE criterion included: those are passed
through as text for the service to judge). The course day, window verdict, SAE clock and relatedness of an AE
are never entered: they come from the selectors' row builder, computed for a whole page at once. Another site's
record (id in the URL) answers 404; another site's patient in the body is a 400 naming ``patient``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action

from core.api.errors import DERIVED_NOT_TYPED, refuse_input
from core.api.fields import (
    AwareDateTimeField,
    ChoiceField,
    HistoryUrlField,
    ReasonForChangeField,
    SiteScopedPrimaryKeyField,
)
from core.api.filters import IdFilter, IntegerFilter
from core.api.pagination import DefaultCursorPagination
from core.api.permissions import ActionModelPermissions
from core.api.viewsets import SelectorViewSetMixin
from core.api.withdraw import WithdrawActionMixin
from dosing.models import Course
from patients.api.fields import SitePatientField

from .. import selectors, services
from ..choices import ActionTaken, AEOutcome, Attribution, SAECriterion
from ..derivations.windows import SAE_LABELS, WINDOW_LABELS
from ..models import AdverseEvent, AEAttribution, CTCAETerm

TERM_REQUIRED = "Give the CTCAE term: its id (term) or its MedDRA code (meddra_code)."
UNKNOWN_MEDDRA_CODE = "No CTCAE v{version} term has the MedDRA code {code}."
TERM_AND_CODE_DISAGREE = "The MedDRA code is that of {term}, not of the term given."
DRUG_TWICE = "Give one attribution per drug: {drugs} given more than once."
AE_REASON_FOR_CHANGE = "Reason for change (needed to change a saved value, e.g. the grade)."
SAE_REPORT_BY_ACTION = "Record the submission of the expedited report with POST …/sae-report/."
AE_NOT_TYPED = dict.fromkeys(("course_day", "window", "sae", "related"), DERIVED_NOT_TYPED) | {
    "sae_reported_at": SAE_REPORT_BY_ACTION
}


# --- Output ---


class WindowSerializer(serializers.Serializer):
    status = ChoiceField(choices=list(WINDOW_LABELS.items()))
    label = serializers.CharField()
    reason = serializers.CharField(help_text="The dates the verdict rests on.")


class SAEClockSerializer(serializers.Serializer):
    status = ChoiceField(choices=list(SAE_LABELS.items()))
    label = serializers.CharField()
    due_at = serializers.DateTimeField(
        allow_null=True, help_text="When the expedited report is due (the protocol's hours after awareness)."
    )


class AttributionSerializer(serializers.ModelSerializer):
    drug = serializers.SlugRelatedField(slug_field="code", read_only=True)
    drug_name = serializers.CharField(source="drug.name", read_only=True)

    class Meta:
        model = AEAttribution
        fields = ["drug", "drug_name", "attribution"]
        read_only_fields = fields


class AdverseEventListSerializer(serializers.ListSerializer):
    """Builds the rows (window, SAE clock, course day) of the whole page at once: the query count does not
    depend on the number of AEs."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        self.context["rows"] = {row.ae.pk: row for row in selectors.ae_rows(items)}
        return super().to_representation(items)


class AdverseEventSerializer(serializers.ModelSerializer):
    """An adverse event with what is derived from it: the day of its course it began on, whether it falls in
    the protocol's reporting window (and why), the expedited-report clock of a serious event, and whether any
    attribution makes it treatment-related (possible, probable or definite)."""

    url = serializers.HyperlinkedIdentityField(view_name="adverse-event-detail")
    subject_id = serializers.CharField(source="patient.subject_id", read_only=True)
    site = serializers.CharField(source="patient.site.code", read_only=True)
    protocol_version = serializers.CharField(
        source="patient.protocol_version.code", read_only=True, allow_null=True, default=None
    )
    term_name = serializers.CharField(source="term.term", read_only=True)
    meddra_code = serializers.CharField(source="term.meddra_code", read_only=True)
    soc = serializers.CharField(source="term.soc", read_only=True)
    grade_text = serializers.SerializerMethodField()
    course_number = serializers.IntegerField(source="course.course_number", read_only=True, default=None)
    course_day = serializers.SerializerMethodField()
    sae_criteria = serializers.ListField(child=ChoiceField(choices=SAECriterion.choices), read_only=True)
    window = serializers.SerializerMethodField()
    sae = serializers.SerializerMethodField()
    related = serializers.SerializerMethodField()
    attributions = AttributionSerializer(many=True, read_only=True)
    reported_by = serializers.CharField(source="reported_by.signature_name", read_only=True)
    history_url = HistoryUrlField()

    class Meta:
        model = AdverseEvent
        list_serializer_class = AdverseEventListSerializer
        fields = [
            "id", "url", "patient", "subject_id", "site", "protocol_version",
            "term", "term_name", "meddra_code", "soc", "grade", "grade_text", "verbatim",
            "onset_date", "resolution_date", "course", "course_number", "course_day", "window",
            "serious", "sae_criteria", "sae_aware_at", "sae_reported_at", "sae",
            "action_taken", "outcome", "death", "source_lab_result", "attributions", "related",
            "reported_by", "history_url", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {"term": {"help_text": "The CTCAE term's id."}}

    def _row(self, obj) -> selectors.AERow:
        rows = self.context.get("rows") or {}
        if obj.pk not in rows:  # a single AE (retrieve, create, update, actions)
            rows = self.context["rows"] = {**rows, obj.pk: selectors.ae_row(obj)}
        return rows[obj.pk]

    def get_grade_text(self, obj) -> str:
        return obj.term.grade_text(obj.grade)

    def get_course_day(self, obj) -> int | None:
        """Day of the course the event began on (day 1 = the course's start)."""
        return self._row(obj).course_day

    @extend_schema_field(WindowSerializer)
    def get_window(self, obj):
        return WindowSerializer(self._row(obj).window).data

    @extend_schema_field(SAEClockSerializer)
    def get_sae(self, obj):
        return SAEClockSerializer(self._row(obj).sae).data

    def get_related(self, obj) -> bool:
        return self._row(obj).related


# --- Input ---


@extend_schema_field(serializers.ListField(child=ChoiceField(choices=SAECriterion.choices)))
class SAECriteriaField(serializers.ListField):
    """SAE criterion codes, read as text: the service refuses an unknown one with the form's message."""

    child = serializers.CharField()


@extend_schema_field(ChoiceField(choices=Attribution.choices))
class AttributionValueField(serializers.CharField):
    """An attribution code, read as text: the service refuses an unknown one with the form's message."""


class AttributionInputSerializer(serializers.Serializer):
    drug = serializers.CharField(help_text="Drug code, e.g. inotuzumab-ozogamicin.")
    attribution = AttributionValueField()


class AEDetailsSerializer(serializers.Serializer):
    """What the reporter adds to a term and grade: dates, course, seriousness, action, outcome, attributions."""

    verbatim = serializers.CharField(
        required=False, allow_blank=True, help_text="The event in your words (needed for an “Other, specify” term)."
    )
    resolution_date = serializers.DateField(required=False, allow_null=True)
    course = SiteScopedPrimaryKeyField(
        queryset=Course.objects.all(),
        required=False,
        allow_null=True,
        help_text="The course's id; default: the patient's course in which the onset falls.",
    )
    serious = serializers.BooleanField(required=False)
    sae_criteria = SAECriteriaField(required=False, help_text="SAE criteria (a serious event needs at least one).")
    sae_aware_at = AwareDateTimeField(
        required=False, allow_null=True, help_text="When the site became aware of the SAE (starts its clock)."
    )
    action_taken = ChoiceField(choices=ActionTaken.choices, required=False, allow_blank=True)
    outcome = ChoiceField(choices=AEOutcome.choices, required=False, allow_blank=True)
    attributions = serializers.ListField(
        child=AttributionInputSerializer(),
        required=False,
        help_text="One attribution to each study drug the patient received.",
    )

    def validate_attributions(self, items):
        codes = [item["drug"] for item in items]
        twice = sorted({code for code in codes if codes.count(code) > 1})
        if twice:
            raise serializers.ValidationError(DRUG_TWICE.format(drugs=", ".join(twice)))
        return {item["drug"]: item["attribution"] for item in items}


class AEValuesSerializer(AEDetailsSerializer):
    term = serializers.PrimaryKeyRelatedField(
        queryset=CTCAETerm.objects.all(), required=False, help_text="The CTCAE term's id (or give meddra_code)."
    )
    meddra_code = serializers.CharField(
        required=False, write_only=True, help_text="The term's MedDRA code (latest CTCAE version), instead of its id."
    )
    grade = serializers.IntegerField(help_text="CTCAE grade; only the grades the term defines.")
    onset_date = serializers.DateField()

    def validate(self, data):
        code = data.pop("meddra_code", None)
        if code is not None:
            version = selectors.current_version()
            by_code = CTCAETerm.objects.filter(version=version, meddra_code=code.strip()).first()
            if by_code is None:
                raise serializers.ValidationError(
                    {"meddra_code": UNKNOWN_MEDDRA_CODE.format(version=version.code, code=code)}
                )
            if data.get("term", by_code) != by_code:
                raise serializers.ValidationError({"meddra_code": TERM_AND_CODE_DISAGREE.format(term=by_code.term)})
            data["term"] = by_code
        if not self.partial and "term" not in data:
            raise serializers.ValidationError({"term": TERM_REQUIRED})
        return data


class AdverseEventReportSerializer(AEValuesSerializer):
    patient = SitePatientField()


class AdverseEventUpdateSerializer(AEValuesSerializer):
    reason = ReasonForChangeField(help_text=AE_REASON_FOR_CHANGE)


class SAEReportSerializer(serializers.Serializer):
    reported_at = AwareDateTimeField(
        help_text="When the expedited report was submitted (not before the site became aware, not in the future)."
    )


# --- Views ---


class AdverseEventFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id", help_text="Patient id.")
    grade = IntegerFilter(field_name="grade", min_value=1, max_value=5, help_text="CTCAE grade (1 to 5).")
    soc = filters.CharFilter(field_name="term__soc", help_text="System organ class, as CTCAE writes it.")
    term = filters.CharFilter(method="filter_term", help_text="Part of the term, or its MedDRA code.")
    serious = filters.BooleanFilter(field_name="serious")
    attribution = filters.ChoiceFilter(
        choices=Attribution.choices, method="filter_attribution", help_text="Attributed so to at least one drug."
    )

    class Meta:
        model = AdverseEvent
        fields = ["patient", "grade", "soc", "term", "serious", "attribution"]

    def filter_term(self, queryset, name, value):
        return queryset.filter(Q(term__term__icontains=value) | Q(term__meddra_code=value))

    def filter_attribution(self, queryset, name, value):
        given = AEAttribution.objects.filter(adverse_event=OuterRef("pk"), attribution=value)
        return queryset.filter(Exists(given))


class AdverseEventPagination(DefaultCursorPagination):
    """The most recent onset first."""

    ordering = ("-onset_date", "-id")


def _renamed(exc: DjangoValidationError, names: dict) -> DjangoValidationError:
    return DjangoValidationError({names.get(field, field): messages for field, messages in exc.message_dict.items()})


class AdverseEventViewSet(
    WithdrawActionMixin,
    SelectorViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Adverse events of the caller's sites, most recent onset first, each with its course day, reporting-window
    verdict, SAE clock and relatedness. Filter with ``?patient=``, ``?grade=``, ``?soc=``, ``?term=``
    (part of the term or its MedDRA code), ``?serious=`` and ``?attribution=``. Another site's AE answers 404.

    POST reports an AE (the term by id or MedDRA code, at a grade the term defines, with an attribution to each
    study drug the patient received); PATCH corrects one (a changed saved value, e.g. the grade, needs a
    ``reason``; the old value stays in the history). ``sae-report`` records the expedited report's submission.
    """

    serializer_class = AdverseEventSerializer
    filterset_class = AdverseEventFilter
    pagination_class = AdverseEventPagination
    permission_classes = [ActionModelPermissions]
    action_permissions = {"sae_report": ["adverse_events.change_adverseevent"]}
    http_method_names = ["get", "post", "patch", "head", "options"]
    model = AdverseEvent
    list_selector = selectors.adverse_events_for
    get_selector = selectors.ae_get

    @extend_schema(request=AdverseEventReportSerializer, responses={201: AdverseEventSerializer})
    def create(self, request, *args, **kwargs):
        refuse_input(request.data, AE_NOT_TYPED)
        return self.act(AdverseEventReportSerializer, services.adverse_event_report, status.HTTP_201_CREATED)

    @extend_schema(request=AdverseEventUpdateSerializer, responses={200: AdverseEventSerializer})
    def partial_update(self, request, *args, **kwargs):
        ae = self.get_object()
        refuse_input(request.data, AE_NOT_TYPED)
        return self.act(AdverseEventUpdateSerializer, services.adverse_event_update, partial=True, ae=ae)

    @extend_schema(request=SAEReportSerializer, responses={200: AdverseEventSerializer})
    @action(detail=True, methods=["post"], url_path="sae-report")
    def sae_report(self, request, pk=None):
        """Record that the expedited SAE report was submitted; the SAE clock then shows it as submitted."""
        ae = self.get_object()
        try:
            return self.act(SAEReportSerializer, services.sae_report_submit, ae=ae)
        except DjangoValidationError as exc:
            raise _renamed(exc, {"sae_reported_at": "reported_at"}) from exc
