"""REST API of the exports: the datasets with their data dictionaries, and each dataset as a streamed CSV.

A user without ``trial.view_phi`` always gets de-identified data; one with it may ask for it (``?deidentified=1``).
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from .datasets import DATASETS
from .formats import FORMATS
from .jobs import export_file, export_job_start, progress_of
from .models import Export, ExportStatus
from .services import deidentified_for
from .stream import columns_of
from .views import asked_deidentified, dataset_download, job_file_response, own_export, study_download

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


class ExportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=[(f.code, f.label) for f in FORMATS.values()], help_text="The format of the whole-study file."
    )
    deidentified = serializers.BooleanField(
        default=False, help_text="De-identified even if you may see PHI (without view_phi it always is)."
    )


class ExportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="This job's status.")
    format = serializers.CharField()
    deidentified = serializers.BooleanField()
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    rows_read = serializers.IntegerField(help_text="Source rows read so far.")
    total = serializers.IntegerField(allow_null=True, help_text="Source rows the export reads (once started).")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(help_text="Why it failed, when it did.")
    download = serializers.CharField(allow_null=True, help_text="The file, once done.")
    manifest = serializers.JSONField(
        allow_null=True,
        help_text="Once done: study, who, when, data cut-off, sites, de-identified, the newest audit-history id of "
        "every table included, and the file's SHA-256, bytes and rows per dataset.",
    )


def _job(request, export: Export) -> dict:
    read, total = progress_of(export)
    done = export.status == ExportStatus.DONE
    return {
        "id": export.pk,
        "url": request.build_absolute_uri(reverse("api-export-job", args=[export.pk])),
        "format": export.format,
        "deidentified": export.deidentified,
        "status": export.status,
        "rows_read": read,
        "total": total,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
        "error": export.error,
        "download": request.build_absolute_uri(reverse("api-export-job-download", args=[export.pk])) if done else None,
        "manifest": export.manifest,
    }


JOBS_LISTED = 20


class ExportJobListView(APIView):
    """Export jobs: the whole study in one of the standard formats (CSV ZIP, CDISC ODM 1.3.2, SDTM, FHIR R4),
    written by a worker from one snapshot of the database. ``POST`` starts one (202, then poll its ``url`` until
    ``status`` is ``done`` and fetch ``download``); ``GET`` lists your last ones."""

    permission_classes = [CanExport]

    @extend_schema(responses=ExportJobSerializer(many=True))
    def get(self, request):
        jobs = Export.objects.filter(exported_by=request.user, dataset="study", format__in=list(FORMATS))
        jobs = jobs.select_related("exported_by").order_by("-created_at")[:JOBS_LISTED]
        return Response(ExportJobSerializer([_job(request, e) for e in jobs], many=True).data)

    @extend_schema(request=ExportRequestSerializer, responses={202: ExportJobSerializer})
    def post(self, request):
        asked = ExportRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        deidentified = deidentified_for(request.user, asked=asked.validated_data["deidentified"])
        export = export_job_start(
            actor=request.user, export_format=asked.validated_data["format"], deidentified=deidentified
        )
        export.refresh_from_db()  # run already when there is no broker
        data = ExportJobSerializer(_job(request, export)).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


def _own_job(request, pk) -> Export:
    return own_export(request.user, pk, exception=exceptions.NotFound("No export job of yours with this id."))


class ExportJobDetailView(APIView):
    """One of your export jobs: its status, progress (rows read of the total) and, once done, its manifest and
    download link."""

    permission_classes = [CanExport]

    @extend_schema(responses=ExportJobSerializer)
    def get(self, request, pk):
        return Response(ExportJobSerializer(_job(request, _own_job(request, pk))).data)


class ExportJobDownloadView(APIView):
    """The file of one of your finished export jobs."""

    permission_classes = [CanExport]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, pk):
        export = _own_job(request, pk)
        path = export_file(export)
        if path is None:
            raise exceptions.NotFound("This export has no file: it is not done, failed, or its file was removed.")
        return job_file_response(export, path)
