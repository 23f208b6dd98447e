"""Reads of outcomes after registration (allogeneic SCT, off study, follow-up, death), scoped to the user's sites.

Each ``*_list`` returns a queryset restricted to the user's sites with what its rows show joined in;
each ``*_get`` answers 404 for another site's record.
"""

from django.shortcuts import get_object_or_404

from ..models import Death, FollowUp, OffStudy, Transplant


def _scoped(model, user, patient):
    qs = model.objects.for_user(user).select_related("patient__site")
    if patient is not None:
        qs = qs.filter(patient=patient)
    return qs


def transplant_list(user, *, patient=None):
    """Allogeneic SCTs, planned and done, of the user's sites (optionally of one patient), by date."""
    return _scoped(Transplant, user, patient).order_by("patient__site__code", "patient__subject_id", "transplant_date")


def transplant_get(user, pk) -> Transplant:
    return get_object_or_404(transplant_list(user), pk=pk)


def off_study_list(user, *, patient=None):
    """Off-study records (one per patient) of the user's sites."""
    return _scoped(OffStudy, user, patient).order_by("patient__site__code", "patient__subject_id")


def off_study_get(user, pk) -> OffStudy:
    return get_object_or_404(off_study_list(user), pk=pk)


def follow_up_list(user, *, patient=None):
    """Follow-up contacts of the user's sites (optionally of one patient), latest first per patient."""
    return _scoped(FollowUp, user, patient).order_by("patient__site__code", "patient__subject_id", "-contact_date")


def follow_up_get(user, pk) -> FollowUp:
    return get_object_or_404(follow_up_list(user), pk=pk)


def death_list(user, *, patient=None):
    """Deaths (one per patient) of the user's sites."""
    return _scoped(Death, user, patient).order_by("patient__site__code", "patient__subject_id")


def death_get(user, pk) -> Death:
    return get_object_or_404(death_list(user), pk=pk)
