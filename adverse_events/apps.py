from django.apps import AppConfig


class AdverseEventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "adverse_events"
    verbose_name = "Adverse events (CTCAE)"

    def ready(self):
        from core import registry

        from . import selectors
        from .models import AdverseEvent, ClinicalObservation, LabResult
        from .selectors import ae_get, clinical_observation_get, lab_result_get

        registry.register(AdverseEvent, ae_get)
        registry.register(LabResult, lab_result_get)
        registry.register(ClinicalObservation, clinical_observation_get)

        from django.urls import reverse

        from . import services

        registry.register_withdrawal(
            AdverseEvent,
            withdraw=services.adverse_event_withdraw,
            can_withdraw=services.adverse_event_withdraw_refusal,
            back_url=lambda ae: reverse("adverse_events:patient-aes", args=[ae.patient_id]),
            effect="The adverse event and its attributions are removed from every list; their last values, who "
            "withdrew them, when and why stay in the audit trail.",
        )
        registry.register_withdrawal(
            LabResult,
            check_site=lambda actor, lab: services._check_patient(actor, lab.patient),
            back_url=lambda lab: reverse("adverse_events:patient-labs", args=[lab.patient_id]),
        )
        registry.register_withdrawal(
            ClinicalObservation,
            check_site=lambda actor, observation: services._check_patient(actor, observation.patient),
            back_url=lambda obs: reverse("adverse_events:patient-observations", args=[obs.patient_id]),
        )

        from .templatetags.adverse_events_ui import patient_adverse_events_panel

        registry.register_patient_panel(
            "adverse_events",
            template="adverse_events/_patient_aes_panel.html",
            context=patient_adverse_events_panel,
            order=30,
        )
        registry.register_nav("AE log", "adverse_events:log", "adverse_events.view_adverseevent", order=40)

        from .home import home_adverse_events_panel

        registry.register_home_panel(
            "adverse_events",
            template="adverse_events/_home_adverse_events.html",
            context=home_adverse_events_panel,
            order=40,
        )
        registry.register_signature_expected(
            AdverseEvent,
            heading="Adverse events (grade and attribution review)",
            records=lambda user: selectors.adverse_events_for(user).order_by("-onset_date", "-id"),
            permission="adverse_events.view_adverseevent",
            order=20,
            describe=lambda ae: f"{ae.patient.subject_id}: {ae}",
        )
