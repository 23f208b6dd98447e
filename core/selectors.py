"""Reads of the framework: a record's signatures and its audit trail as a given user may see it."""

from .audit.trail import record_history
from .models import Signature
from .registry import record_type_for

HIDDEN_VALUE = "(identifying data hidden)"


def signatures_for(record):
    return Signature.objects.for_record(record).select_related("signer").order_by("signed_at")


def history_for(user, record):
    """The record's audit trail as this user may see it: identifying values hidden from roles without PHI access."""
    hidden = record_type_for(record).hidden_fields_for(user)
    entries = record_history(record)
    for entry in entries:
        for change in entry.changes:
            if change.field in hidden:
                change.old = change.new = HIDDEN_VALUE
    return entries
