"""Reads of the patients app, always scoped to the user's sites."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

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
