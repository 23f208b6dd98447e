"""The exports page: every dataset with its data dictionary and CSV download, and your last exports."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

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
    deidentified = deidentified_for(request.user, asked=request.GET.get("deidentified") == "1")
    response = HttpResponse(dictionary_csv(dataset, deidentified=deidentified), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-dictionary.csv"'
    return response


@login_required
@permission_required(PERMISSION, raise_exception=True)
def dataset_csv(request, name):
    """The dataset as CSV, streamed (the page's download link; scripts use the API)."""
    deidentified = deidentified_for(request.user, asked=request.GET.get("deidentified") == "1")
    _export, chunks = dataset_export_csv(actor=request.user, dataset=_dataset(name), deidentified=deidentified)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    suffix = "-deidentified" if deidentified else ""
    response["Content-Disposition"] = f'attachment; filename="{name}{suffix}.csv"'
    return response


@login_required
@permission_required(PERMISSION, raise_exception=True)
def study_zip(request):
    """The whole study as one ZIP (every dataset, its dictionary, the manifest), streamed."""
    from .api import zip_response

    deidentified = deidentified_for(request.user, asked=request.GET.get("deidentified") == "1")
    export, chunks = study_export_zip(actor=request.user, deidentified=deidentified)
    return zip_response(export, chunks, deidentified)
