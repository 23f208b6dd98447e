"""The safety pages: the flags of the user's sites (urgent first, active by default, filtered by rule, status,
severity, patient and site) and a flag's page with its message, risk window, evidence, status history and the
forms to acknowledge, resolve or dismiss it.

Every read goes through ``safety.selectors`` (scoped to the user's sites: another site's flag is a 404) and every
write through ``safety.services``; a service's ValidationError comes back next to the field it names, so a nurse
who tries to dismiss reads the service's own message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.forms import submit
from core.paging import paginate
from core.selectors import history_for
from trial.selectors import sites_for_user

from . import selectors, services
from .choices import ACTIVE_STATUSES, FlagStatus, Severity
from .forms import FlagAcknowledgeForm, FlagDismissForm, FlagFilterForm, FlagResolveForm
from .rules import all_rules

LIST_PAGE_SIZE = 100
SEVERITY_RANK = Case(
    When(severity=Severity.URGENT, then=Value(0)),
    When(severity=Severity.WARNING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
STATUS_RANK = Case(
    When(status=FlagStatus.OPEN, then=Value(0)),
    When(status=FlagStatus.ACKNOWLEDGED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
FORM_PREFIXES = {"acknowledge": "ack", "resolve": "resolve", "dismiss": "dismiss"}


def urgent_first(flags):
    """Urgent before warnings before information; within a severity, open before acknowledged, newest first."""
    return flags.alias(severity_rank=SEVERITY_RANK, status_rank=STATUS_RANK).order_by(
        "severity_rank", "status_rank", "-raised_at", "id"
    )


@login_required
@permission_required("safety.view_flag", raise_exception=True)
def flag_list(request):
    sites = list(sites_for_user(request.user).order_by("code"))
    form = FlagFilterForm(request.GET or None, rules=all_rules(), sites=sites)
    filters = form.filters()
    subject_id = filters.pop("subject_id")
    flags = selectors.flags_for(request.user, **filters)
    if subject_id:
        flags = flags.filter(patient__subject_id__iexact=subject_id)
    page, query = paginate(request, urgent_first(flags), LIST_PAGE_SIZE)
    return render(
        request,
        "safety/flag_list.html",
        {
            "form": form,
            "flags": page.object_list,
            "page": page,
            "total": page.paginator.count,
            "showing_active": filters["status"] == "active",
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "several_sites": len(sites) > 1,
            "query": query,
        },
    )


def status_history(user, flag):
    """The audit entries that raised the flag or changed its status, oldest first."""
    rows = []
    for entry in history_for(user, flag):
        change = next((c for c in entry.changes if c.field == "status"), None)
        if entry.action == "created" or change is not None:
            status = change.new if change is not None else flag.get_status_display()
            rows.append({"at": entry.at, "user": entry.user, "status": status, "reason": entry.reason})
    return rows


def _forms(bound=None):
    forms = {
        "acknowledge": FlagAcknowledgeForm(prefix=FORM_PREFIXES["acknowledge"]),
        "resolve": FlagResolveForm(prefix=FORM_PREFIXES["resolve"]),
        "dismiss": FlagDismissForm(prefix=FORM_PREFIXES["dismiss"]),
    }
    if bound is not None:
        forms[bound[0]] = bound[1]
    return forms


def _detail(request, flag, *, bound=None, status=200):
    forms = _forms(bound)
    return render(
        request,
        "safety/flag_detail.html",
        {
            "flag": flag,
            "patient": flag.patient,
            "active": flag.status in ACTIVE_STATUSES,
            "history": status_history(request.user, flag),
            "record_label": flag._meta.label_lower,
            "acknowledge_form": forms["acknowledge"],
            "resolve_form": forms["resolve"],
            "dismiss_form": forms["dismiss"],
        },
        status=status,
    )


@login_required
@permission_required("safety.view_flag", raise_exception=True)
def flag_detail(request, pk):
    return _detail(request, selectors.flag_get(request.user, pk))


def _act(request, pk, name, form_class, service, done):
    flag = selectors.flag_get(request.user, pk)
    form = form_class(request.POST, prefix=FORM_PREFIXES[name])
    if submit(form, lambda data: service(actor=request.user, flag=flag, **data), record=flag) is not None:
        messages.success(request, done)
        return redirect(flag.get_absolute_url())
    return _detail(request, flag, bound=(name, form), status=400)


@login_required
@permission_required("safety.change_flag", raise_exception=True)
@require_POST
def flag_acknowledge(request, pk):
    return _act(
        request,
        pk,
        "acknowledge",
        FlagAcknowledgeForm,
        services.flag_acknowledge,
        "Flag acknowledged; it stays in the active list until it is resolved.",
    )


@login_required
@permission_required("safety.change_flag", raise_exception=True)
@require_POST
def flag_resolve(request, pk):
    return _act(request, pk, "resolve", FlagResolveForm, services.flag_resolve, "Flag resolved.")


@login_required
@permission_required("safety.change_flag", raise_exception=True)
@require_POST
def flag_dismiss(request, pk):
    return _act(
        request,
        pk,
        "dismiss",
        FlagDismissForm,
        services.flag_dismiss,
        "Flag dismissed; the rule will not raise it again.",
    )
