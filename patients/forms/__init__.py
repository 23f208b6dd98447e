"""Forms of the patients app, one module per area."""

from .patient import PatientEditForm, PatientScreenForm

__all__ = ["PatientEditForm", "PatientScreenForm"]
