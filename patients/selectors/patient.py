"""Reads of the patients app, scoped to the user's sites; the reads by patient id at the end are for work that
runs without a user (rule evaluations, sweeps), whose results reach a user only through scoped reads."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404

from trial.models import EligibilityCriterion
from trial.selectors import sites_for_user

from ..choices import PatientStatus
from ..models import PHI_FIELDS, Consent, EligibilityAssessment, Patient, Transplant


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


# --- By patient id, for work that runs without a user ---------------------------------------------------


def patient_with_records(patient_id: int) -> Patient:
    """One patient with what this app records of them, fetched with the row (five queries): protocol version,
    site, baseline, death and off-study; consents by date; eligibility assessments in order, each with its
    version's criteria; transplants by date."""
    assessments = EligibilityAssessment.objects.select_related("protocol_version").order_by("assessed_on", "id")
    return (
        Patient.objects.select_related("protocol_version", "site", "baseline", "death", "off_study")
        .prefetch_related(
            Prefetch("consents", queryset=Consent.objects.order_by("consent_date")),
            Prefetch("eligibility_assessments", queryset=assessments),
            Prefetch(
                "eligibility_assessments__protocol_version__eligibility_criteria",
                queryset=EligibilityCriterion.objects.order_by("order", "code"),
            ),
            Prefetch("transplants", queryset=Transplant.objects.order_by("transplant_date")),
        )
        .get(pk=patient_id)
    )


def active_patient_ids() -> list[int]:
    """Ids of the patients whose data still changes: registered or off study (not those in screening or not
    registered), in id order."""
    return list(Patient.objects.followed().order_by("pk").values_list("pk", flat=True))


def existing_patient_ids(patient_ids) -> set[int]:
    """Those of ``patient_ids`` that are patients' ids."""
    return set(Patient.objects.filter(pk__in=patient_ids).values_list("pk", flat=True))


def patient_lock(patient_id: int) -> None:
    """Lock the patient's row until the transaction ends, so that two evaluations of one patient run one after
    the other (a no-op on SQLite, which serialises writers anyway)."""
    Patient.objects.select_for_update().filter(pk=patient_id).exists()
