"""Django admin of the adverse-events app: the CTCAE dictionary read-only (it is reloaded from its files), and the
clinical records read-only and site-scoped (they are entered through the trial's pages)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, SiteScopedReadOnlyAdmin

from .models import AdverseEvent, AEAttribution, ClinicalObservation, CTCAETerm, CTCAEVersion, LabGradingRule, LabResult


@admin.register(CTCAETerm)
class CTCAETermAdmin(ReadOnlyAdmin):
    list_display = ["term", "meddra_code", "soc", "version"]
    search_fields = ["term", "meddra_code"]


admin.site.register(CTCAEVersion, ReadOnlyAdmin)
admin.site.register(LabGradingRule, ReadOnlyAdmin)
for model in (AdverseEvent, AEAttribution, LabResult, ClinicalObservation):
    admin.site.register(model, SiteScopedReadOnlyAdmin)
