"""Django admin of the safety app: flags read-only and site-scoped (they are raised by the rules and handled
in the trial's pages)."""

from django.contrib import admin

from core.admin import SiteScopedReadOnlyAdmin

from .models import Flag


@admin.register(Flag)
class FlagAdmin(SiteScopedReadOnlyAdmin):
    list_display = ["patient", "rule_code", "severity", "status"]
