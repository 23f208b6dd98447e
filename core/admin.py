"""Django admin pieces of the framework: read-only admins, and signatures (never edited here)."""

from django.contrib import admin
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


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["printed_name", "meaning", "signed_at", "status", "content_type", "object_id"]
