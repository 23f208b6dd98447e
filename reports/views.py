"""Pages of the investigator dashboards: every page takes the same filters (:mod:`reports.filters`) and prints the
data cut-off and the time of computation on every table and figure."""

import csv

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from trial.selectors import trial_home

from . import plots, selectors
from .cache import cached_report
from .filters import cox_covariate_form, filter_form

PERMISSION = "reports.view_reports"
DASHBOARD = "dashboard"
CSV_COLUMNS = [
    "curve", "time_months", "survival", "ci_lower_95", "ci_upper_95", "at_risk", "events", "censored",
    "data_cutoff", "computed_at",
]  # fmt: skip


def report_for(user, filters, kind: str, build, *params):
    """What ``build(cohort, *params)`` returns for these filters, from the cache while the data are unchanged
    (:mod:`reports.cache`); ``kind`` and ``params`` name the report."""
    return cached_report(kind, user, filters, lambda: build(selectors.cohort(user, filters), *params), *params)


def _page(request, template, kind, build, *params, **context):
    """Render ``template`` with the filter form and, when the filters are valid, the report ``kind`` (built by
    ``build(cohort, *params)`` unless cached)."""
    form = filter_form(request.user, request.GET)
    report = None
    if form.is_valid():
        filters = form.filters()
        report = report_for(request.user, filters, kind, build, *params)
        context["query"] = filters.query_string()
    return render(request, template, {"form": form, "report": report, **context})


def _endpoint(endpoint: str):
    if endpoint not in selectors.ENDPOINTS:
        raise Http404("No such endpoint.")
    return endpoint


@login_required
@permission_required(PERMISSION, raise_exception=True)
def index(request):
    """The dashboard: the patients in scope, response rate and median overall survival, with links to each table."""

    return _page(request, "reports/index.html", DASHBOARD, selectors.dashboard)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def table1(request):
    return _page(request, "reports/table1.html", "table1", selectors.table1)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def table2(request):
    return _page(request, "reports/table2.html", "table2", selectors.table2)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def survival(request, endpoint="os"):
    endpoint = _endpoint(endpoint)
    return _page(
        request,
        "reports/survival.html",
        "survival",
        selectors.survival,
        endpoint,
        endpoint=endpoint,
        endpoints=selectors.ENDPOINTS.values(),
        rate_months=[12.0 * y for y in selectors.RATE_YEARS],
    )


def cox_choices(user) -> dict[str, str]:
    return selectors.cox_covariates([selectors.version_label(v) for v in trial_home(user)["versions"]])


@login_required
@permission_required(PERMISSION, raise_exception=True)
def cox(request, endpoint="os"):
    """Cox regression of OS or RFS on SCT (time-dependent) and the Table 1 covariates the user picks."""
    endpoint = _endpoint(endpoint)
    picker = cox_covariate_form(request.GET, cox_choices(request.user))
    context = {
        "endpoint": endpoint,
        "endpoints": selectors.ENDPOINTS.values(),
        "picker": picker,
        "active": f"cox-{endpoint}",
    }
    if not picker.is_valid():
        return render(request, "reports/cox.html", {"form": filter_form(request.user, request.GET), **context})
    return _page(request, "reports/cox.html", "cox", selectors.cox, endpoint, picker.picked(), **context)


def _filter_errors(form) -> HttpResponse:
    """A 400 naming each filter that is wrong (an image or a CSV has no form to show the errors on)."""
    message = "; ".join(f"{form[name].label}: {' '.join(errors)}" for name, errors in form.errors.items())
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _survival_or_400(request, endpoint):
    form = filter_form(request.user, request.GET)
    if not form.is_valid():
        return None, _filter_errors(form)
    return report_for(request.user, form.filters(), "survival", selectors.survival, _endpoint(endpoint)), None


@login_required
@permission_required(PERMISSION, raise_exception=True)
def survival_image(request, endpoint, by, fmt):
    """The Kaplan–Meier figure as SVG or PNG (``by``: ``all`` or ``version``), same-origin for the strict CSP."""
    if fmt not in plots.FORMATS or by not in (plots.OVERALL, plots.BY_VERSION):
        raise Http404("No such figure.")
    report, error = _survival_or_400(request, endpoint)
    if error:
        return error
    response = HttpResponse(plots.render(plots.survival_figure(report, by=by), fmt), content_type=plots.FORMATS[fmt])
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{endpoint}-{by}.{fmt}"'
    return response


@login_required
@permission_required(PERMISSION, raise_exception=True)
def survival_csv(request, endpoint):
    """The figure's data: every time of each curve's event table with the estimate, its 95% CI and the counts."""
    report, error = _survival_or_400(request, endpoint)
    if error:
        return error
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{endpoint}-kaplan-meier.csv"'
    stamp = _stamp(report.cohort)
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for curve in report.curves:
        for p in curve.points:
            writer.writerow(
                [curve.label, f"{p.time:.2f}", f"{p.survival:.4f}", f"{p.lower:.4f}", f"{p.upper:.4f}", p.at_risk,
                 p.events, p.censored, *stamp]
            )  # fmt: skip
    return response


SWIMMER_CSV_COLUMNS = [
    "subject_id", "protocol_version", "response_month", "mrd_negative_month", "transplant_month", "relapse_month",
    "followed_months", "died", "data_cutoff", "computed_at",
]  # fmt: skip


def _stamp(cohort) -> list[str]:
    cutoff = cohort.filters.cutoff
    return [cutoff.isoformat() if cutoff else "", cohort.computed_at.isoformat(timespec="seconds")]


def _month(value) -> str:
    return "" if value is None else f"{value:.2f}"


@login_required
@permission_required(PERMISSION, raise_exception=True)
def swimmer_csv(request):
    """The swimmer plot's data: one row per patient, months from the start of therapy (empty: not by the cut-off)."""
    form = filter_form(request.user, request.GET)
    if not form.is_valid():
        return _filter_errors(form)
    report = report_for(request.user, form.filters(), "swimmer", selectors.swimmer, _swimmer_sort(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="swimmer.csv"'
    writer = csv.writer(response)
    writer.writerow(SWIMMER_CSV_COLUMNS)
    for lane in report.lanes:
        writer.writerow(
            [lane.subject_id, lane.version, _month(lane.response), _month(lane.mrd_negative), _month(lane.transplant),
             _month(lane.relapse), _month(lane.months), "yes" if lane.died else "no", *_stamp(report.cohort)]
        )  # fmt: skip
    return response


def _swimmer_sort(request) -> str:
    sort = request.GET.get("sort", "version")
    return sort if sort in selectors.SWIMMER_SORTS else "version"


@login_required
@permission_required(PERMISSION, raise_exception=True)
def swimmer(request):
    """One lane per patient: response, MRD negativity, SCT, relapse, death or alive at last contact."""
    sort = _swimmer_sort(request)
    return _page(
        request,
        "reports/swimmer.html",
        "swimmer",
        selectors.swimmer,
        sort,
        sort=sort,
        sorts=selectors.SWIMMER_SORTS,
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
def swimmer_image(request, fmt):
    if fmt not in plots.FORMATS:
        raise Http404("No such figure.")
    form = filter_form(request.user, request.GET)
    if not form.is_valid():
        return _filter_errors(form)
    report = report_for(request.user, form.filters(), "swimmer", selectors.swimmer, _swimmer_sort(request))
    response = HttpResponse(plots.render(plots.swimmer_figure(report), fmt), content_type=plots.FORMATS[fmt])
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="swimmer.{fmt}"'
    return response


# --- Table 3 and the safety summary ---------------------------------------------------------------------


@login_required
@permission_required(PERMISSION, raise_exception=True)
def table3(request):
    """Grade 3–5 non-haematologic toxicity per term, each patient once at the worst grade, by all and by version."""
    from . import toxicity

    return _page(request, "reports/table3.html", "table3", lambda cohort: toxicity.table3(cohort, user=request.user))


@login_required
@permission_required(PERMISSION, raise_exception=True)
def safety(request):
    """SOS incidence (all patients and the SCT subgroup), last inotuzumab dose to SCT, and the open urgent flags."""
    from . import safety_summary

    return _page(
        request,
        "reports/safety.html",
        "safety",
        lambda cohort: safety_summary.safety_summary(cohort, user=request.user),
    )
