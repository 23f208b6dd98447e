"""The write path of the audit trail.

Services write audited records only through these helpers, so that every write
(create, change, delete) is recorded with who, when, old and new values and the reason,
and so that a change to a signed record voids its signatures.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

REASON_REQUIRED = "A reason for change is required when a saved value is changed."

# Callables told about every audited write (after it is saved, inside the transaction). Higher apps
# register here (e.g. the safety engine queues a re-evaluation on commit); core imports none of them.
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


def is_empty(value):
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
    if not reason and any(not is_empty(old) for old, _new in diff.values()):
        raise ValidationError({"reason": REASON_REQUIRED})
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.full_clean()
    _stamp(instance, actor, reason or "Blank value completed")
    instance.save()
    _announce([instance])
    from core.services import signatures_void_for_change

    signatures_void_for_change(record=instance, actor=actor, reason=reason or "Record completed", changed=diff)
    return instance, diff


@transaction.atomic
def audited_delete(instance, *, actor, reason):
    """Delete a record, keeping its last state and the reason in the history."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    from core.services import signatures_void_for_change

    signatures_void_for_change(record=instance, actor=actor, reason=f"Record deleted: {reason}", changed={})
    _stamp(instance, actor, reason)
    _announce([instance])
    instance.delete()
