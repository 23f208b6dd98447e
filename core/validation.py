"""Checks every service makes before it writes: only the fields it takes, no date in the future, every problem
at once."""

from django.core.exceptions import ValidationError

UNKNOWN_FIELD = "Unknown field."
IN_FUTURE = "This date is in the future."


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
