"""Parsing an API payload and calling its service in one answer: every problem at once, not in rounds.

A payload with errors of its own (a non-number, an unknown choice) is not written, but the values that parsed are
still given to the service in a transaction that is always rolled back, so the service's cross-field and date rules
come in the same 400 (the API's side of ``core.forms.submit``)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import ManyRelatedField
from rest_framework.settings import api_settings

from core.validation import merge_errors, trial_run_errors


def empty_value(field):
    """What a serializer field that could not be parsed is tried as: "" for text and choices, [] for lists, else
    None (the same as ``core.forms.empty_value`` for the form's fields)."""
    if isinstance(field, serializers.MultipleChoiceField | serializers.ListField | ManyRelatedField):
        return []
    if isinstance(field, serializers.ChoiceField | serializers.CharField):
        return ""
    return None


def parsed_values(payload) -> dict:
    """The payload's values field by field: each that parses as it would be validated, each that does not as its
    empty value, each left out of a partial payload left out."""
    values = {}
    for field in payload._writable_fields:
        try:
            value = field.run_validation(field.get_value(payload.initial_data))
            check = getattr(payload, f"validate_{field.field_name}", None)
            if check is not None:
                value = check(value)
        except SkipField:
            continue
        except (exceptions.ValidationError, DjangoValidationError):
            value = empty_value(field)
        payload.set_value(values, field.source_attrs, value)
    return values


def validated(payload, call) -> dict:
    """``payload``'s validated data; when it has errors, a 400 with them and with what ``call(values)`` (the
    service call the values are for) refuses of the values that parsed, tried in a rolled-back transaction."""
    if payload.is_valid():
        return dict(payload.validated_data)
    errors = dict(payload.errors)

    def trial():
        values = parsed_values(payload)
        try:
            values = payload.validate(values)
        except exceptions.ValidationError as exc:
            raise DjangoValidationError(_as_django(exc.detail)) from None
        call(values)

    found = trial_run_errors(trial)
    raise exceptions.ValidationError(merge_errors(errors, found, non_field_key=api_settings.NON_FIELD_ERRORS_KEY))


def _as_django(detail):
    if isinstance(detail, dict):
        return {
            ("__all__" if key == api_settings.NON_FIELD_ERRORS_KEY else key): [str(m) for m in _messages(value)]
            for key, value in detail.items()
        }
    return [str(m) for m in _messages(detail)]


def _messages(detail):
    if isinstance(detail, list | tuple):
        for item in detail:
            yield from _messages(item)
    elif isinstance(detail, dict):
        for value in detail.values():
            yield from _messages(value)
    else:
        yield detail
