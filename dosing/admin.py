"""Django admin of the dosing app: read-only, site-scoped (doses are recorded through the trial's pages)."""

from django.contrib import admin

from core.admin import SiteScopedReadOnlyAdmin

from .models import Course, DoseOverride, PlannedAdministration


@admin.register(Course)
class CourseAdmin(SiteScopedReadOnlyAdmin):
    list_display = ["patient", "course_number", "course_type", "start_date"]


@admin.register(PlannedAdministration)
class PlannedAdministrationAdmin(SiteScopedReadOnlyAdmin):
    list_display = ["course", "drug", "day", "planned_date", "status"]


admin.site.register(DoseOverride, SiteScopedReadOnlyAdmin)
