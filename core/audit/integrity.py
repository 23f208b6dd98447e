"""Checks that the audit trail is whole: every audited record matches its latest history row."""

from dataclasses import dataclass

from .guard import AuditedModel
from .writes import BOOKKEEPING_FIELDS


def audited_models():
    """Every concrete model whose writes are audited."""
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, AuditedModel) and not m._meta.abstract]


def newest_history_ids(*, leave_out_apps=frozenset()) -> dict[str, int | None]:
    """history table → its newest ``history_id`` (None while empty), for every audited model outside
    ``leave_out_apps``, in one query. Every audited write adds a history row, so this moves with any change: the
    reports' data version, and what an export says it includes."""
    from django.db import connection

    tables = sorted(m.history.model._meta.db_table for m in audited_models() if m._meta.app_label not in leave_out_apps)
    quote = connection.ops.quote_name
    # Table names come from the models, never from input.
    columns = ", ".join(f"(SELECT MAX(history_id) FROM {quote(table)})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


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
