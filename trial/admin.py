"""Django admin for administrators: users, sites and read-only views of the protocol.

Changes made here go through the same audit trail (simple-history records the admin user).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdmin

from .models import (
    CourseSequenceStep,
    CourseType,
    Drug,
    DrugHoldRule,
    ProtocolAmendment,
    ProtocolParameter,
    ProtocolVersion,
    RegimenItem,
    Site,
    Trial,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("Trial", {"fields": ("printed_name", "sites")}),)
    list_display = ["username", "printed_name", "email", "is_active", "is_staff"]
    filter_horizontal = ["groups", "user_permissions", "sites"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: signatures and audit rows point at the user


@admin.register(Site)
class SiteAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "trial", "is_active"]

    def has_delete_permission(self, request, obj=None):
        return False


for model in (
    Trial,
    ProtocolAmendment,
    ProtocolVersion,
    ProtocolParameter,
    Drug,
    CourseType,
    CourseSequenceStep,
    DrugHoldRule,
):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(RegimenItem)
class RegimenItemAdmin(ReadOnlyAdmin):
    list_display = ["protocol_version", "course_type", "drug", "dose_amount", "dose_unit", "route", "days"]
    list_filter = ["protocol_version", "course_type__code", "drug"]
