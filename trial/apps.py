from django.apps import AppConfig


class TrialConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "trial"
    verbose_name = "Trial, protocol and access"

    def ready(self):
        from django.db.models.signals import post_migrate

        from core import registry
        from core.audit.triggers import is_last_app

        from .services import roles_sync

        def sync_roles_after_migrate(sender, **kwargs):
            if is_last_app(sender):
                roles_sync()

        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="trial.sync_roles", weak=False)
        registry.register_nav("Trial", "trial:home", order=0)
        registry.register_nav("Protocol", "trial:protocol", "trial.view_protocolversion", order=80)
