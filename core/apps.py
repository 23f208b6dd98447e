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

        from django.db.models.signals import pre_save

        from .api.authentication import revoke_tokens_on_credentials_change

        pre_save.connect(
            revoke_tokens_on_credentials_change, sender=settings.AUTH_USER_MODEL, dispatch_uid="core.revoke_tokens"
        )
        user_app = settings.AUTH_USER_MODEL.split(".")[0]
        registry.register_nav("API docs", "api-docs", order=90)
        registry.register_nav("Administration", "admin:index", f"{user_app}.change_user", order=100)

        from .home import awaiting_signature_panel, recent_changes_panel

        registry.register_home_panel(
            "awaiting_signature",
            template="core/_home_awaiting_signature.html",
            context=awaiting_signature_panel,
            order=60,
        )
        registry.register_home_panel(
            "recent_changes", template="core/_home_recent_changes.html", context=recent_changes_panel, order=70
        )
