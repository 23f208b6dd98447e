"""Django admin of the responses app: read-only, site-scoped (evaluations are entered through the trial's pages)."""

from django.contrib import admin

from core.admin import SiteScopedReadOnlyAdmin

from .models import MarrowAssessment


@admin.register(MarrowAssessment)
class MarrowAssessmentAdmin(SiteScopedReadOnlyAdmin):
    list_display = ["patient", "assessed_on", "marrow_blast_percent"]
