"""Writing and reading the audit trail.

Services write audited records only through these helpers, so that every write
(create, change, delete) is recorded with who, when, old and new values and the reason,
and so that a change to a signed record voids its signatures. Reads of a record's
history for the UI and the API go through :func:`record_history`.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

REASON_REQUIRED = "A reason for change is required when a saved value is changed."

# Callables told about every audited write (after it is saved, inside the transaction). Higher apps
# register here (e.g. the safety engine queues a re-evaluation on commit); trial imports none of them.
_change_listeners = []


def on_record_change(listener):
    """Register ``listener(instance)`` to be called after each audited create, change or delete."""
    if listener not in _change_listeners:
        _change_listeners.append(listener)


def _announce(instances):
    for listener in _change_listeners:
        for instance in instances:
            listener(instance)


NOTHING_CHANGED = "Nothing was changed."
CREATED_REASON = "Created"

# Fields that change on every save and say nothing about the clinical record.
BOOKKEEPING_FIELDS = frozenset({"created_at", "updated_at"})


def _is_empty(value):
    return value is None or value == "" or value == [] or value == {}


def _stamp(instance, actor, reason):
    instance._history_user = actor if getattr(actor, "is_authenticated", False) else None
    instance._change_reason = reason


def audited_create(instance, *, actor, reason=CREATED_REASON):
    """Validate and save a new record, writing its first history row."""
    instance.full_clean()
    _stamp(instance, actor, reason)
    instance.save()
    _announce([instance])
    return instance


@transaction.atomic
def audited_bulk_create(model, objs, *, actor, reason):
    """Create many records at once, with one history row each (for loaders and imports)."""
    from simple_history.utils import get_history_manager_for_model

    objs = list(objs)
    for obj in objs:
        obj.full_clean()
    created = model._default_manager.all()._audited().bulk_create(objs)
    if any(obj.pk is None for obj in created):
        raise RuntimeError("The database did not return primary keys; history cannot be linked.")
    get_history_manager_for_model(model).bulk_history_create(
        created,
        default_user=actor if getattr(actor, "is_authenticated", False) else None,
        default_change_reason=reason,
    )
    _announce(created)
    return created


def changed_fields(instance, changes):
    """The fields whose value would differ if ``changes`` were applied: {name: (old, new)}."""
    diff = {}
    for name, new in changes.items():
        fld = instance._meta.get_field(name)
        old = getattr(instance, fld.attname if fld.is_relation else name)
        new_cmp = new.pk if fld.is_relation and hasattr(new, "pk") else new
        if fld.is_relation is False:
            try:
                new_cmp = fld.to_python(new)
            except ValidationError:
                new_cmp = new
        if old != new_cmp:
            diff[name] = (old, new_cmp)
    return diff


@transaction.atomic
def audited_update(instance, *, actor, reason="", **changes):
    """Apply ``changes`` to a saved record, validate, save and record old/new values.

    A change to a value that was already saved needs a reason; filling in a blank value does not.
    Any valid signature on the record is voided by the change. Returns the record and the
    dict of changed fields ({name: (old, new)}); when nothing changed the record is not saved.
    """
    diff = changed_fields(instance, changes)
    if not diff:
        return instance, {}
    reason = (reason or "").strip()
    if not reason and any(not _is_empty(old) for old, _new in diff.values()):
        raise ValidationError({"reason": REASON_REQUIRED})
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.full_clean()
    _stamp(instance, actor, reason or "Blank value completed")
    instance.save()
    _announce([instance])
    from .services import signatures_void_for_change

    signatures_void_for_change(record=instance, actor=actor, reason=reason or "Record completed", changed=diff)
    return instance, diff


@transaction.atomic
def audited_delete(instance, *, actor, reason):
    """Delete a record, keeping its last state and the reason in the history."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    from .services import signatures_void_for_change

    signatures_void_for_change(record=instance, actor=actor, reason=f"Record deleted: {reason}", changed={})
    _stamp(instance, actor, reason)
    _announce([instance])
    instance.delete()


def record_digest(instance):
    """A SHA-256 fingerprint of a record's clinical values (bookkeeping fields left out)."""
    values = {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.name not in BOOKKEEPING_FIELDS
    }
    payload = json.dumps(values, sort_keys=True, cls=DjangoJSONEncoder)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class FieldChange:
    field: str
    label: str
    old: object
    new: object


@dataclass
class HistoryEntry:
    """One line of a record's audit trail as users read it."""

    history_id: int
    action: str  # "created", "changed", "deleted"
    at: datetime
    user: str
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _display(fld, value):
    if value is None or value == "":
        return "—"
    if getattr(fld, "choices", None):
        return dict(fld.flatchoices).get(value, value)
    return value


def history_entries(history_rows, model):
    """Turn history rows (oldest first) into entries with old → new values per field."""
    entries = []
    previous = None
    fields = {f.attname: f for f in model._meta.concrete_fields if f.name not in BOOKKEEPING_FIELDS}
    for row in history_rows:
        changes = []
        for attname, fld in fields.items():
            new = getattr(row, attname, None)
            old = getattr(previous, attname, None) if previous is not None else None
            if previous is None and _is_empty(new):
                continue
            if previous is not None and old == new:
                continue
            changes.append(FieldChange(attname, str(fld.verbose_name), _display(fld, old), _display(fld, new)))
        user = row.history_user
        entries.append(
            HistoryEntry(
                history_id=row.history_id,
                action=_ACTIONS[row.history_type],
                at=row.history_date,
                user=(user.signature_name if user else "system"),
                reason=row.history_change_reason or "",
                changes=changes if row.history_type != "-" else [],
            )
        )
        previous = row
    return entries


def record_history(instance):
    """The audit trail of one record, oldest first."""
    rows = instance.history.select_related("history_user").order_by("history_date", "history_id")
    return history_entries(list(rows), type(instance))


def audited_models():
    """Every concrete model whose writes are audited."""
    from django.apps import apps

    from .auditing import AuditedModel

    return [m for m in apps.get_models() if issubclass(m, AuditedModel) and not m._meta.abstract]


@dataclass
class IntegrityProblem:
    model: str
    pk: object
    problem: str


def audit_integrity_report(models=None) -> list[IntegrityProblem]:
    """Records whose current values differ from their latest history row, or that have no history.

    Such a record was written past the audit trail (raw SQL, a restore, a bug); the nightly task
    reports them so a data manager can investigate.
    """
    from django.db.models import OuterRef, Subquery

    problems = []
    for model in models or audited_models():
        history = model.history.model
        fields = [f.attname for f in model._meta.concrete_fields if f.name not in BOOKKEEPING_FIELDS]
        pk_name = model._meta.pk.attname
        latest = history.objects.filter(**{pk_name: OuterRef(pk_name)}).order_by("-history_date", "-history_id")
        rows = model._default_manager.annotate(latest_history_id=Subquery(latest.values("history_id")[:1]))
        snapshots = {}
        ids = [r.latest_history_id for r in rows if r.latest_history_id]
        for snap in history.objects.filter(history_id__in=ids):
            snapshots[snap.history_id] = snap
        for row in rows:
            snap = snapshots.get(row.latest_history_id)
            if snap is None:
                problems.append(IntegrityProblem(model._meta.label, row.pk, "no audit history"))
                continue
            if snap.history_type == "-":
                problems.append(IntegrityProblem(model._meta.label, row.pk, "exists but history says deleted"))
                continue
            differing = [f for f in fields if getattr(row, f) != getattr(snap, f)]
            if differing:
                problems.append(
                    IntegrityProblem(
                        model._meta.label, row.pk, f"changed outside the audit trail: {', '.join(differing)}"
                    )
                )
    return problems
