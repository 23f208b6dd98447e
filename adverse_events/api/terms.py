"""REST API of the CTCAE dictionary: terms with the text of each grade they define, searched by term, MedDRA code
or system organ class."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from core.api.pagination import DefaultCursorPagination
from core.api.viewsets import ID_PATTERN

from .. import selectors
from ..models import CTCAETerm


class TermGradeSerializer(serializers.Serializer):
    grade = serializers.IntegerField(help_text="1–5.")
    text = serializers.CharField(help_text="CTCAE's description of the grade for this term.")


class CTCAETermSerializer(serializers.ModelSerializer):
    """A CTCAE term with the text of each grade it defines (an undefined grade cannot be reported)."""

    url = serializers.HyperlinkedIdentityField(view_name="ctcae-term-detail")
    version = serializers.CharField(source="version.code", read_only=True, help_text="CTCAE version, e.g. 5.0.")
    is_other_specify = serializers.BooleanField(
        read_only=True, help_text="An “Other, specify” term: an AE with it needs the verbatim text."
    )
    grades = serializers.SerializerMethodField()

    class Meta:
        model = CTCAETerm
        fields = [
            "id", "url", "version", "meddra_code", "soc", "term", "definition", "navigational_note",
            "is_other_specify", "grades",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(TermGradeSerializer(many=True))
    def get_grades(self, obj):
        return [{"grade": grade, "text": obj.grade_text(grade)} for grade in obj.defined_grades]


class CTCAETermFilter(filters.FilterSet):
    soc = filters.CharFilter(field_name="soc", help_text="System organ class, as CTCAE writes it.")

    class Meta:
        model = CTCAETerm
        fields = ["soc"]


class TermPagination(DefaultCursorPagination):
    """Terms in alphabetical order."""

    ordering = ("term", "id")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "q", str, description="Part of the term or of the system organ class, or the start of the MedDRA code."
            )
        ]
    )
)
class CTCAETermViewSet(viewsets.ReadOnlyModelViewSet):
    """The CTCAE dictionary (the latest version in the list; any version by id). ``?q=`` searches the
    term, the MedDRA code and the system organ class; ``?soc=`` keeps one system organ class."""

    serializer_class = CTCAETermSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = CTCAETermFilter
    pagination_class = TermPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return CTCAETerm.objects.select_related("version")
        query = self.request.query_params.get("q", "")
        return selectors.term_search(query, limit=None).select_related("version")
