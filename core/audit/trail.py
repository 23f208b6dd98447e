"""Reading the audit trail: a record's history as users read it, and a fingerprint of its values."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder

from .writes import BOOKKEEPING_FIELDS, is_empty


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
            if previous is None and is_empty(new):
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
