"""Writes of the patients app. Registration and eligibility come with the enrollment issue."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.audit.writes import audited_create, audited_update
from core.validation import refuse_unknown_fields
from trial.models import Site

from ..models import Patient

SITE_NOT_YOURS = "You are not a member of this site."
PATIENT_NOT_AT_YOUR_SITES = "You are not a member of this patient's site."
SUBJECT_ID_FORMAT = "{site_code}-{number:04d}"
FIELD_NOT_EDITABLE = "This field cannot be changed here."


def check_patient_site(actor, patient: Patient) -> None:
    """Refuse a write about a patient who is not at one of the actor's sites (the error names ``patient``)."""
    if patient.site_id not in actor.site_ids():
        raise ValidationError({"patient": PATIENT_NOT_AT_YOUR_SITES})


def _next_subject_id(site: Site, *, skip: int = 0) -> str:
    """The site's next subject ID, after the highest one issued (IDs are zero-padded, so they sort)."""
    prefix = SUBJECT_ID_FORMAT.format(site_code=site.code, number=0)[: len(site.code) + 1]
    last = (
        Patient.objects.filter(site=site, subject_id__startswith=prefix)
        .order_by("-subject_id")
        .values_list("subject_id", flat=True)
        .first()
    )
    number = int(last[len(prefix) :]) if last else 0
    return SUBJECT_ID_FORMAT.format(site_code=site.code, number=number + 1 + skip)


# The least that identifies a screened person: the MRN, or the family name (see screening_identity_errors).
SCREENING_IDENTITY_FIELDS = ("medical_record_number", "family_name")
NO_IDENTITY = (
    "Enter at least the MRN or the family name, so the screened person can be found in the hospital record; "
    "nothing was saved."
)
MRN_OR_FAMILY_NAME = "Enter the MRN or the family name."


def screening_identity_errors(*, medical_record_number: str = "", family_name: str = "") -> dict[str, str]:
    """The errors of a screening that identifies nobody: one per identifying field and what at least is needed.

    A screening record must be traceable to one person: the MRN (the hospital's own identifier of the patient) or,
    before the MRN is known, the family name. The given name, date of birth and sex help tell people apart but do
    not identify anyone on their own. Empty when the record identifies its person."""
    if (medical_record_number or "").strip() or (family_name or "").strip():
        return {}
    return {
        "medical_record_number": MRN_OR_FAMILY_NAME,
        "family_name": MRN_OR_FAMILY_NAME,
        "__all__": NO_IDENTITY,
    }


@transaction.atomic
def patient_screen(
    *,
    actor,
    site: Site,
    sex: str = "",
    given_name: str = "",
    family_name: str = "",
    medical_record_number: str = "",
    date_of_birth=None,
) -> Patient:
    """Open a screening record for a person at one of the actor's sites; the subject ID is assigned here.

    Refused, with nothing written, when the person is not identified (see :func:`screening_identity_errors`)."""
    errors = screening_identity_errors(medical_record_number=medical_record_number, family_name=family_name)
    if site.id not in actor.site_ids():
        errors["site"] = SITE_NOT_YOURS
    if errors:
        raise ValidationError(errors)
    for attempt in range(5):
        patient = Patient(
            site=site,
            subject_id=_next_subject_id(site, skip=attempt),
            sex=sex,
            given_name=given_name,
            family_name=family_name,
            medical_record_number=medical_record_number,
            date_of_birth=date_of_birth,
        )
        try:
            with transaction.atomic():
                return audited_create(patient, actor=actor, reason="Screening opened")
        except (IntegrityError, ValidationError) as exc:
            if isinstance(exc, ValidationError) and "subject_id" not in getattr(exc, "error_dict", {}):
                raise
    raise ValidationError({"subject_id": "Could not assign a unique subject ID; please try again."})


EDITABLE_FIELDS = ("sex", "given_name", "family_name", "medical_record_number", "date_of_birth")


@transaction.atomic
def patient_update(*, actor, patient: Patient, reason: str = "", **changes) -> Patient:
    """Correct a patient's demographic data; changing a saved value needs a reason."""
    refuse_unknown_fields(changes, EDITABLE_FIELDS, FIELD_NOT_EDITABLE)
    patient, _diff = audited_update(patient, actor=actor, reason=reason, **changes)
    return patient
