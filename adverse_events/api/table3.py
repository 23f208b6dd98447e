"""REST API of the paper's Table 3 over the caller's sites: grade 3–5 non-haematologic toxicity per term."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from trial.models import ProtocolVersion

from .. import selectors
from ..models import AdverseEvent


class Table3RowSerializer(serializers.Serializer):
    term = serializers.CharField()
    soc = serializers.CharField()
    grade_3 = serializers.IntegerField(help_text="Patients whose worst grade of the term is 3.")
    grade_4 = serializers.IntegerField()
    grade_5 = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Patients with the term at grade 3 or worse.")


class Table3QuerySerializer(serializers.Serializer):
    protocol_version = serializers.SlugRelatedField(
        slug_field="code", queryset=ProtocolVersion.objects.all(), required=False
    )


class Table3View(APIView):
    """The paper's Table 3 over the caller's sites: grade 3–5 non-haematologic toxicity, each patient counted once
    per term at their worst grade, most frequent first. ``?protocol_version=<code>`` keeps one protocol version's
    patients. Not paginated."""

    def get_queryset(self):  # for the model permission: reading adverse events
        return AdverseEvent.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("protocol_version", OpenApiTypes.STR, description="Protocol version code.")],
        responses=Table3RowSerializer(many=True),
    )
    def get(self, request):
        query = Table3QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        version = query.validated_data.get("protocol_version")
        rows = selectors.table3(request.user, protocol_version=version.code if version else None)
        return Response(Table3RowSerializer(rows, many=True).data)
