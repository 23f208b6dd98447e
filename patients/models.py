"""Patients screened and registered on the trial: consent, eligibility, registration, baseline."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.audit.guard import AuditedModel
from core.scoping import SiteScopedQuerySet, scoped_queryset
from trial.models import ProtocolVersion, Site

from .choices import (
    FOLLOWED_STATUSES,
    ConditioningAgent,  # noqa: F401 (the codes stored in Transplant.conditioning_agents)
    CRLF2Method,
    DeathCause,
    Diagnosis,
    DiseaseStatus,
    DonorType,
    FollowUpDiseaseStatus,
    FrontlineRegimen,
    KaryotypeGroup,
    OffStudyReason,
    PatientStatus,
    PosNeg,
    Sex,
    TP53Status,
    TransplantStatus,
    VitalStatus,
    YesNoUnknown,
)

# Fields that identify a person (PHI): shown only to roles with trial.view_phi.
PHI_FIELDS = ("given_name", "family_name", "medical_record_number", "date_of_birth")


def percent(name, **kwargs):
    return models.DecimalField(
        name,
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        **kwargs,
    )


class PatientQuerySet(SiteScopedQuerySet):
    site_lookup = "site"

    def followed(self):
        """Registered patients, on study or since off study (see :attr:`Patient.is_followed`)."""
        return self.filter(status__in=FOLLOWED_STATUSES)


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
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    registered_with_waiver = models.BooleanField(
        default=False, help_text="Registered although a criterion was not met or missing (signed waiver)."
    )
    sex = models.CharField(max_length=10, choices=Sex.choices, blank=True)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    medical_record_number = models.CharField("MRN", max_length=30, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)

    objects = PatientQuerySet.as_manager()

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

    @property
    def is_followed(self) -> bool:
        """Registered, on study or since off study: courses, evaluations, AEs and outcomes are recorded for them."""
        return self.status in FOLLOWED_STATUSES

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("patients:detail", args=[self.pk])


class Consent(AuditedModel):
    """Informed consent given by the patient: when, on which consent form version, obtained by whom."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    consent_date = models.DateField()
    form_version = models.CharField("consent form version", max_length=50)
    obtained_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)

    objects = scoped_queryset("patient__site").as_manager()

    class Meta:
        ordering = ["patient", "-consent_date", "-id"]

    def __str__(self):
        return f"Consent {self.consent_date} (form {self.form_version})"


class EligibilityAssessment(AuditedModel):
    """The values a nurse records to check a patient's eligibility, on one date.

    Each protocol criterion (trial.EligibilityCriterion) reads one of these fields; the result
    (met / not met / missing per criterion) is derived, never typed. An investigator may waive
    unmet or missing criteria by signing with a reason.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="eligibility_assessments")
    protocol_version = models.ForeignKey(
        ProtocolVersion, on_delete=models.PROTECT, related_name="+", help_text="Whose criteria were applied."
    )
    assessed_on = models.DateField()
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    diagnosis = models.CharField(max_length=20, choices=Diagnosis.choices, blank=True)
    disease_status = models.CharField(max_length=20, choices=DiseaseStatus.choices, blank=True)
    ph_status = models.CharField("Philadelphia chromosome", max_length=10, choices=PosNeg.choices, blank=True)
    cd22_status = models.CharField("CD22 expression", max_length=10, choices=PosNeg.choices, blank=True)
    ecog = models.PositiveSmallIntegerField(
        "ECOG performance status", null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    ejection_fraction_percent = percent("ejection fraction (%)")
    bilirubin_mg_dl = models.DecimalField(
        "serum bilirubin (mg/dL)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(50)],
    )
    creatinine_mg_dl = models.DecimalField(
        "serum creatinine (mg/dL)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(30)],
    )
    uncontrolled_infection = models.BooleanField(
        "active infection not controlled by antibiotics", null=True, blank=True
    )
    nyha_class = models.PositiveSmallIntegerField(
        "NYHA heart-failure class",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="1–4; enter 1 when there is no heart failure.",
    )
    second_active_malignancy = models.BooleanField("second active malignancy", null=True, blank=True)
    waiver_reason = models.TextField(
        blank=True, help_text="Why the investigator allows registration despite unmet or missing criteria."
    )

    objects = scoped_queryset("patient__site").as_manager()

    class Meta:
        ordering = ["patient", "-assessed_on", "-id"]

    def __str__(self):
        return f"Eligibility of {self.patient} on {self.assessed_on}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("patients:eligibility-detail", args=[self.patient_id, self.pk])


class Baseline(AuditedModel):
    """The patient's characteristics at the start of study treatment (the paper's Table 1)."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="baseline")
    ecog = models.PositiveSmallIntegerField(
        "ECOG performance status", null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    wbc_1e9_per_l = models.DecimalField(
        "WBC (×10⁹/L)",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
    )
    peripheral_blast_percent = percent("peripheral-blood blasts (%)")
    marrow_blast_percent = percent("bone-marrow blasts (%)")
    karyotype_group = models.CharField(max_length=30, choices=KaryotypeGroup.choices, blank=True)
    kmt2a_rearranged = models.CharField("KMT2A rearrangement", max_length=10, choices=YesNoUnknown.choices, blank=True)
    low_hypodiploidy_near_triploidy = models.CharField(
        "low hypodiploidy / near triploidy", max_length=10, choices=YesNoUnknown.choices, blank=True
    )
    ph_like = models.CharField("Ph-like (RNA sequencing)", max_length=10, choices=YesNoUnknown.choices, blank=True)
    crlf2_overexpression = models.CharField(
        "CRLF2 overexpression", max_length=10, choices=YesNoUnknown.choices, blank=True
    )
    crlf2_method = models.CharField("CRLF2 test method", max_length=10, choices=CRLF2Method.choices, blank=True)
    tp53_status = models.CharField("TP53 mutation", max_length=12, choices=TP53Status.choices, blank=True)
    cd19_percent = percent("CD19 expression (% of blasts)")
    cd20_percent = percent("CD20 expression (% of blasts)")
    cd22_percent = percent("CD22 expression (% of blasts)")
    prior_allogeneic_sct = models.BooleanField("prior allogeneic SCT", null=True, blank=True)
    primary_refractory = models.BooleanField(
        "primary refractory", null=True, blank=True, help_text="Never reached a first remission."
    )
    first_remission_duration_months = models.DecimalField(
        "first remission duration (months)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(600)],
    )
    prior_salvage_lines = models.PositiveSmallIntegerField(
        "prior salvage therapies", null=True, blank=True, validators=[MaxValueValidator(20)]
    )
    cns_disease_at_start = models.BooleanField("CNS disease at start", null=True, blank=True)
    prior_frontline_regimen = models.CharField(max_length=30, choices=FrontlineRegimen.choices, blank=True)
    prior_frontline_regimen_detail = models.CharField(max_length=200, blank=True)

    objects = scoped_queryset("patient__site").as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(primary_refractory=True) | Q(first_remission_duration_months__isnull=True),
                name="primary_refractory_has_no_first_remission",
            ),
        ]

    def __str__(self):
        return f"Baseline of {self.patient}"


class Transplant(AuditedModel):
    """An allogeneic stem-cell transplant, planned or done, with donor and conditioning."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="transplants")
    status = models.CharField(max_length=10, choices=TransplantStatus.choices)
    transplant_date = models.DateField(help_text="Date of the transplant (day 0), or the planned date.")
    donor_type = models.CharField(max_length=20, choices=DonorType.choices, blank=True)
    conditioning_regimen = models.CharField(max_length=200, blank=True, help_text="As named by the centre.")
    conditioning_agents = models.JSONField(
        default=list, blank=True, help_text="Agents of the conditioning regimen (ConditioningAgent codes)."
    )

    objects = scoped_queryset("patient__site").as_manager()

    class Meta:
        ordering = ["patient", "transplant_date", "id"]

    def __str__(self):
        return f"Allogeneic SCT {self.get_status_display().lower()} {self.transplant_date}"


class OffStudy(AuditedModel):
    """The date a patient came off study treatment, and why."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="off_study")
    off_study_date = models.DateField()
    reason = models.CharField(max_length=20, choices=OffStudyReason.choices)
    detail = models.TextField(blank=True)

    objects = scoped_queryset("patient__site").as_manager()

    def __str__(self):
        return f"Off study {self.off_study_date}: {self.get_reason_display()}"


class FollowUp(AuditedModel):
    """A follow-up contact: the patient's vital and disease status on a date."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="follow_ups")
    contact_date = models.DateField()
    vital_status = models.CharField(max_length=10, choices=VitalStatus.choices)
    disease_status = models.CharField(max_length=20, choices=FollowUpDiseaseStatus.choices, blank=True)
    notes = models.TextField(blank=True)

    objects = scoped_queryset("patient__site").as_manager()

    class Meta:
        ordering = ["patient", "-contact_date", "-id"]

    def __str__(self):
        return f"Follow-up {self.contact_date}: {self.get_vital_status_display()}"


class Death(AuditedModel):
    """The patient's death: date and cause. Whether it happened in remission is derived from the responses."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="death")
    death_date = models.DateField()
    cause = models.CharField(max_length=20, choices=DeathCause.choices)
    cause_detail = models.TextField(blank=True)

    objects = scoped_queryset("patient__site").as_manager()

    def __str__(self):
        return f"Died {self.death_date}: {self.get_cause_display()}"
