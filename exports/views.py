"""The exports page: the whole study in each format (export jobs), every dataset with its data dictionary and CSV
download, and your last exports with their manifests."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trial.selectors import trial_by_nct_id

from .datasets import DATASETS
from .formats import FORMATS
from .jobs import download_name, export_file, export_job_start, progress_of
from .models import Export, ExportStatus
from .services import dataset_export_csv, deidentified_for, study_export_zip
from .stream import columns_of

PERMISSION = "exports.export_data"
RECENT = 10


@login_required
@permission_required(PERMISSION, raise_exception=True)
def index(request):
    deidentified = deidentified_for(request.user, asked=False)
    datasets = [(d, columns_of(d, deidentified=deidentified)) for d in DATASETS.values()]  # for the column counts
    recent = Export.objects.filter(exported_by=request.user).order_by("-created_at")[:RECENT]
    return render(
        request,
        "exports/index.html",
        {
            "datasets": datasets,
            "formats": FORMATS.values(),
            "deidentified": deidentified,
            "may_see_phi": not deidentified_for(request.user, asked=False),
            "recent": [(e, progress_of(e)) for e in recent],
        },
    )


def own_export(user, pk, *, exception=None) -> Export:
    """One of the user's own exports (another user's, or none, is not found)."""
    export = Export.objects.filter(pk=pk, exported_by=user).select_related("exported_by").first()
    if export is None:
        raise exception or Http404("No export of yours with this id.")
    return export


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def job_start(request):
    """Start an export job of the whole study in the format asked for, then show its page."""
    code = request.POST.get("format", "")
    if code not in FORMATS:
        messages.error(request, f"Format: choose one of {', '.join(FORMATS)} (got {code!r}).")
        return redirect("exports:index")
    deidentified = deidentified_for(request.user, asked=asked_deidentified(request.POST))
    export = export_job_start(actor=request.user, export_format=code, deidentified=deidentified)
    return redirect("exports:job", export.pk)


def _job_context(export) -> dict:
    read, total = progress_of(export)
    percent = round(100 * read / total) if total else (100 if export.status == ExportStatus.DONE else 0)
    manifest = export.manifest or {}
    return {
        "export": export,
        "format": FORMATS.get(export.format),
        "read": read,
        "total": total,
        "percent": percent,
        "finished": export.status in (ExportStatus.DONE, ExportStatus.FAILED),
        "has_file": export_file(export) is not None,
        "manifest": manifest,
        "file": (manifest.get("files") or [{}])[0],
    }


@login_required
@permission_required(PERMISSION, raise_exception=True)
def job(request, pk):
    """An export job: its progress while it runs, then its manifest and download."""
    return render(request, "exports/job.html", _job_context(own_export(request.user, pk)))


@login_required
@permission_required(PERMISSION, raise_exception=True)
def job_progress(request, pk):
    """The job's progress, polled by its page until it is finished."""
    return render(request, "exports/_job_progress.html", _job_context(own_export(request.user, pk)))


@login_required
@permission_required(PERMISSION, raise_exception=True)
def job_download(request, pk):
    export = own_export(request.user, pk)
    path = export_file(export)
    if path is None:
        raise Http404("This export has no file: it is not done, failed, or its file was removed.")
    return job_file_response(export, path)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def job_manifest(request, pk):
    export = own_export(request.user, pk)
    if not export.manifest:
        raise Http404("This export has no manifest yet.")
    response = HttpResponse(json.dumps(export.manifest, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="export-{export.pk}-manifest.json"'
    return response


def _dataset(name):
    if name not in DATASETS:
        raise Http404("No such dataset.")
    return DATASETS[name]


@login_required
@permission_required(PERMISSION, raise_exception=True)
def dataset(request, name):
    """One dataset's data dictionary (the columns of the user's file) and its downloads."""
    dataset = _dataset(name)
    deidentified = deidentified_for(request.user, asked=False)
    return render(
        request,
        "exports/dataset.html",
        {
            "dataset": dataset,
            "columns": columns_of(dataset, deidentified=deidentified),
            "deidentified": deidentified,
            "may_see_phi": not deidentified,
        },
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
def dataset_dictionary(request, name):
    """The data dictionary as CSV (the same file the study ZIP holds)."""
    from .bundle import dictionary_csv

    dataset = _dataset(name)
    deidentified = deidentified_for(request.user, asked=asked_deidentified(request.GET))
    response = HttpResponse(dictionary_csv(dataset, deidentified=deidentified), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-dictionary.csv"'
    return response


def asked_deidentified(query) -> bool:
    """``?deidentified=1`` (or true, yes): a user who may see PHI asks for the de-identified file."""
    return query.get("deidentified", "").lower() in ("1", "true", "yes")


def _download(chunks, filename: str, content_type: str, export) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Export-Id"] = str(export.pk)
    return response


def _suffix(deidentified: bool) -> str:
    return "-deidentified" if deidentified else ""


def dataset_download(user, dataset, query) -> StreamingHttpResponse:
    """Start the export of ``dataset`` and stream its CSV (the page's link and the API alike)."""
    deidentified = deidentified_for(user, asked=asked_deidentified(query))
    export, chunks = dataset_export_csv(actor=user, dataset=dataset, deidentified=deidentified)
    return _download(chunks, f"{dataset.name}{_suffix(deidentified)}.csv", "text/csv; charset=utf-8", export)


def study_download(user, query) -> StreamingHttpResponse:
    """Start the export of the whole study and stream its ZIP (the page's button and the API alike)."""
    deidentified = deidentified_for(user, asked=asked_deidentified(query))
    export, chunks = study_export_zip(actor=user, deidentified=deidentified)
    filename = f"{trial_by_nct_id().nct_id}-study{_suffix(deidentified)}.zip"
    return _download(chunks, filename, "application/zip", export)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def dataset_csv(request, name):
    """The dataset as CSV, streamed."""
    return dataset_download(request.user, _dataset(name), request.GET)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def study_zip(request):
    """The whole study as one ZIP (every dataset, its dictionary, the manifest), streamed."""
    return study_download(request.user, request.GET)


def job_file_response(export: Export, path) -> FileResponse:
    """The job's file as a download, with its SHA-256 in a header (the page and the API alike)."""
    fmt = FORMATS[export.format]
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=download_name(export))  # noqa: SIM115 (FileResponse closes it)
    response["Content-Type"] = fmt.content_type
    response["X-Export-Id"] = str(export.pk)
    response["X-Export-SHA256"] = export.sha256
    return response
