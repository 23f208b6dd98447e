from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Patient


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdmin):
    """Read-only in the admin: clinical data are entered and corrected through the trial's pages."""

    list_display = ["subject_id", "site", "sequence_number", "status", "protocol_version"]
    list_filter = ["status", "protocol_version", "site"]
    search_fields = ["subject_id"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)
