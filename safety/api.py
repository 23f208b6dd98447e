"""REST API of the safety engine: the flags of the caller's sites and the rules that raise them.

Flags are raised, updated and resolved by the rules only; a person acknowledges, resolves or dismisses one through
``safety.services`` (POST …/acknowledge/, …/resolve/, …/dismiss/), so the API refuses what the page refuses with the
same message (a nurse who dismisses gets the service's "Only an investigator may dismiss a flag."). Another site's
flag answers 404.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.fields import ChoiceField, HistoryUrlField
from core.api.filters import IdFilter
from core.api.pagination import DefaultCursorPagination
from core.api.permissions import ActionModelPermissions
from core.api.viewsets import SelectorViewSetMixin

from . import selectors, services
from .choices import ACTIVE_STATUSES, FlagStatus, RuleKind, Severity
from .models import Flag
from .rules import all_rules

ACTIVE = "active"
CHANGE_FLAG = ["safety.change_flag"]


class FlagSerializer(serializers.ModelSerializer):
    """A condition one safety rule found in a patient's data: an SOS risk window or a protocol deviation, with the
    values that raised it (``evidence``) and what has been done about it."""

    url = serializers.HyperlinkedIdentityField(view_name="flag-detail")
    subject_id = serializers.CharField(source="patient.subject_id", read_only=True)
    site = serializers.CharField(source="patient.site.code", read_only=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.signature_name", read_only=True, allow_null=True, default=None
    )
    active = serializers.SerializerMethodField()
    history_url = HistoryUrlField()

    class Meta:
        model = Flag
        fields = [
            "id", "url", "patient", "subject_id", "site", "rule_code", "rule_kind", "title", "message", "severity",
            "window_start", "window_end", "evidence", "status", "active", "raised_at", "last_seen_at",
            "acknowledged_by", "resolved_at", "resolution", "notified_at", "history_url",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "window_start": {"help_text": "First day of the risk window, or the date of the deviating procedure."},
            "window_end": {"help_text": "Last day of the risk window (SOS-01: the SOS reporting window's end)."},
        }

    def get_active(self, obj) -> bool:
        """Open or acknowledged: still needs attention."""
        return obj.status in ACTIVE_STATUSES


class FlagAcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Optional; kept in the audit trail."
    )


class FlagReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True,
        error_messages={"required": services.REASON_NEEDED},
        help_text="Why; kept on the flag and in the audit trail.",
    )


class FlagFilter(filters.FilterSet):
    rule = filters.CharFilter(field_name="rule_code", help_text="Rule code, e.g. SOS-01 or DEV-13.")
    status = filters.ChoiceFilter(
        choices=[(ACTIVE, "Active (open or acknowledged)"), *FlagStatus.choices],
        method="filter_status",
        help_text="active = open or acknowledged.",
    )
    severity = filters.ChoiceFilter(choices=Severity.choices)
    patient = IdFilter(field_name="patient_id", help_text="Patient id.")
    site = filters.CharFilter(field_name="patient__site__code", help_text="Site code.")
    kind = filters.ChoiceFilter(field_name="rule_kind", choices=RuleKind.choices)

    class Meta:
        model = Flag
        fields = ["rule", "status", "severity", "patient", "site", "kind"]

    def filter_status(self, queryset, name, value):
        if value == ACTIVE:
            return queryset.filter(status__in=ACTIVE_STATUSES)
        return queryset.filter(status=value)


class FlagPagination(DefaultCursorPagination):
    """The most recently raised first."""

    ordering = ("-raised_at", "-id")


class FlagViewSet(SelectorViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Safety flags of the caller's sites, most recently raised first. Filter with ``?rule=``, ``?status=``
    (``active`` = open or acknowledged), ``?severity=``, ``?patient=`` (id), ``?site=`` (code) and ``?kind=``.

    ``acknowledge`` (optional ``note``) marks an open flag as seen; ``resolve`` closes an active flag with a
    ``reason`` (the rule reopens it if the condition still holds); ``dismiss`` (investigators) closes it for good
    with a ``reason``. Every change is in the flag's audit trail (``history_url``).
    """

    serializer_class = FlagSerializer
    filterset_class = FlagFilter
    pagination_class = FlagPagination
    permission_classes = [ActionModelPermissions]
    action_permissions = {"acknowledge": CHANGE_FLAG, "resolve": CHANGE_FLAG, "dismiss": CHANGE_FLAG}

    model = Flag
    list_selector = selectors.flags_for
    get_selector = selectors.flag_get

    @extend_schema(request=FlagAcknowledgeSerializer, responses={200: FlagSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge an open flag: it stays active, with who acknowledged it."""
        return self.act(FlagAcknowledgeSerializer, services.flag_acknowledge, flag=self.get_object())

    @extend_schema(request=FlagReasonSerializer, responses={200: FlagSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve an active flag with a reason (the rule reopens it if the condition still holds)."""
        return self.act(FlagReasonSerializer, services.flag_resolve, flag=self.get_object())

    @extend_schema(request=FlagReasonSerializer, responses={200: FlagSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Dismiss a flag with a reason (investigators only); the rule will not raise it again."""
        return self.act(FlagReasonSerializer, services.flag_dismiss, flag=self.get_object())


class SafetyRuleSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="E.g. SOS-01, DEV-13; the flags' rule_code.")
    kind = ChoiceField(choices=RuleKind.choices)
    title = serializers.CharField()
    severity = ChoiceField(
        choices=Severity.choices, help_text="Default severity of its flags (a finding may raise it)."
    )


class SafetyRuleListView(APIView):
    """The safety rules the engine runs over every patient, by code. Their thresholds are protocol data of the
    patient's protocol version. Not paginated."""

    def get_queryset(self):  # for the model permission: reading flags
        return Flag.objects.none()

    @extend_schema(responses=SafetyRuleSerializer(many=True))
    def get(self, request):
        return Response(SafetyRuleSerializer(all_rules(), many=True).data)
