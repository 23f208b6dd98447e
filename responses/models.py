"""Bone-marrow evaluations with the same-day counts, MRD and cytogenetics. The response is derived, never typed."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.audit.guard import AuditedModel
from core.scoping import scoped_queryset
from dosing.models import Course
from patients.models import Patient

from .choices import CytogeneticsResult, MRDResult


class MarrowAssessment(AuditedModel):
    """A bone-marrow evaluation on one date, with peripheral counts of the same day, MRD and cytogenetics.

    The response category (CR / CRp / CRi / no response) and relapse are derived from these values by the
    protocol version's response rules; they are never entered.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="marrow_assessments")
    assessed_on = models.DateField()
    after_course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="The course it follows."
    )
    marrow_blast_percent = models.DecimalField(
        "bone-marrow blasts (%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    blasts_due_to_recovery = models.BooleanField(
        "raised blasts due to regenerating marrow",
        default=False,
        help_text="Tick when the pathologist attributes blasts above 5% to recovery, not leukaemia.",
    )
    extramedullary_disease = models.BooleanField("extramedullary disease", default=False)
    neutrophils_1e9_per_l = models.DecimalField(
        "neutrophils (×10⁹/L)",
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
    )
    platelets_1e9_per_l = models.DecimalField(
        "platelets (×10⁹/L)", max_digits=7, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(3000)]
    )
    mrd_flow = models.CharField(
        "MRD by flow cytometry", max_length=15, choices=MRDResult.choices, default=MRDResult.NOT_DONE
    )
    mrd_flow_level = models.DecimalField(
        "flow MRD level (fraction of cells)",
        max_digits=12,
        decimal_places=8,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    mrd_ngs = models.CharField("MRD by NGS", max_length=15, choices=MRDResult.choices, default=MRDResult.NOT_DONE)
    mrd_ngs_level = models.DecimalField(
        "NGS MRD level (fraction of cells)",
        max_digits=14,
        decimal_places=10,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    cytogenetics = models.CharField(
        max_length=15,
        choices=CytogeneticsResult.choices,
        default=CytogeneticsResult.NOT_DONE,
        help_text="For patients with an abnormal karyotype before treatment.",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = scoped_queryset("patient__site").as_manager()

    class Meta:
        ordering = ["patient", "assessed_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "assessed_on"], name="one_marrow_assessment_per_day"),
        ]

    def __str__(self):
        return f"Marrow of {self.patient} on {self.assessed_on}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("responses:assessment-detail", args=[self.pk])
