"""Registries the apps fill in ``AppConfig.ready``: record types (and which await a signature), navigation, panels
of the patient and home pages.

Record types: which can be signed and have their audit trail shown, and how to fetch one for a user.

Each app registers its record types in ``AppConfig.ready`` with a getter that applies the
user's site scope (and raises Http404 for another site's record). Generic pages and API
endpoints for signatures and history look the record up here, so they never bypass scoping.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

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


def record_types() -> list[RecordType]:
    """Every registered record type, by label (the home page counts their recent changes)."""
    return sorted(_registry.values(), key=lambda t: t.label)


# --- Records awaiting a signature -------------------------------------------------------------------
# Of the signable record types, those an investigator is expected to sign (their page carries the signature form
# and the trial asks for it); each app registers its own in AppConfig.ready. The home page lists the records of
# the user's sites that have no valid signature yet (never signed, or voided by a later change).


@dataclass(frozen=True)
class SignatureExpected:
    label: str  # "app_label.modelname"
    model: type
    heading: str  # what the records are, plural, in the user's words ("Eligibility assessments")
    records: Callable  # (user) -> queryset of the user's sites' records expected to be signed, newest first
    permission: str  # the permission the records' pages require
    order: int
    describe: Callable = str  # (record) -> the record in a few words, naming its patient


_signature_expected: dict[str, SignatureExpected] = {}


def register_signature_expected(model, *, heading: str, records, permission: str, order: int, describe=str):
    """Ask for a signature on every record of ``model`` that ``records(user)`` returns (listed until signed)."""
    label = model._meta.label_lower
    _signature_expected[label] = SignatureExpected(label, model, heading, records, permission, order, describe)


def signatures_expected() -> list[SignatureExpected]:
    return sorted(_signature_expected.values(), key=lambda s: (s.order, s.label))


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


HOME_PANEL_ROWS = 5  # a home panel lists at most this many rows, with a link to its full page


def first_rows(queryset, rows: int = HOME_PANEL_ROWS) -> tuple[int, list]:
    """A home panel's reading of ``queryset``: how many, and the first ``rows`` (no second query when none)."""
    count = queryset.count()
    return count, list(queryset[:rows]) if count else []


def register_home_panel(name: str, *, template: str, context, order: int):
    register_panel(HOME_PAGE, name, template=template, context=context, order=order)


def home_panels() -> list[Panel]:
    return panels(HOME_PAGE)


# --- Withdrawal of records entered in error -----------------------------------------------------------
# Each app registers, in AppConfig.ready, the record types a user may withdraw when they were entered in error:
# the app's ``<thing>_withdraw`` service and the check saying why one record cannot be withdrawn. The generic
# page (``core:withdraw``) and API action look the record type up here; ``core.withdrawal`` holds the rest.


@dataclass(frozen=True)
class Withdrawal:
    label: str  # "app_label.modelname"
    model: type
    withdraw: Callable  # (*, actor, record, reason) -> None: the app's service (site, rule, audited write)
    can_withdraw: Callable  # (record) -> str | None: why this record cannot be withdrawn; None when it can
    back_url: Callable  # (record) -> the page to return to once it is withdrawn (read before the withdrawal)
    permission: str
    effect: str  # what withdrawing does, shown on the confirmation page


_withdrawals: dict[str, Withdrawal] = {}

WITHDRAWN_EFFECT = (
    "The record is removed from every list; its last values, who withdrew it, when and why stay in its audit trail."
)


def register_withdrawal(
    model, *, back_url, withdraw=None, can_withdraw=None, check_site=None, permission=None, effect=WITHDRAWN_EFFECT
):
    """Let users holding ``permission`` (by default ``core.withdraw_records``) withdraw records of ``model``.

    ``withdraw`` and ``can_withdraw`` are the app's service and rule; a record type nothing else is built on gives
    only ``check_site(actor, record)`` and is withdrawn by :func:`core.withdrawal.unreferenced_record_withdraw`
    (refused while other records refer to it)."""
    from .withdrawal import WITHDRAW_PERMISSION, referring_records, unreferenced_record_withdraw

    if withdraw is None:
        withdraw = partial(unreferenced_record_withdraw, check_site=check_site)
        can_withdraw = referring_records
    label = model._meta.label_lower
    _withdrawals[label] = Withdrawal(
        label, model, withdraw, can_withdraw, back_url, permission or WITHDRAW_PERMISSION, effect
    )


def withdrawal_for(label_or_instance) -> Withdrawal | None:
    """The withdrawal registered for a record type (a label or a record), None when it cannot be withdrawn."""
    label = label_or_instance if isinstance(label_or_instance, str) else label_or_instance._meta.label_lower
    return _withdrawals.get(label.lower())


def withdrawals() -> list[Withdrawal]:
    return sorted(_withdrawals.values(), key=lambda w: w.label)
