from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Framework: audit trail, signatures, registries"

    def ready(self):
        from django.apps import apps
        from django.conf import settings
        from django.db.models.signals import post_migrate

        from . import registry, units
        from .audit import triggers

        units.install_range_messages(apps.get_models())

        post_migrate.connect(triggers.after_migrate, dispatch_uid="core.after_migrate")
        user_app = settings.AUTH_USER_MODEL.split(".")[0]
        registry.register_nav("API docs", "api-docs", order=90)
        registry.register_nav("Administration", "admin:index", f"{user_app}.change_user", order=100)
