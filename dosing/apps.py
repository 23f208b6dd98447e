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

        from django.urls import reverse

        from . import services

        registry.register_withdrawal(
            Course,
            withdraw=services.course_withdraw,
            can_withdraw=services.course_withdraw_refusal,
            back_url=lambda course: reverse("dosing:patient-courses", args=[course.patient_id]),
            effect="The course and its planned doses are removed; their last values, who withdrew them, when and "
            "why stay in the audit trail.",
        )
        registry.register_withdrawal(
            PlannedAdministration,
            withdraw=services.administration_withdraw,
            can_withdraw=services.administration_withdraw_refusal,
            back_url=lambda administration: reverse("dosing:course-detail", args=[administration.course_id]),
            effect="A planned dose goes back to planned (what was recorded, who recorded it and why stay in its audit "
            "trail); an unplanned dose is removed.",
        )

        from .templatetags.dosing_ui import patient_courses_panel

        registry.register_patient_panel(
            "courses", template="dosing/_patient_courses_panel.html", context=patient_courses_panel, order=10
        )
        registry.register_nav("Worklist", "dosing:worklist", "dosing.change_plannedadministration", order=20)

        from .home import home_doses_panel

        registry.register_home_panel("doses", template="dosing/_home_doses.html", context=home_doses_panel, order=20)
