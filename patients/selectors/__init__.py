"""Reads of the patients app, always scoped to the user's sites; one module per area."""

from .patient import (
    active_patient_ids,
    enrolment,
    existing_patient_ids,
    patient_get,
    patient_list,
    patient_lock,
    patient_with_records,
    phi_hidden_fields,
)

__all__ = [
    "active_patient_ids",
    "enrolment",
    "existing_patient_ids",
    "patient_get",
    "patient_list",
    "patient_lock",
    "patient_with_records",
    "phi_hidden_fields",
]
