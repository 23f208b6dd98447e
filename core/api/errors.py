"""One error shape for every API error.

    {"errors": [{"field": "dose_amount", "code": "min_value", "message": "…"}, …]}

``field`` is null for errors about the request as a whole. Django ``ValidationError`` raised by
services is converted, so the API gives the same messages as the forms.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

API_PREFIX = "/api/"
SERVER_ERROR = "The server could not answer this request; it has been logged. Try again, or tell the data manager."
DERIVED_NOT_TYPED = "This value is derived from the others and cannot be entered."


def refuse_input(data, refused: dict):
    """A 400 naming each field sent in ``data`` that may not be entered here (rather than ignoring it);
    ``refused`` maps such a field to the message saying why (derived, set by another action, …)."""
    sent = {name: message for name, message in refused.items() if name in data}
    if sent:
        raise exceptions.ValidationError(sent)


def _flatten(detail, field=None):
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = key if key not in ("non_field_errors", "__all__") else None
            out.extend(_flatten(value, f"{field}.{name}" if field and name else (name or field)))
        return out
    if isinstance(detail, list):
        out = []
        for item in detail:
            out.extend(_flatten(item, field))
        return out
    return [{"field": field, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def django_validation_error_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        detail = {
            (key if key != "__all__" else "non_field_errors"): [m for e in errors for m in e.messages]
            for key, errors in exc.error_dict.items()
        }
    else:
        detail = {"non_field_errors": exc.messages}
    return exceptions.ValidationError(detail)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_error_to_drf(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(response.data)
    else:
        errors = [{"field": None, "code": getattr(exc.detail, "code", exc.default_code), "message": str(exc.detail)}]
    response.data = {"errors": errors}
    return response


def _request_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"errors": [{"field": None, "code": code, "message": message}]}, status=status)


def not_found(request, exception):
    """``handler404``: an API path no route matches (``/api/v1/exports/abc/``) answers in the error shape; a page
    gets the site's 404 page."""
    if request.path.startswith(API_PREFIX):
        return _request_error(404, "not_found", str(exceptions.NotFound.default_detail))
    return defaults.page_not_found(request, exception)


def server_error(request):
    """``handler500``: an API client gets the error shape (never an HTML page); a page gets the site's 500 page."""
    if request.path.startswith(API_PREFIX):
        return _request_error(500, "error", SERVER_ERROR)
    return defaults.server_error(request)
