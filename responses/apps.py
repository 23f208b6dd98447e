from django.apps import AppConfig


class ResponsesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "responses"
    verbose_name = "Response assessment"

    def ready(self):
        from trial import registry

        from .models import MarrowAssessment
        from .selectors import assessment_get

        registry.register(MarrowAssessment, assessment_get)
