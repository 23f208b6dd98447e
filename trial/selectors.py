"""Reads of the trial app for pages and the API."""

from django.db.models import Count, Prefetch, Q

from .models import CourseType, ProtocolVersion, RegimenItem, Site, Trial


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
