"""Pages of the framework: the audit trail and signing of any registered record, and the health check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import selectors
from .forms import SignatureForm, add_service_errors
from .redirects import next_url
from .registry import get_record, record_type, withdrawal_for
from .services import AUDIT_TRAIL_PERMISSION, signature_sign
from .withdrawal import NOT_ALLOWED_TO_WITHDRAW, WithdrawForm, record_summary, record_withdraw, withdrawn_history


@login_required
@permission_required(AUDIT_TRAIL_PERMISSION, raise_exception=True)
def record_history(request, label, pk):
    try:
        record = get_record(request.user, label, pk)
    except Http404:
        title, history = withdrawn_history(request.user, label, pk)  # a withdrawn record: its trail stays
        return render(request, "core/history.html", {"record": title, "history": history})
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


@login_required
def record_withdraw_page(request, label, pk):
    """Withdraw a record entered in error: the record's values and a reason; POST withdraws it."""
    entry = withdrawal_for(record_type(label).label)
    if entry is None:
        raise Http404("This record type cannot be withdrawn.")
    if not request.user.has_perm(entry.permission):
        raise PermissionDenied(NOT_ALLOWED_TO_WITHDRAW)
    record = get_record(request.user, label, pk)
    refusal = entry.can_withdraw(record)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        back = entry.back_url(record)
        description = str(record)
        try:
            record_withdraw(actor=request.user, record=record, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Withdrawn (entered in error): {description}. Its audit trail keeps it.")
            return HttpResponseRedirect(back)
    context = {
        "record": record,
        "summary": record_summary(request.user, record),
        "refusal": refusal,
        "effect": entry.effect,
        "form": form,
        "history_url": reverse("core:record-history", args=[record._meta.label_lower, record.pk]),
        "cancel_url": getattr(record, "get_absolute_url", lambda: entry.back_url(record))(),
    }
    return render(request, "core/withdraw.html", context, status=400 if form.errors else 200)


@require_GET
@never_cache
def healthz(request):
    """Liveness and database readiness for the load balancer and docker-compose."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
