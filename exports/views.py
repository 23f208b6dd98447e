"""The exports page: every dataset with its data dictionary and CSV download, and your last exports."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from trial.selectors import trial_by_nct_id

from .datasets import DATASETS
from .models import Export
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
            "deidentified": deidentified,
            "may_see_phi": not deidentified_for(request.user, asked=False),
            "recent": recent,
        },
    )


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
