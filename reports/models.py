"""The reports app stores nothing; its one model exists to carry the permission to see the reports."""

from django.db import models


class Report(models.Model):
    """The investigator dashboards (no table: reports are computed from the other apps' records)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_reports", "Can see the trial's tables, statistics and survival figures")]

    def __str__(self):
        return "Reports"
