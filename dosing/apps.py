from django.apps import AppConfig


class DosingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dosing"
    verbose_name = "Course administration"

    def ready(self):
        from trial import registry

        from .models import Course, DoseOverride, PlannedAdministration
        from .selectors import administration_get, course_get, override_get

        registry.register(Course, course_get)
        registry.register(PlannedAdministration, administration_get)
        registry.register(DoseOverride, override_get)
