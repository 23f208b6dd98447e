"""REST API of the reports: the numbers of every table and survival estimate (not the pictures), over the caller's
sites, with the same filters as the pages (:class:`reports.filters.ReportFilterForm`: the same messages)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .filters import cox_covariate_form, filter_form
from .views import PERMISSION, cox_choices, report_for

FILTER_PARAMETERS = [
    OpenApiParameter("site", OpenApiTypes.STR, description="Site code (one of your sites); default all of them."),
    OpenApiParameter("protocol_version", OpenApiTypes.STR, description="Protocol version code."),
    OpenApiParameter("registered_from", OpenApiTypes.DATE, description="Registered on or after this date."),
    OpenApiParameter("registered_to", OpenApiTypes.DATE, description="Registered on or before this date."),
    OpenApiParameter("cutoff", OpenApiTypes.DATE, description="Data cut-off: only what was known by this date counts."),
]


class CanViewReports(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(PERMISSION))


class ReportView(APIView):
    permission_classes = [CanViewReports]

    def report(self, request, kind, build, *params):
        """The report ``kind`` over the filters of the query string (400 naming each wrong filter), shared with
        the pages through the cache."""
        form = filter_form(request.user, request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        return report_for(request.user, form.filters(), kind, build, *params)


# --- Serializers ---------------------------------------------------------------------------------------


class ProportionSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    total = serializers.IntegerField(help_text="The denominator N.")
    percent = serializers.FloatField(allow_null=True)
    ci_lower = serializers.FloatField(source="lower", allow_null=True, help_text="Exact (Clopper–Pearson) 95% CI.")
    ci_upper = serializers.FloatField(source="upper", allow_null=True)


class TestSerializer(serializers.Serializer):
    test = serializers.CharField()
    p = serializers.FloatField(allow_null=True, help_text="Null when the test does not apply.")


class GroupSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="'all' or a protocol version code.")
    label = serializers.CharField()
    n = serializers.IntegerField()


class CohortSerializer(serializers.Serializer):
    groups = GroupSerializer(many=True)
    data_cutoff = serializers.DateField(source="filters.cutoff", allow_null=True)
    computed_at = serializers.DateTimeField()


class Table2RowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    denominator = serializers.CharField(help_text="Who the N counts.")
    cells = ProportionSerializer(many=True, help_text="One per group, in the order of cohort.groups.")
    comparison = TestSerializer(help_text="Between the protocol versions.")


class Table2Serializer(serializers.Serializer):
    cohort = CohortSerializer()
    rows = Table2RowSerializer(many=True)


class DistributionSerializer(serializers.Serializer):
    known = serializers.IntegerField()
    median = serializers.FloatField(allow_null=True)
    minimum = serializers.FloatField(allow_null=True)
    maximum = serializers.FloatField(allow_null=True)


class Table1CellSerializer(serializers.Serializer):
    count = ProportionSerializer(allow_null=True)
    distribution = DistributionSerializer(allow_null=True)


class Table1RowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    level = serializers.BooleanField(help_text="A level of the categorical variable in the row above.")
    cells = Table1CellSerializer(many=True)
    comparison = TestSerializer(allow_null=True)


class Table1Serializer(serializers.Serializer):
    cohort = CohortSerializer()
    rows = Table1RowSerializer(many=True)


class EstimateSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    ci_lower = serializers.FloatField(source="lower", allow_null=True)
    ci_upper = serializers.FloatField(source="upper", allow_null=True)


class RateSerializer(EstimateSerializer):
    months = serializers.FloatField()


class AtRiskSerializer(serializers.Serializer):
    months = serializers.FloatField(source="time")
    at_risk = serializers.IntegerField()
    censored = serializers.IntegerField()
    events = serializers.IntegerField()


class PointSerializer(serializers.Serializer):
    months = serializers.FloatField(source="time")
    survival = serializers.FloatField()
    ci_lower = serializers.FloatField(source="lower")
    ci_upper = serializers.FloatField(source="upper")
    at_risk = serializers.IntegerField()
    events = serializers.IntegerField()
    censored = serializers.IntegerField()


class CurveSerializer(serializers.Serializer):
    label = serializers.CharField()
    n = serializers.IntegerField()
    events = serializers.IntegerField()
    median_months = EstimateSerializer(source="median", help_text="Null value: not reached.")
    rates = serializers.SerializerMethodField()
    at_risk = AtRiskSerializer(many=True)
    points = PointSerializer(many=True)

    @extend_schema_field(RateSerializer(many=True))
    def get_rates(self, curve) -> list:
        return [
            {"months": months, "value": e.value, "ci_lower": e.lower, "ci_upper": e.upper}
            for months, e in curve.rates.items()
        ]


class LandmarkSerializer(serializers.Serializer):
    months = serializers.FloatField(help_text="The landmark, in months from the endpoint's origin.")
    excluded = serializers.IntegerField(help_text="Patients left out: event or last contact before the landmark.")
    transplanted = CurveSerializer(help_text="SCT by the landmark; times in months from the landmark.")
    not_transplanted = CurveSerializer()
    log_rank = TestSerializer()


class SurvivalSerializer(serializers.Serializer):
    cohort = CohortSerializer()
    endpoint = serializers.CharField(source="endpoint.key")
    definition = serializers.CharField(source="endpoint.definition")
    overall = CurveSerializer()
    by_version = CurveSerializer(many=True)
    log_rank = TestSerializer()
    landmarks = LandmarkSerializer(many=True)


class HazardRatioSerializer(serializers.Serializer):
    covariate = serializers.CharField(source="key")
    label = serializers.CharField()
    hazard_ratio = serializers.FloatField()
    ci_lower = serializers.FloatField(source="lower", help_text="95% Wald CI.")
    ci_upper = serializers.FloatField(source="upper")
    p = serializers.FloatField()


class CoxModelSerializer(serializers.Serializer):
    hazard_ratios = HazardRatioSerializer(source="ratios", many=True, help_text="Empty when it could not be fitted.")
    patients = serializers.IntegerField(help_text="Patients with every covariate of the model known.")
    events = serializers.IntegerField()
    note = serializers.CharField(help_text="Why it could not be fitted, or why the fit is doubtful; empty otherwise.")


class CoxRowSerializer(serializers.Serializer):
    covariate = serializers.CharField(source="key")
    label = serializers.CharField()
    univariate = CoxModelSerializer()


class CoxSerializer(serializers.Serializer):
    cohort = CohortSerializer()
    endpoint = serializers.CharField(source="endpoint.key")
    model = serializers.CharField(source="test")
    covariates = serializers.ListField(source="picked", child=serializers.CharField())
    univariate = CoxRowSerializer(source="rows", many=True, help_text="SCT (time-dependent) first, then each pick.")
    multivariate = CoxModelSerializer(help_text="SCT and every picked covariate together.")


# --- Views ---------------------------------------------------------------------------------------------


class Table2View(ReportView):
    """The paper's Table 2 (best response): n/N with the exact 95% CI by all and by protocol version, and the
    p-value of the versions' comparison."""

    @extend_schema(parameters=FILTER_PARAMETERS, responses=Table2Serializer)
    def get(self, request):
        return Response(Table2Serializer(self.report(request, "table2", selectors.table2)).data)


class Table1View(ReportView):
    """The paper's Table 1 (baseline characteristics) by all and by protocol version, with the comparison tests."""

    @extend_schema(parameters=FILTER_PARAMETERS, responses=Table1Serializer)
    def get(self, request):
        return Response(Table1Serializer(self.report(request, "table1", selectors.table1)).data)


def _known_endpoint(endpoint: str) -> None:
    if endpoint not in selectors.ENDPOINTS:
        raise exceptions.NotFound(f"No such endpoint; the endpoints are: {', '.join(selectors.ENDPOINTS)}.")


class SurvivalView(ReportView):
    """Kaplan–Meier of overall (``os``) or relapse-free (``rfs``) survival, in months: overall and by protocol
    version, median and 1-, 2-, 3-year rates with 95% CIs, numbers at risk, the curve's points, log-rank p."""

    @extend_schema(parameters=FILTER_PARAMETERS, responses=SurvivalSerializer)
    def get(self, request, endpoint):
        _known_endpoint(endpoint)
        return Response(SurvivalSerializer(self.report(request, "survival", selectors.survival, endpoint)).data)


class CoxView(ReportView):
    """Cox regression of ``os`` or ``rfs`` on allogeneic SCT as a time-dependent covariate and the picked Table 1
    covariates (``?covariate=age&covariate=male``): each alone and all together; hazard ratios with 95% CIs."""

    @extend_schema(
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter(
                "covariate",
                OpenApiTypes.STR,
                many=True,
                enum=list(selectors.cox_covariates(["first", "later"])),
                description="A Table 1 covariate to fit (repeat for several).",
            ),
        ],
        responses=CoxSerializer,
    )
    def get(self, request, endpoint):
        _known_endpoint(endpoint)
        picker = cox_covariate_form(request.query_params, cox_choices(request.user))
        if not picker.is_valid():
            raise exceptions.ValidationError(picker.errors)
        return Response(CoxSerializer(self.report(request, "cox", selectors.cox, endpoint, picker.picked())).data)


# --- Table 3 and the safety summary ---------------------------------------------------------------------


class Table3CellSerializer(serializers.Serializer):
    grade_3 = ProportionSerializer(help_text="Patients whose worst grade of the term is 3, of the group's N.")
    grade_4 = ProportionSerializer()
    grade_5 = ProportionSerializer()
    total = ProportionSerializer(help_text="Patients with the term at grade 3 or worse.")


class Table3RowSerializer(serializers.Serializer):
    term = serializers.CharField(help_text="CTCAE term.")
    soc = serializers.CharField(help_text="System organ class.")
    meddra_code = serializers.CharField()
    cells = Table3CellSerializer(many=True, help_text="One per group, in the order of cohort.groups.")
    comparison = TestSerializer(help_text="Of the totals, between the protocol versions.")


class Table3Serializer(serializers.Serializer):
    cohort = CohortSerializer()
    denominator = serializers.CharField(help_text="Who the N counts: the group's patients (cohort.groups[].n).")
    rows = Table3RowSerializer(many=True)


class Table3View(ReportView):
    """The paper's Table 3: grade 3–5 non-haematologic toxicity per CTCAE term, each patient counted once per term at
    the worst grade, from AEs with onset by the cut-off; n/N with the exact 95% CI by all and by protocol version
    (N: the group's patients), and the p-value of the versions' comparison of the totals. Most frequent first."""

    @extend_schema(parameters=FILTER_PARAMETERS, responses=Table3Serializer)
    def get(self, request):
        from .toxicity import table3

        report = self.report(request, "table3", lambda cohort: table3(cohort, user=request.user))
        return Response(Table3Serializer(report).data)


class SOSRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="'sos' (all patients) or 'sos_sct' (patients with an allogeneic SCT).")
    label = serializers.CharField()
    denominator = serializers.CharField(help_text="Who the N counts.")
    cells = ProportionSerializer(many=True, help_text="One per group, in the order of cohort.groups.")
    comparison = TestSerializer(help_text="Between the protocol versions.")


class TimeToSCTSerializer(serializers.Serializer):
    cells = DistributionSerializer(
        many=True,
        help_text="Days from the last inotuzumab dose given on or before the first SCT to it; one per group.",
    )
    comparison = TestSerializer(help_text="Between the protocol versions.")


class FlagCountSerializer(serializers.Serializer):
    rule_code = serializers.CharField()
    title = serializers.CharField()
    count = serializers.IntegerField()


class UrgentFlagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject_id = serializers.CharField(source="patient.subject_id")
    site = serializers.CharField(source="patient.site.code")
    rule_code = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    raised_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The flag's page.")

    def get_url(self, flag) -> str:
        return flag.get_absolute_url()


class SafetySummarySerializer(serializers.Serializer):
    cohort = CohortSerializer()
    sos = SOSRowSerializer(many=True)
    last_inotuzumab_to_sct_days = TimeToSCTSerializer(source="last_inotuzumab_to_sct")
    urgent_flags_total = serializers.IntegerField(source="flag_total", help_text="Open or acknowledged urgent flags.")
    urgent_flags_by_rule = FlagCountSerializer(many=True, source="flag_counts")
    urgent_flags = UrgentFlagSerializer(many=True, source="flags", help_text="Most recent first, at most 100.")


class SafetySummaryView(ReportView):
    """The safety summary: SOS n/N with the exact 95% CI by all and by protocol version, overall and among the
    patients with an allogeneic SCT by the cut-off (Fisher exact between versions); median (range) days from the
    last inotuzumab dose to the SCT; the open urgent safety flags (now, of the site and version filters), by rule."""

    @extend_schema(parameters=FILTER_PARAMETERS, responses=SafetySummarySerializer)
    def get(self, request):
        from .safety_summary import safety_summary

        report = self.report(request, "safety", lambda cohort: safety_summary(cohort, user=request.user))
        return Response(SafetySummarySerializer(report).data)
