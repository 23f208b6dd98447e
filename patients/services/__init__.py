"""Writes of the patients app, one module per area (patient, eligibility, baseline)."""

from .patient import (
    EDITABLE_FIELDS,
    PATIENT_NOT_AT_YOUR_SITES,
    SITE_NOT_YOURS,
    check_patient_site,
    patient_screen,
    patient_update,
)

__all__ = [
    "EDITABLE_FIELDS",
    "PATIENT_NOT_AT_YOUR_SITES",
    "SITE_NOT_YOURS",
    "check_patient_site",
    "patient_screen",
    "patient_update",
]
