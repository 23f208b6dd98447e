from django.apps import AppConfig


class TrialConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "trial"
    verbose_name = "Trial, protocol and access"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals

        post_migrate.connect(signals.after_migrate, dispatch_uid="trial.after_migrate")
