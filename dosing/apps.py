from django.apps import AppConfig


class DosingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dosing"
    verbose_name = "Course administration"

    def ready(self):
        from core import registry

        from .models import Course, DoseOverride, PlannedAdministration
        from .selectors import administration_get, course_get, override_get

        registry.register(Course, course_get)
        registry.register(PlannedAdministration, administration_get)
        registry.register(DoseOverride, override_get)

        from .templatetags.dosing_ui import patient_courses_panel

        registry.register_patient_panel(
            "courses", template="dosing/_patient_courses_panel.html", context=patient_courses_panel, order=10
        )
        registry.register_nav("Worklist", "dosing:worklist", "dosing.change_plannedadministration", order=20)
