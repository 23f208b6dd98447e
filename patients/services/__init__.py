"""Writes of the patients app, one module per area (patient, eligibility, baseline)."""

from .patient import EDITABLE_FIELDS, SITE_NOT_YOURS, patient_screen, patient_update

__all__ = ["EDITABLE_FIELDS", "SITE_NOT_YOURS", "patient_screen", "patient_update"]
