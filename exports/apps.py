from django.apps import AppConfig


class ExportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exports"
    verbose_name = "Exports: datasets, data dictionary and standard formats for statisticians"

    def ready(self):
        from core import registry

        registry.register_nav("Exports", "exports:index", "exports.export_data", order=70)
