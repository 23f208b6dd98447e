"""The framework's panels of the home page: records awaiting a signature, and the audited changes of the last days.

Registered in ``CoreConfig.ready``; each reads the record types the apps registered, scoped to the user's sites, in
a fixed number of queries per record type (a count, then the first rows)."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from . import registry
from .choices import SignatureStatus
from .models import Signature
from .services import AUDIT_TRAIL_PERMISSION, SIGN_PERMISSION

PANEL_ROWS = registry.HOME_PANEL_ROWS
CHANGES_DAYS = 7
HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "withdrawn"}


def unsigned(model, records):
    """``records`` of ``model`` without a valid signature (never signed, or every signature voided by a change)."""
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    valid = Signature.objects.filter(
        content_type=content_type,
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
        status=SignatureStatus.VALID,
    )
    return records.filter(~Exists(valid))


@dataclass(frozen=True)
class AwaitingGroup:
    heading: str
    count: int
    records: list[tuple[str, str]]  # the first PANEL_ROWS: (what the record is, its page)


def awaiting_signature_panel(context):
    """Records of the user's sites an investigator is expected to sign that have no valid signature yet; shown to
    those who sign (to sign them) and to those who review the audit trail (to see what is not yet signed)."""
    user = context["user"]
    signer = user.has_perm(SIGN_PERMISSION)
    if not (signer or user.has_perm(AUDIT_TRAIL_PERMISSION)):
        return {"show": False}
    kinds = [k for k in registry.signatures_expected() if user.has_perm(k.permission)]
    if not kinds:
        return {"show": False}
    groups = []
    for kind in kinds:
        count, records = registry.first_rows(unsigned(kind.model, kind.records(user)))
        if count:
            groups.append(
                AwaitingGroup(kind.heading, count, [(kind.describe(r), r.get_absolute_url()) for r in records])
            )
    return {"show": True, "signer": signer, "groups": groups, "total": sum(g.count for g in groups)}


@dataclass(frozen=True)
class Change:
    record_type: str  # the record type's name ("Adverse event")
    action: str  # created, changed, withdrawn
    at: object  # datetime
    by: object  # the user, or None for the system
    history_url: str


@dataclass(frozen=True)
class ChangeCount:
    record_type: str
    count: int


def recent_changes_panel(context):
    """How many audited changes the records of the user's sites had in the last ``CHANGES_DAYS`` days, by record
    type, and the latest ones, each linking to its record's audit trail."""
    user = context["user"]
    if not user.has_perm(AUDIT_TRAIL_PERMISSION):
        return {"show": False}
    since = timezone.now() - timedelta(days=CHANGES_DAYS)
    site_ids = user.site_ids()
    counts, latest = [], []
    for record_type in registry.record_types():
        model = record_type.model
        history = getattr(model, "history", None)
        site_lookup = getattr(model._default_manager.get_queryset(), "site_lookup", None)
        if history is None or site_lookup is None:
            continue
        rows = history.filter(history_date__gte=since, **{f"{site_lookup}__in": site_ids})
        count = rows.count()
        if not count:
            continue
        name = str(model._meta.verbose_name).capitalize()
        counts.append(ChangeCount(name, count))
        for row in rows.select_related("history_user").order_by("-history_date", "-history_id")[:PANEL_ROWS]:
            latest.append(
                Change(
                    name,
                    HISTORY_ACTIONS.get(row.history_type, row.history_type),
                    row.history_date,
                    row.history_user,
                    reverse("core:record-history", args=[record_type.label, row.id]),
                )
            )
    latest.sort(key=lambda c: c.at, reverse=True)
    return {
        "show": True,
        "days": CHANGES_DAYS,
        "since": since,
        "counts": sorted(counts, key=lambda c: (-c.count, c.record_type)),
        "total": sum(c.count for c in counts),
        "latest": latest[:PANEL_ROWS],
    }
