"""The base of every audited clinical record (21 CFR Part 11 §11.10(e)).

Every concrete subclass of :class:`AuditedModel` gets a history table (django-simple-history)
holding one row per create, change and delete: the full record as it was, who did it, when
(UTC, server clock) and the reason for the change. Writes that would bypass the per-object
history (``QuerySet.update``, ``bulk_create``, ``bulk_update``) are refused; the helpers in
``core.audit.writes`` are the only way to write, and they record every row.
"""

from django.db import models
from simple_history.models import HistoricalRecords

UNAUDITED_BULK_WRITE = (
    "{model}.{method}() would change rows without an audit record; "
    "use the service functions (core.audit.writes.audited_bulk_create) instead."
)


class UnauditedBulkWrite(RuntimeError):
    """Raised when code tries to write audited rows in bulk without recording their history."""


class AuditedQuerySet(models.QuerySet):
    """A queryset that refuses bulk writes which would skip the audit trail."""

    def _refuse(self, method):
        raise UnauditedBulkWrite(UNAUDITED_BULK_WRITE.format(model=self.model.__name__, method=method))

    def update(self, **kwargs):
        self._refuse("update")

    def bulk_update(self, objs, fields, batch_size=None):
        self._refuse("bulk_update")

    def bulk_create(self, objs, *args, **kwargs):
        if not getattr(self, "_audited_bulk", False):
            self._refuse("bulk_create")
        return super().bulk_create(objs, *args, **kwargs)

    def _audited(self):
        qs = self._chain()
        qs._audited_bulk = True
        return qs

    def _clone(self):
        clone = super()._clone()
        clone._audited_bulk = getattr(self, "_audited_bulk", False)
        return clone


class AppendOnlyHistory(models.Model):
    """Base of every history row: once written it is never changed or removed.

    The database enforces the same rule with triggers (see ``core.audit.triggers``).
    """

    history_hash = models.CharField(
        max_length=64,
        default="",
        editable=False,
        help_text="HMAC-SHA-256 of this row's values chained to the previous history row of the same record.",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise UnauditedBulkWrite("Audit history is append-only: a history row cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise UnauditedBulkWrite("Audit history is append-only: a history row cannot be deleted.")


class AuditHistoricalRecords(HistoricalRecords):
    """simple-history's records, letting a model name its history table (``history_table_name``).

    A model moved between apps keeps its tables (and their rows) by naming both explicitly.
    """

    def get_meta_options(self, model):
        options = super().get_meta_options(model)
        table = getattr(model, "history_table_name", None)
        if table:
            options["db_table"] = table
        return options


def audit_history():
    """The history field every audited model declares."""
    return AuditHistoricalRecords(
        inherit=True,
        bases=[AppendOnlyHistory],
        history_change_reason_field=models.TextField(null=True),
        cascade_delete_history=False,
    )


class AuditedModel(models.Model):
    """Abstract base of a record whose every create, change and delete is kept in its history."""

    created_at = models.DateTimeField(auto_now_add=True, help_text="When the record was first saved (UTC).")
    updated_at = models.DateTimeField(auto_now=True, help_text="When the record was last saved (UTC).")
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Goes up by one with every saved change; a change based on an older version is refused.",
    )

    objects = AuditedQuerySet.as_manager()
    history = audit_history()

    class Meta:
        abstract = True
