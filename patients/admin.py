"""Django admin of the patients app: read-only, site-scoped (clinical data are entered through the trial's pages)."""

from django.contrib import admin

from core.admin import SiteScopedReadOnlyAdmin

from .models import Baseline, Consent, Death, EligibilityAssessment, FollowUp, OffStudy, Patient, Transplant


@admin.register(Patient)
class PatientAdmin(SiteScopedReadOnlyAdmin):
    list_display = ["subject_id", "site", "sequence_number", "status", "protocol_version"]
    list_filter = ["status", "protocol_version", "site"]
    search_fields = ["subject_id"]


for model in (Consent, EligibilityAssessment, Baseline, Transplant, OffStudy, FollowUp, Death):
    admin.site.register(model, SiteScopedReadOnlyAdmin)
