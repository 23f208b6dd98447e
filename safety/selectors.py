"""Reads of the safety app: flags scoped to the user's sites."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from .choices import ACTIVE_STATUSES, FlagStatus, Severity
from .models import Flag


def flags_for(user, *, patient=None, rule_code="", status="", severity="", site=""):
    qs = Flag.objects.for_user(user).select_related("patient__site", "acknowledged_by")
    if patient is not None:
        qs = qs.filter(patient=patient)
    if rule_code:
        qs = qs.filter(rule_code=rule_code)
    if status == "active":
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity=severity)
    if site:
        qs = qs.filter(patient__site__code=site)
    return qs.order_by("-raised_at", "id")


def flag_get(user, pk) -> Flag:
    return get_object_or_404(flags_for(user), pk=pk)


def active_flag_count(user) -> int:
    return Flag.objects.for_user(user).filter(status__in=ACTIVE_STATUSES).count()


def urgent_active_flags(user):
    """Urgent flags of the user's sites still open or acknowledged, the newest first."""
    return flags_for(user, status="active", severity=Severity.URGENT)


def active_flag_counts_by_rule(user) -> list[dict]:
    """How many flags of the user's sites are open or acknowledged, per rule (``rule_code``, ``open``, ``total``),
    the rule with most first; one query."""
    return list(
        Flag.objects.for_user(user)
        .filter(status__in=ACTIVE_STATUSES)
        .values("rule_code")
        .annotate(total=Count("id"), open=Count("id", filter=Q(status=FlagStatus.OPEN)))
        .order_by("-total", "rule_code")
    )
