"""Withdrawing a record entered in error: one mechanism for every record type an app registers.

An app registers each withdrawable record type with ``registry.register_withdrawal`` (its ``<thing>_withdraw``
service and the check saying why a record cannot be withdrawn). The service checks the site, calls
:func:`check_withdrawal` (permission, reason, rule: every problem at once) and deletes through ``audited_delete``,
so the record's last values, who withdrew it, when and the reason stay in its history ('-' row) and its
signatures are voided. The page ``core:withdraw`` and the API action ``withdraw`` call :func:`record_withdraw`.

A withdrawn record has no page any more; :func:`withdrawn_history` reads its audit trail from the history rows,
scoped to the user's sites through the model's ``site_lookup``.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from . import registry
from .audit.trail import BOOKKEEPING_FIELDS, _display, history_entries
from .formatting import plain_number

WITHDRAW_PERMISSION = "core.withdraw_records"
NOT_ALLOWED_TO_WITHDRAW = "Your role does not allow you to withdraw records."
WITHDRAW_REASON_REQUIRED = "Give the reason for the withdrawal: what was entered in error."
NOT_WITHDRAWABLE = "Records of this type cannot be withdrawn."
OTHER_RECORDS_REFER = "Other records refer to this one ({records}); withdraw them first."
REASON_LABEL = "Reason for withdrawal"


class WithdrawForm(forms.Form):
    """The reason a record is withdrawn; required, but checked by the service so the API gives the same message."""

    reason = forms.CharField(
        label=REASON_LABEL,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was entered in error (e.g. “entered in the wrong record”, “duplicate of an earlier entry”).",
    )


def check_withdrawal(*, actor, reason: str, refusal: str | None) -> str:
    """Refuse the withdrawal unless ``actor`` may withdraw records, gives a reason and the record's rule allows it
    (``refusal``: why it cannot be withdrawn, or None). Every problem at once; returns the stripped reason."""
    if not actor.has_perm(WITHDRAW_PERMISSION):
        raise PermissionDenied(NOT_ALLOWED_TO_WITHDRAW)
    reason = (reason or "").strip()
    errors = {}
    if refusal:
        errors["__all__"] = refusal
    if not reason:
        errors["reason"] = WITHDRAW_REASON_REQUIRED
    if errors:
        raise ValidationError(errors)
    return reason


def referring_records(instance, *, ignore=()) -> str | None:
    """:data:`OTHER_RECORDS_REFER`, naming the kinds of record that still point at ``instance`` (other than those
    of the models in ``ignore``, which its service withdraws with it), or None when nothing does."""
    kinds = set()
    for relation in instance._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        model = relation.related_model
        if model in ignore or _is_history(model):
            continue
        if model._default_manager.filter(**{relation.field.name: instance}).exists():
            kinds.add(str(model._meta.verbose_name_plural))
    return OTHER_RECORDS_REFER.format(records=", ".join(sorted(kinds))) if kinds else None


@transaction.atomic
def unreferenced_record_withdraw(*, actor, record, reason: str, check_site) -> None:
    """Withdraw a record nothing else is built on (a lab value, an observation, a marrow evaluation, a follow-up):
    ``check_site(actor, record)`` (the app's site check), refused while other records refer to it
    (:func:`referring_records`), else deleted through the audited write path with the reason."""
    from .audit.writes import audited_delete

    check_site(actor, record)
    reason = check_withdrawal(actor=actor, reason=reason, refusal=referring_records(record))
    audited_delete(record, actor=actor, reason=reason)


def _is_history(model) -> bool:
    return any(f.name == "history_id" for f in model._meta.concrete_fields)


def withdraw_refusal(record) -> str | None:
    """Why ``record`` cannot be withdrawn (None when it can)."""
    entry = registry.withdrawal_for(record)
    if entry is None:
        return NOT_WITHDRAWABLE
    return entry.can_withdraw(record)


def may_withdraw(user, record) -> bool:
    """Whether to offer ``user`` the withdrawal of ``record``: a registered type, the permission, the rule allows it."""
    entry = registry.withdrawal_for(record)
    return entry is not None and user.has_perm(entry.permission) and entry.can_withdraw(record) is None


@transaction.atomic
def record_withdraw(*, actor, record, reason: str) -> None:
    """Withdraw ``record`` (entered in error) through its app's registered service."""
    entry = registry.withdrawal_for(record)
    if entry is None:
        raise ValidationError(NOT_WITHDRAWABLE)
    if not actor.has_perm(entry.permission):
        raise PermissionDenied(NOT_ALLOWED_TO_WITHDRAW)
    entry.withdraw(actor=actor, record=record, reason=reason)


def record_summary(user, record) -> list[tuple[str, object]]:
    """The record's filled-in values as (label, value), identifying values left out for roles without PHI access."""
    hidden = registry.record_type_for(record).hidden_fields_for(user)
    rows = []
    for fld in record._meta.concrete_fields:
        if fld.primary_key or fld.name in BOOKKEEPING_FIELDS or fld.attname in hidden or fld.name in hidden:
            continue
        value = getattr(record, fld.name, None) if fld.is_relation else getattr(record, fld.attname)
        if value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, Decimal):
            value = plain_number(value)
        elif hasattr(value, "signature_name"):
            value = value.signature_name
        label = str(fld.verbose_name)
        rows.append((label[:1].upper() + label[1:], _display(fld, value)))
    return rows


# --- The audit trail of a withdrawn record --------------------------------------------------------------------


def _site_id(obj, parts):
    """The site id reached from ``obj`` (a record or a history row) along ``parts`` of a site lookup; a parent that
    was withdrawn too is read from its own last history row."""
    name, rest = parts[0], parts[1:]
    related_id = getattr(obj, f"{name}_id", None)
    if not rest or related_id is None:
        return related_id
    model = obj._meta.get_field(name).related_model
    parent = model._default_manager.filter(pk=related_id).first()
    if parent is None:
        parent = model.history.filter(id=related_id).order_by("-history_date", "-history_id").first()
    return None if parent is None else _site_id(parent, rest)


def withdrawn_history(user, label: str, pk):
    """(title, entries) of the audit trail of a record that no longer exists (withdrawn), for a user of its site.
    Raises Http404 when there is no such deleted record at the user's sites."""
    record_type = registry.record_type(label)
    model = record_type.model
    history = getattr(model, "history", None)
    if history is None:
        raise Http404("No such record")
    rows = list(history.filter(id=pk).select_related("history_user").order_by("history_date", "history_id"))
    if not rows or rows[-1].history_type != "-" or model._default_manager.filter(pk=pk).exists():
        raise Http404("No such record")
    site_lookup = getattr(model._default_manager.get_queryset(), "site_lookup", None)
    if site_lookup is None:
        raise Http404("No such record")
    try:
        site_id = _site_id(rows[-1], site_lookup.split("__"))
    except ObjectDoesNotExist as exc:
        raise Http404("No such record") from exc
    if site_id is None or site_id not in user.site_ids():
        raise Http404("No such record")
    entries = history_entries(rows, model)
    hidden = record_type.hidden_fields_for(user)
    from .selectors import HIDDEN_VALUE

    for entry in entries:
        for change in entry.changes:
            if change.field in hidden:
                change.old = change.new = HIDDEN_VALUE
    try:
        title = f"{model._meta.verbose_name} {rows[-1].instance} (withdrawn)"
    except ObjectDoesNotExist:
        title = f"{model._meta.verbose_name} #{pk} (withdrawn)"
    return title, entries
