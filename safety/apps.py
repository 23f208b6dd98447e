from django.apps import AppConfig


class SafetyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "safety"
    verbose_name = "Safety flags"

    def ready(self):
        from core import registry
        from core.audit.writes import on_record_change

        from .models import Flag
        from .selectors import active_flag_count, flag_get
        from .tasks import queue_for_record
        from .templatetags.safety_ui import patient_flags_panel

        registry.register(Flag, flag_get)
        on_record_change(queue_for_record)
        registry.register_nav("Flags", "safety:flags", "safety.view_flag", order=50, counter=active_flag_count)
        registry.register_patient_panel(
            "flags", template="safety/_patient_flags_panel.html", context=patient_flags_panel, order=40
        )

        from .home import home_flags_panel

        registry.register_home_panel("flags", template="safety/_home_flags.html", context=home_flags_panel, order=50)
