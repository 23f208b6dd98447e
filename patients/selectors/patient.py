"""Reads of the patients app, always scoped to the user's sites."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from trial.selectors import sites_for_user

from ..choices import PatientStatus
from ..models import PHI_FIELDS, Patient


def patient_list(user, *, search: str = "", status: str = "", protocol_version: str = ""):
    qs = Patient.objects.for_user(user).select_related("site", "protocol_version")
    if search:
        qs = qs.filter(Q(subject_id__icontains=search))
    if status:
        qs = qs.filter(status=status)
    if protocol_version:
        qs = qs.filter(protocol_version__code=protocol_version)
    return qs.order_by("site__code", "subject_id")


def patient_get(user, pk) -> Patient:
    """One patient of the user's sites; another site's patient is a 404, not a 403."""
    return get_object_or_404(Patient.objects.for_user(user).select_related("site", "protocol_version"), pk=pk)


def phi_hidden_fields(user) -> set[str]:
    """Identifying fields this user may not see."""
    return set() if user.has_perm("trial.view_phi") else set(PHI_FIELDS)


def enrolment(user) -> dict:
    """Enrolment as the home page shows it: at each of the user's sites the patients registered and those in
    screening, their sum, and the patients registered in the whole trial."""
    registered = Q(patients__status=PatientStatus.REGISTERED)
    sites = list(
        sites_for_user(user)
        .annotate(
            enrolled=Count("patients", filter=registered),
            screening=Count("patients", filter=Q(patients__status=PatientStatus.SCREENING)),
        )
        .order_by("code")
    )
    return {
        "sites": sites,
        "enrolled_at_my_sites": sum(s.enrolled for s in sites),
        "enrolled_total": Patient.objects.filter(status=PatientStatus.REGISTERED).count(),
    }
