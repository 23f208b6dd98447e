from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and the reference cohort: management commands only, no models."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = "Demo data"
