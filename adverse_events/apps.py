from django.apps import AppConfig


class AdverseEventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "adverse_events"
    verbose_name = "Adverse events (CTCAE)"

    def ready(self):
        from trial import registry

        from .models import AdverseEvent, LabResult
        from .selectors import ae_get, lab_result_get

        registry.register(AdverseEvent, ae_get)
        registry.register(LabResult, lab_result_get)
