"""Patients screened and registered on the trial."""

from django.db import models
from django.db.models import Q

from trial.auditing import AuditedModel
from trial.models import ProtocolVersion, Site
from trial.scoping import scoped_queryset

from .choices import PatientStatus, Sex

# Fields that identify a person (PHI): shown only to roles with trial.view_phi.
PHI_FIELDS = ("given_name", "family_name", "medical_record_number", "date_of_birth")


class Patient(AuditedModel):
    """A person screened for the trial at a site; once registered, a study subject with a sequence number."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    subject_id = models.CharField("study subject ID", max_length=30, unique=True)
    sequence_number = models.PositiveIntegerField(
        "sequence number", null=True, blank=True, unique=True, help_text="Trial-wide registration order (#1, #2, …)."
    )
    status = models.CharField(max_length=20, choices=PatientStatus.choices, default=PatientStatus.SCREENING)
    protocol_version = models.ForeignKey(
        ProtocolVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="patients"
    )
    registration_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, blank=True)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    medical_record_number = models.CharField("MRN", max_length=30, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)

    objects = scoped_queryset("site").as_manager()

    class Meta:
        ordering = ["site", "subject_id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=PatientStatus.REGISTERED)
                | Q(sequence_number__isnull=False, registration_date__isnull=False, protocol_version__isnull=False),
                name="registered_patient_has_number_date_version",
            ),
        ]

    def __str__(self):
        return self.subject_id

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("patients:detail", args=[self.pk])
