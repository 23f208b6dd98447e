"""Pages of the framework: the audit trail and signing of any registered record, and the health check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import selectors
from .forms import SignatureForm
from .redirects import next_url
from .registry import get_record
from .services import AUDIT_TRAIL_PERMISSION, signature_sign


@login_required
@permission_required(AUDIT_TRAIL_PERMISSION, raise_exception=True)
def record_history(request, label, pk):
    record = get_record(request.user, label, pk)
    return render(
        request,
        "core/history.html",
        {"record": record, "history": selectors.history_for(request.user, record)},
    )


@login_required
@require_POST
def record_sign(request, label, pk):
    """Sign a record; the form lives on the record's page, errors come back there."""
    record = get_record(request.user, label, pk)
    form = SignatureForm(request.POST)
    back = next_url(request, getattr(record, "get_absolute_url", lambda: "/")())
    if form.is_valid():
        try:
            signature_sign(
                record=record,
                actor=request.user,
                password=form.cleaned_data["password"],
                meaning=form.cleaned_data["meaning"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, f"Not signed: {message}")
        else:
            messages.success(request, "Record signed.")
    else:
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"Not signed: {form.fields[field].label}: {error}")
    return HttpResponseRedirect(back)


@require_GET
@never_cache
def healthz(request):
    """Liveness and database readiness for the load balancer and docker-compose."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
