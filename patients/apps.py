from django.apps import AppConfig


class PatientsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "patients"
    verbose_name = "Patients"

    def ready(self):
        from trial import registry

        from .models import Patient
        from .selectors import patient_get, phi_hidden_fields

        registry.register(Patient, patient_get, phi_hidden_fields)
