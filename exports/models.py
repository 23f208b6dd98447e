"""What the exports keep: each patient's de-identification key, and a record of every export."""

from django.conf import settings
from django.db import models

from core.audit.guard import AuditedModel
from core.scoping import scoped_queryset
from patients.models import Patient


class SubjectKey(AuditedModel):
    """A patient's study pseudonym and date offset for de-identified exports (HIPAA Safe Harbor).

    Made once, at the patient's first de-identified export, with a random offset: every date of the patient is
    moved by the same number of days, so intervals stay true. Only administrators may read the keys."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="subject_key")
    pseudonym = models.CharField(max_length=20, unique=True)
    date_offset_days = models.IntegerField(help_text="Days added to every date of the patient in de-identified files.")

    objects = scoped_queryset("patient__site").as_manager()

    def __str__(self):
        return self.pseudonym


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    ZIP = "zip", "ZIP of every dataset (CSV), dictionaries and manifest"
    ODM = "odm", "CDISC ODM 1.3.2 (XML)"
    SDTM = "sdtm", "CDISC SDTM: SAS XPORT, Dataset-JSON, define.xml (ZIP)"
    FHIR = "fhir", "HL7 FHIR R4 Bundle (JSON)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed or cut short"


class Export(AuditedModel):
    """One export: who took which dataset, in which format, de-identified or not, and how many rows.

    A streamed download is an export that runs while it is downloaded; an export job (the study in one of the
    standard formats) is queued, run by a worker into a file, and downloaded once done. Either way the record gets
    the rows, the SHA-256 and, for a job, the file's manifest when it is finished."""

    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    dataset = models.CharField(max_length=50, help_text="The dataset, or 'study' for the whole-study ZIP.")
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    deidentified = models.BooleanField()
    sites = models.CharField(max_length=200, help_text="Codes of the sites the export covered.")
    rows = models.PositiveIntegerField(null=True, blank=True, help_text="Rows written, once finished.")
    sha256 = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the file, once finished.")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    total = models.PositiveIntegerField(null=True, blank=True, help_text="Source rows the export reads.")
    file_name = models.CharField(max_length=200, blank=True, help_text="The job's file in the exports directory.")
    size = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bytes of the job's file.")
    manifest = models.JSONField(null=True, blank=True)
    data_cut_off = models.DateTimeField(null=True, blank=True, help_text="When the snapshot the export read began.")
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        permissions = [("export_data", "Can export study data (de-identified unless also allowed to see PHI)")]

    def __str__(self):
        return f"{self.dataset} ({self.format}) by {self.exported_by} at {self.created_at:%Y-%m-%d %H:%M}"
