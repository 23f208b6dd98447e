"""REST API of the exports: the datasets with their data dictionaries, and each dataset as a streamed CSV.

A user without ``trial.view_phi`` always gets de-identified data; one with it may ask for it (``?deidentified=1``).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from .datasets import DATASETS
from .services import deidentified_for
from .stream import columns_of
from .views import asked_deidentified, dataset_download, study_download

PERMISSION = "exports.export_data"
DEIDENTIFIED = OpenApiParameter(
    "deidentified", OpenApiTypes.BOOL, description="De-identified (HIPAA Safe Harbor) even if you may see PHI."
)


class CanExport(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(PERMISSION))


class ColumnSerializer(serializers.Serializer):
    variable = serializers.CharField(source="name")
    label = serializers.CharField()
    type = serializers.CharField(help_text="text, integer, decimal, date, datetime, boolean or list (JSON).")
    unit = serializers.CharField()
    allowed_values = serializers.CharField(help_text="code = label; … for a coded variable, else empty.")
    source = serializers.CharField(help_text="Where the value comes from: app.Model.field.")
    identifying = serializers.CharField(
        help_text="identifier, free text (never de-identified), date (shifted), subject (pseudonym), age, or empty."
    )


class DatasetSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    deidentified = serializers.BooleanField(help_text="Whether your download of it is de-identified.")
    columns = ColumnSerializer(many=True, help_text="The data dictionary: the columns your download has.")
    csv = serializers.CharField(help_text="Its CSV, streamed.")


def _dataset(name):
    if name not in DATASETS:
        raise exceptions.NotFound(f"No dataset {name!r}; the datasets are: {', '.join(DATASETS)}.")
    return DATASETS[name]


def _describe(request, dataset) -> dict:
    deidentified = deidentified_for(request.user, asked=asked_deidentified(request.query_params))
    return {
        "name": dataset.name,
        "label": dataset.label,
        "description": dataset.description,
        "deidentified": deidentified,
        "columns": columns_of(dataset, deidentified=deidentified),
        "csv": request.build_absolute_uri(f"/api/v1/exports/datasets/{dataset.name}/csv/"),
    }


class DatasetListView(APIView):
    """Every dataset with its data dictionary, as your downloads would have them."""

    permission_classes = [CanExport]

    @extend_schema(parameters=[DEIDENTIFIED], responses=DatasetSerializer(many=True))
    def get(self, request):
        return Response(DatasetSerializer([_describe(request, d) for d in DATASETS.values()], many=True).data)


class DatasetDetailView(APIView):
    """One dataset and its data dictionary."""

    permission_classes = [CanExport]

    @extend_schema(parameters=[DEIDENTIFIED], responses=DatasetSerializer)
    def get(self, request, name):
        return Response(DatasetSerializer(_describe(request, _dataset(name))).data)


class DatasetCSVView(APIView):
    """The dataset over your sites as CSV, streamed in constant memory from one snapshot of the database; the
    export is recorded (who, what, when, rows, SHA-256)."""

    permission_classes = [CanExport]

    @extend_schema(
        parameters=[DEIDENTIFIED],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file.")},
    )
    def get(self, request, name):
        return dataset_download(request.user, _dataset(name), request.query_params)


class StudyZipView(APIView):
    """The whole study over your sites as one ZIP, streamed: every dataset's CSV, its data dictionary
    (``dictionary/<name>.csv``) and ``manifest.json`` (per file its rows and SHA-256; who, when, which sites,
    de-identified or not, and the newest audit-history id of each table the data include)."""

    permission_classes = [CanExport]

    @extend_schema(
        parameters=[DEIDENTIFIED],
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The ZIP file.")},
    )
    def get(self, request):
        return study_download(request.user, request.query_params)
