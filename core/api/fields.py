"""Serializer fields every app's API uses: links to a record's audit trail and signatures, site-scoped ids, the
reason for change."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from core.validation import NOT_A_NUMBER, invalid_choice_message

# A decimal input of any size and precision: the type only, the ranges are the model's (checked by the service,
# so the API and the form give the same message).
# A non-number gets the form's message ("Enter a number."), so the form and the API say the same.
DECIMAL_INPUT = {"max_digits": None, "decimal_places": None, "error_messages": {"invalid": NOT_A_NUMBER}}
REASON_FOR_CHANGE = "Reason for change (needed to change a saved value)."


class ReasonForChangeField(serializers.CharField):
    """The reason for change every correction (PATCH) of a saved record carries; the service asks for it when a
    saved value changes (the API's side of ``core.forms.ReasonForChangeMixin``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("help_text", REASON_FOR_CHANGE)
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.STR)
class RecordUrlField(serializers.Field):
    """The URL of one of the framework's per-record views (``view_name``) for the object serialized."""

    view_name = ""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, obj) -> str:
        return reverse(self.view_name, args=[obj._meta.label_lower, obj.pk], request=self.context.get("request"))


class HistoryUrlField(RecordUrlField):
    """The record's audit trail: every create, change and delete with who, when, why, old and new values."""

    view_name = "api-record-history"


class SignaturesUrlField(RecordUrlField):
    """The record's electronic signatures."""

    view_name = "api-record-signatures"


class SiteScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id of a record of one of the caller's sites: another site's id is refused as an unknown one.

    ``queryset`` is the model's site-scoped queryset (``Model.objects``, with a ``for_user`` method); it is
    restricted to the request's user when the field is bound, so no serializer repeats that step.
    """

    def get_queryset(self):
        request = self.context.get("request")
        return super().get_queryset().for_user(request.user if request else None)


NAIVE_DATETIME = (
    "Give the time with its time zone: {example}Z for UTC, or an offset such as {example}+01:00. "
    "A time without a zone is ambiguous across sites."
)
WITH_TIME_ZONE = " An ISO 8601 date and time with its time zone (Z or ±hh:mm); a time without one is refused."


class AwareDateTimeField(serializers.DateTimeField):
    """A date and time the client must give with its time zone: a naive value is refused, never guessed."""

    default_error_messages = {"naive": NAIVE_DATETIME}

    def __init__(self, **kwargs):
        kwargs["help_text"] = (kwargs.get("help_text") or "").rstrip() + WITH_TIME_ZONE
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if isinstance(value, str) and parse_datetime_naive(value):
            self.fail("naive", example=value.strip()[:19])
        return parsed


def parse_datetime_naive(text: str) -> bool:
    """Whether an ISO 8601 text is a date and time without a time zone."""
    from django.utils.dateparse import parse_datetime

    try:
        moment = parse_datetime(text.strip())
    except ValueError:
        return False
    return moment is not None and moment.tzinfo is None


class ChoiceField(serializers.ChoiceField):
    """A choice whose refusal lists the valid codes ('"x" is not a valid choice. Valid: iv, it, sc, po.'); every
    serializer uses it (or :class:`MultipleChoiceField`) rather than DRF's, and the OpenAPI schema gives its
    ``enum``. A field given its own ``invalid_choice`` message (one that names the choices in words) keeps it."""

    def __init__(self, *args, **kwargs):
        self.own_invalid_choice = "invalid_choice" in (kwargs.get("error_messages") or {})
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        try:
            return self.choice_strings_to_values[str(data)]
        except KeyError:
            if self.own_invalid_choice:
                self.fail("invalid_choice", input=data)
            raise serializers.ValidationError(
                invalid_choice_message(data, self.choice_strings_to_values), code="invalid_choice"
            ) from None


class MultipleChoiceField(serializers.MultipleChoiceField, ChoiceField):
    """Several choices; a refused one is named with the valid codes (DRF's list handling calls
    :meth:`ChoiceField.to_internal_value` for each item)."""
