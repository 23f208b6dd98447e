"""Reads of the patients app, always scoped to the user's sites; one module per area."""

from .patient import enrolment, patient_get, patient_list, phi_hidden_fields

__all__ = ["enrolment", "patient_get", "patient_list", "phi_hidden_fields"]
