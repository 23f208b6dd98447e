"""Models of the framework: electronic signatures on any registered record.

Nothing here is clinical. The tables keep the names they had when signatures lived in ``trial``
(``trial_signature``, ``trial_historicalsignature``), so moving the model moved no data.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from .audit.guard import AuditedModel, AuditedQuerySet
from .choices import SignatureMeaning, SignatureStatus


class SignatureQuerySet(AuditedQuerySet):
    def for_record(self, record):
        ct = ContentType.objects.get_for_model(record, for_concrete_model=False)
        return self.filter(content_type=ct, object_id=str(record.pk))


class Signature(AuditedModel):
    """An electronic signature on a record (21 CFR 11.50/11.70): who, when (UTC) and what it means.

    ``record_digest`` fingerprints the record's values when signed. Any later change to the record
    voids the signature (status, time and reason are kept, and the change is in the audit trail).
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures")
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=20, choices=SignatureMeaning.choices)
    signed_at = models.DateTimeField(help_text="Server time (UTC) when the signature was applied.")
    record_digest = models.CharField(max_length=64)
    comment = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=SignatureStatus.choices, default=SignatureStatus.VALID)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)

    objects = SignatureQuerySet.as_manager()
    history_table_name = "trial_historicalsignature"

    class Meta:
        db_table = "trial_signature"
        ordering = ["-signed_at"]
        permissions = [
            ("sign_records", "Can sign records electronically"),
            ("view_audit_trail", "Can see the audit trail of records"),
            ("withdraw_records", "Can withdraw records entered in error"),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="trial_signa_content_ee4830_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=SignatureStatus.VALID, voided_at__isnull=True)
                | Q(status=SignatureStatus.VOID, voided_at__isnull=False),
                name="signature_void_has_time",
            )
        ]

    def __str__(self):
        return f"{self.printed_name} — {self.get_meaning_display()} — {self.signed_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_valid(self):
        return self.status == SignatureStatus.VALID
