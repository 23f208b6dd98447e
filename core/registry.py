"""Registries the apps fill in ``AppConfig.ready``: record types, navigation, patient-page panels.

Record types: which can be signed and have their audit trail shown, and how to fetch one for a user.

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


# --- Navigation -------------------------------------------------------------------------------------
# Each app adds its entries in AppConfig.ready, so the layout names no app.


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    permission: str | None  # None: every signed-in user
    order: int
    counter: Callable | None = None  # (user) -> int shown as a badge beside the entry


_nav: dict[str, NavEntry] = {}


def register_nav(label: str, url_name: str, permission: str | None = None, *, order: int, counter=None):
    """Add an entry to the main navigation, shown to users holding ``permission``."""
    _nav[label] = NavEntry(label, url_name, permission, order, counter)


def nav_entries() -> list[NavEntry]:
    return sorted(_nav.values(), key=lambda e: (e.order, e.label))


# --- Panels of the patient's page ---------------------------------------------------------------------
# The patient's page (in ``patients``) shows what the apps above it know of the patient: each app
# registers a panel in AppConfig.ready, so ``patients`` names none of them.


@dataclass(frozen=True)
class PatientPanel:
    name: str
    template: str
    context: Callable  # (template context, patient) -> dict; {"show": False} hides the panel
    order: int


_patient_panels: dict[str, PatientPanel] = {}


def register_patient_panel(name: str, *, template: str, context, order: int):
    _patient_panels[name] = PatientPanel(name, template, context, order)


def patient_panels() -> list[PatientPanel]:
    return sorted(_patient_panels.values(), key=lambda p: (p.order, p.name))
