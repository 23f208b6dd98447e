"""Checks every service makes before it writes: only the fields it takes, no date in the future, every problem
at once."""

import logging

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

logger = logging.getLogger(__name__)

UNKNOWN_FIELD = "Unknown field."
IN_FUTURE = "This date is in the future."
NOT_A_NUMBER = "Enter a number."  # Django's form message for a non-number; the API's number inputs say it too


def refuse_unknown_fields(values, allowed, message: str = UNKNOWN_FIELD) -> None:
    """Refuse, field by field, the names in ``values`` that are not in ``allowed``."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), message))


def with_model_errors(instance, errors: dict) -> dict:
    """``errors`` ({field: message}, found by the service) completed with the model's own ``full_clean`` of the
    other fields (the first message of each), so a form or API client sees every problem at once."""
    try:
        instance.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages[0])
    return errors


def error_lists(exc: ValidationError) -> dict[str, list[str]]:
    """A ValidationError as {field: [messages]}; errors about no field are under ``NON_FIELD_ERRORS``."""
    if hasattr(exc, "error_dict"):
        return {field: [m for error in errors for m in error.messages] for field, errors in exc.error_dict.items()}
    return {NON_FIELD_ERRORS: list(exc.messages)}


def trial_run_errors(call) -> dict[str, list[str]]:
    """What ``call()`` (a service call) refuses, found by running it in a transaction that is always rolled back:
    nothing it writes, no audit row, flag, queued task or e-mail (on-commit callbacks of a rolled-back savepoint are
    discarded) survives. Returns {field: [messages]}, empty when the service would have accepted the values.

    Used when parsing a form or an API payload already found errors, so the service's own rules (cross-field,
    dates, the patient's state) are reported in the same answer. A service that cannot even run on the values that
    parsed (it fails other than with a ValidationError) adds nothing: the parse errors stand alone."""
    try:
        with transaction.atomic():
            try:
                call()
            finally:
                transaction.set_rollback(True)
    except ValidationError as exc:
        return error_lists(exc)
    except Exception:  # noqa: BLE001 - a trial run on partial values may fail in any way; its parse errors stand
        logger.debug("Trial run of a service on partly parsed values failed", exc_info=True)
    return {}


def merge_errors(parse_errors: dict, service_errors: dict[str, list[str]], *, non_field_key: str = NON_FIELD_ERRORS):
    """Every problem at once: the parse errors ({field: [messages]}), then the service's messages for the fields
    that parsed (a field that failed parsing keeps only its parse error: the service saw it empty, so its
    "required" or range message would be about a value the user did not type). Errors about no field are joined;
    a message is given once."""
    merged = {field: list(m) if isinstance(m, list | tuple) else m for field, m in parse_errors.items()}
    for field, messages in service_errors.items():
        key = non_field_key if field in (NON_FIELD_ERRORS, None, "non_field_errors") else field
        if key in parse_errors and key != non_field_key:
            continue
        known = merged.setdefault(key, [])
        for message in messages:
            if str(message) not in {str(m) for m in known}:
                known.append(message)
    return merged


def with_field_errors(model, values: dict, errors: dict) -> dict:
    """``errors`` ({field: message}) completed with the model field's own check (type, required, range) of each
    value in ``values`` ({field: value}) that has no error yet, for a service that checks values before it can
    build the whole record."""
    for name, value in values.items():
        if name in errors:
            continue
        try:
            model._meta.get_field(name).clean(value, None)
        except ValidationError as exc:
            errors[name] = exc.messages[0]
    return errors


INVALID_CHOICE = '"{input}" is not a valid choice. Valid: {valid}.'


def invalid_choice_message(value, codes) -> str:
    """The message for a value that is not one of a choice field's codes, listing the codes (the same through
    the form and the API)."""
    return INVALID_CHOICE.format(input=value, valid=", ".join(str(c) for c in codes if c not in ("", None)))
