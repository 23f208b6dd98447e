"""Django admin pieces of the framework: read-only admins, and signatures (never edited here)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from .models import Signature


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Records changed only through the services (or data files that are reloaded), never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SiteScopedReadOnlyAdmin(ReadOnlyAdmin):
    """Clinical records, read-only and restricted to the user's sites (they are entered through the trial's pages)."""

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def _check_audit_trail_permission(self, request):
        if not request.user.has_perm("core.view_audit_trail"):
            raise PermissionDenied("Reading a clinical record's audit trail needs the audit-trail permission.")

    def history_view(self, request, object_id, extra_context=None):
        self._check_audit_trail_permission(request)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_audit_trail_permission(request)
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["printed_name", "meaning", "signed_at", "status", "content_type", "object_id"]
