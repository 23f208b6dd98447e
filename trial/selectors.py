"""Reads of the trial app for pages and the API."""

from django.db.models import Count, Prefetch, Q

from .audit import record_history
from .models import CourseType, ProtocolVersion, RegimenItem, Signature, Site, Trial
from .registry import record_type_for

HIDDEN_VALUE = "(identifying data hidden)"


def sites_for_user(user):
    if not getattr(user, "is_authenticated", False):
        return Site.objects.none()
    return Site.objects.filter(id__in=user.site_ids()).select_related("trial")


def trial_home(user):
    """What the trial home page shows: the trial, its protocol versions and enrolment at the user's sites."""
    trial = Trial.objects.first()
    versions = ProtocolVersion.objects.select_related("created_by_amendment").order_by("effective_date")
    registered = Q(patients__status="registered")
    sites = sites_for_user(user).annotate(
        enrolled=Count("patients", filter=registered),
        screening=Count("patients", filter=Q(patients__status="screening")),
    )
    return {
        "trial": trial,
        "versions": versions,
        "amendments": trial.amendments.all() if trial else [],
        "sites": sites,
        "enrolled_at_my_sites": sum(s.enrolled for s in sites),
        "enrolled_total": Site.objects.aggregate(n=Count("patients", filter=registered))["n"],
    }


def protocol_overview():
    """Each protocol version with its course types, regimen items and parameters, for the protocol page."""
    items = RegimenItem.objects.select_related("drug", "introduced_by").order_by("role", "drug__name", "code")
    return ProtocolVersion.objects.prefetch_related(
        Prefetch("course_types", queryset=CourseType.objects.order_by("phase", "code")),
        Prefetch("course_types__regimen_items", queryset=items),
        "course_sequence__course_type",
        "parameters",
        "hold_rules__anchor_drug",
    ).order_by("effective_date")


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
