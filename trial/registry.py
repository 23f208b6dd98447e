"""Which record types can be signed and have their audit trail shown, and how to fetch one for a user.

Each app registers its record types in ``AppConfig.ready`` with a getter that applies the
user's site scope (and raises Http404 for another site's record). Generic pages and API
endpoints for signatures and history look the record up here, so they never bypass scoping.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import Http404


@dataclass(frozen=True)
class RecordType:
    label: str  # "app_label.modelname"
    model: type
    getter: Callable  # (user, pk) -> instance, raising Http404
    hidden_fields_for: Callable  # (user) -> set of field attnames the user may not see


_registry: dict[str, RecordType] = {}


def register(model, getter, hidden_fields_for=lambda user: set()):
    label = model._meta.label_lower
    _registry[label] = RecordType(label, model, getter, hidden_fields_for)


def record_type(label: str) -> RecordType:
    try:
        return _registry[label.lower()]
    except KeyError as exc:
        raise Http404("Unknown record type") from exc


def record_type_for(instance) -> RecordType:
    return record_type(instance._meta.label_lower)


def get_record(user, label: str, pk):
    return record_type(label).getter(user, pk)
