"""Registries the apps fill in ``AppConfig.ready``: record types, navigation, panels of the patient and home pages.

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


# --- Panels of pages owned by a lower app ------------------------------------------------------------
# Some pages show what apps above their owner know: the patient's page (in ``patients``) shows courses,
# responses, AEs and flags; the home page (in ``trial``) shows enrolment. Each app registers its panel in
# AppConfig.ready, so the page's owner names none of them.


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable  # (template context, *the page's objects) -> dict; {"show": False} hides the panel
    order: int


PATIENT_PAGE = "patient"  # context(template context, patient)
HOME_PAGE = "home"  # context(template context)

_panels: dict[str, dict[str, Panel]] = {PATIENT_PAGE: {}, HOME_PAGE: {}}


def register_panel(page: str, name: str, *, template: str, context, order: int):
    """Add a panel to ``page`` (``PATIENT_PAGE`` or ``HOME_PAGE``), rendered from ``template`` with ``context``."""
    if page not in _panels:
        raise ValueError(f"No page {page!r} takes panels; pages: {', '.join(sorted(_panels))}.")
    _panels[page][name] = Panel(name, template, context, order)


def panels(page: str) -> list[Panel]:
    return sorted(_panels[page].values(), key=lambda p: (p.order, p.name))


def register_patient_panel(name: str, *, template: str, context, order: int):
    register_panel(PATIENT_PAGE, name, template=template, context=context, order=order)


def patient_panels() -> list[Panel]:
    return panels(PATIENT_PAGE)


def register_home_panel(name: str, *, template: str, context, order: int):
    register_panel(HOME_PAGE, name, template=template, context=context, order=order)


def home_panels() -> list[Panel]:
    return panels(HOME_PAGE)
