import os

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Reports: tables, statistics and survival figures"

    def ready(self):
        from django.conf import settings

        from core import registry

        # Plots are drawn on the server: no display (Agg) and a writable cache for matplotlib's font list,
        # set before anything imports matplotlib.
        os.environ.setdefault("MPLBACKEND", settings.MATPLOTLIB_BACKEND)
        os.environ.setdefault("MPLCONFIGDIR", str(settings.MATPLOTLIB_CONFIG_DIR))
        registry.register_nav("Reports", "reports:index", "reports.view_reports", order=60)

        from .home import home_data_panel, home_summary_panel

        registry.register_home_panel(
            "reports_summary", template="reports/_home_summary.html", context=home_summary_panel, order=80
        )
        registry.register_home_panel(
            "reports_data", template="reports/_home_data.html", context=home_data_panel, order=90
        )
