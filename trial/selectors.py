"""Reads of the trial app for pages and the API."""

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q

from .models import CourseType, ProtocolVersion, RegimenItem, Site, Trial

UNKNOWN_SITE = "Unknown site code {code!r}; the site codes are: {codes}."
AMBIGUOUS_SITE = "Site code {code!r} is used in several trials ({trials}); name the trial."
UNKNOWN_TRIAL = "Unknown trial {nct_id!r}; the trials are: {trials}."
NO_TRIAL = "No trial is loaded: run `manage.py load_protocol` first."
SEVERAL_TRIALS = "Several trials are loaded ({trials}): name one."


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


def sites_by_code(codes: list[str], *, trial: Trial | None = None) -> list[Site]:
    """The sites with these codes (in ``trial``, or in any trial), in the order given, each once.

    An unknown code, or one used in several trials when no trial is given, is a ``sites`` error.
    """
    sites = Site.objects.filter(trial=trial) if trial else Site.objects.all()
    found = {}
    for site in sites.filter(code__in=codes).select_related("trial"):
        found.setdefault(site.code, []).append(site)
    errors = []
    for code in codes:
        if code not in found:
            known = ", ".join(sites.order_by("code").values_list("code", flat=True).distinct()) or "none yet"
            errors.append(UNKNOWN_SITE.format(code=code, codes=known))
        elif len(found[code]) > 1:
            errors.append(AMBIGUOUS_SITE.format(code=code, trials=", ".join(s.trial.nct_id for s in found[code])))
    if errors:
        raise ValidationError({"sites": errors})
    return [found[code][0] for code in dict.fromkeys(codes)]


def trial_by_nct_id(nct_id: str | None = None) -> Trial:
    """The trial with this ClinicalTrials.gov ID or, with none given, the only trial; otherwise a ``trial`` error."""
    trials = list(Trial.objects.order_by("nct_id"))
    names = ", ".join(t.nct_id for t in trials) or "none loaded"
    if nct_id:
        match = next((t for t in trials if t.nct_id == nct_id), None)
        if match is None:
            raise ValidationError({"trial": UNKNOWN_TRIAL.format(nct_id=nct_id, trials=names)})
        return match
    if not trials:
        raise ValidationError({"trial": NO_TRIAL})
    if len(trials) > 1:
        raise ValidationError({"trial": SEVERAL_TRIALS.format(trials=names)})
    return trials[0]
