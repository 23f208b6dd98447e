from django.apps import AppConfig


class SafetyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "safety"
    verbose_name = "Safety flags"

    def ready(self):
        from trial import audit, registry

        from .models import Flag
        from .selectors import flag_get
        from .tasks import queue_for_record

        registry.register(Flag, flag_get)
        audit.on_record_change(queue_for_record)
