"""Safety flags: SOS risk windows and protocol deviations raised by the rules over a patient's data."""

from django.conf import settings
from django.db import models

from core.audit.guard import AuditedModel
from core.scoping import scoped_queryset
from patients.models import Patient

from .choices import FlagStatus, RuleKind, Severity


class Flag(AuditedModel):
    """A condition found in a patient's data by one safety rule.

    ``dedup_key`` identifies the condition (rule + patient + what it concerns), so checking the same
    condition again updates the flag instead of raising another. When the condition stops holding the
    flag is resolved automatically, with the time and why; an investigator may dismiss it with a reason.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="flags")
    rule_code = models.CharField(max_length=20, db_index=True)
    rule_kind = models.CharField(max_length=20, choices=RuleKind.choices)
    title = models.CharField(max_length=200)
    message = models.TextField()
    severity = models.CharField(max_length=10, choices=Severity.choices)
    dedup_key = models.CharField(max_length=200, unique=True)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True, help_text="The values and records that raised the flag.")
    status = models.CharField(max_length=15, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    raised_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(help_text="The last evaluation that found the condition.")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, help_text="Why the flag was resolved or dismissed.")
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = scoped_queryset("patient__site").as_manager()

    class Meta:
        ordering = ["-raised_at", "id"]
        indexes = [models.Index(fields=["status", "severity"])]

    def __str__(self):
        return f"{self.rule_code} {self.title} ({self.get_status_display().lower()})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("safety:flag-detail", args=[self.pk])
