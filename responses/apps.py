from django.apps import AppConfig


class ResponsesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "responses"
    verbose_name = "Response assessment"

    def ready(self):
        from core import registry

        from .models import MarrowAssessment
        from .selectors import assessment_get

        registry.register(MarrowAssessment, assessment_get)

        from django.urls import reverse

        from patients.services import check_patient_site

        registry.register_withdrawal(
            MarrowAssessment,
            check_site=lambda actor, assessment: check_patient_site(actor, assessment.patient),
            back_url=lambda assessment: reverse("responses:patient-responses", args=[assessment.patient_id]),
            effect="The evaluation (with its MRD and cytogenetics) is removed and the responses are derived again "
            "without it; its last values, who withdrew it, when and why stay in the audit trail.",
        )

        from .templatetags.responses_ui import patient_responses_panel

        registry.register_patient_panel(
            "responses", template="responses/_patient_responses_panel.html", context=patient_responses_panel, order=20
        )
        registry.register_nav("Marrow due", "responses:due", "responses.add_marrowassessment", order=30)

        from .home import home_marrow_due_panel

        registry.register_home_panel(
            "marrow_due", template="responses/_home_marrow_due.html", context=home_marrow_due_panel, order=30
        )
