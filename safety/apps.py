from django.apps import AppConfig


class SafetyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "safety"
    verbose_name = "Safety flags"

    def ready(self):
        from trial import audit, registry
        from trial.context_processors import register_nav_count

        from .models import Flag
        from .selectors import active_flag_count, flag_get
        from .tasks import queue_for_record

        registry.register(Flag, flag_get)
        audit.on_record_change(queue_for_record)
        register_nav_count("Flags", "safety.view_flag", active_flag_count)
