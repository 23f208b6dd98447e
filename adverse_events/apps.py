from django.apps import AppConfig


class AdverseEventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "adverse_events"
    verbose_name = "Adverse events (CTCAE)"

    def ready(self):
        from core import registry

        from .models import AdverseEvent, ClinicalObservation, LabResult
        from .selectors import ae_get, clinical_observation_get, lab_result_get

        registry.register(AdverseEvent, ae_get)
        registry.register(LabResult, lab_result_get)
        registry.register(ClinicalObservation, clinical_observation_get)

        from .templatetags.adverse_events_ui import patient_adverse_events_panel

        registry.register_patient_panel(
            "adverse_events",
            template="adverse_events/_patient_aes_panel.html",
            context=patient_adverse_events_panel,
            order=30,
        )
        registry.register_nav("AE log", "adverse_events:log", "adverse_events.view_adverseevent", order=40)
