"""Treatment courses, the doses planned for them from the regimen data, and what was given."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from core.audit.guard import AuditedModel
from core.scoping import scoped_queryset
from patients.models import Patient
from trial.choices import DoseLevel, Route
from trial.models import CourseType, Drug, RegimenItem

from .choices import AdministrationStatus, DoseAmountUnit


class Course(AuditedModel):
    """One treatment course a registered patient started: its type, start date and the body size doses are based on."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    course_number = models.PositiveIntegerField(help_text="1 for the patient's first course, 2 for the next, …")
    sequence_step = models.PositiveIntegerField(
        help_text="Position in the protocol version's planned course sequence (ahead of the course number "
        "when maintenance started early)."
    )
    course_type = models.ForeignKey(CourseType, on_delete=models.PROTECT, related_name="+")
    type_ordinal = models.PositiveIntegerField(help_text="The patient's 1st, 2nd, … course of this type.")
    start_date = models.DateField()
    height_cm = models.DecimalField(
        "height (cm)", max_digits=5, decimal_places=1, validators=[MinValueValidator(100), MaxValueValidator(250)]
    )
    weight_kg = models.DecimalField(
        "weight (kg)", max_digits=5, decimal_places=1, validators=[MinValueValidator(25), MaxValueValidator(300)]
    )
    bsa_m2 = models.DecimalField(
        "body-surface area (m²)",
        max_digits=4,
        decimal_places=2,
        help_text="Derived from height and weight by the protocol's formula; planned doses use it.",
    )
    inotuzumab_dose_level = models.CharField(
        max_length=10,
        choices=DoseLevel.choices,
        blank=True,
        help_text="Higher or lower dose level, where the protocol version has both.",
    )
    early_maintenance_reason = models.TextField(
        blank=True, help_text="Why maintenance started before the planned consolidation courses were given."
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = scoped_queryset("patient__site").as_manager()

    class Meta:
        ordering = ["patient", "course_number"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "course_number"], name="course_number_unique_per_patient"),
            models.CheckConstraint(condition=Q(bsa_m2__gt=0), name="course_bsa_positive"),
        ]

    def __str__(self):
        return f"{self.patient} course {self.course_number} ({self.course_type})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("dosing:course-detail", args=[self.pk])


class PlannedAdministration(AuditedModel):
    """A dose the regimen plans on a course day — or a planned period for an infusion or a daily oral drug —
    and, once recorded, what was actually given (or why it was held or omitted).

    ``planned_dose`` is the absolute amount (mg, g or µg/day) computed from the regimen and the course's
    body-surface area; ``dose_per_m2`` keeps the per-m² figure for BSA-scaled drugs (and for cumulative totals).
    """

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="administrations")
    regimen_item = models.ForeignKey(
        RegimenItem,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The regimen item that planned this dose; empty for an unplanned dose.",
    )
    unplanned = models.BooleanField(
        default=False,
        help_text="A dose the plan did not hold (an extra dose, another drug, a dose on another day), recorded as "
        "given with its reason (deviation_reason).",
    )
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+")
    day = models.PositiveSmallIntegerField(help_text="Course day (day 1 = course start).")
    last_day = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For a period (infusion, daily oral drug): its last course day."
    )
    dose_number = models.PositiveSmallIntegerField(default=1, help_text="1st, 2nd, … dose of the day (q12h).")
    planned_date = models.DateField()
    planned_dose = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    dose_unit = models.CharField(max_length=10, choices=DoseAmountUnit.choices, blank=True)
    dose_per_m2 = models.DecimalField("planned dose per m²", max_digits=10, decimal_places=4, null=True, blank=True)
    doses_per_day = models.PositiveSmallIntegerField(default=1)
    route = models.CharField(max_length=10, choices=Route.choices)
    window_before_days = models.PositiveSmallIntegerField(default=0)
    window_after_days = models.PositiveSmallIntegerField(default=0)
    hold_days = models.JSONField(
        default=list, blank=True, help_text="Course days on which the protocol holds this drug (e.g. azoles)."
    )
    status = models.CharField(max_length=10, choices=AdministrationStatus.choices, default=AdministrationStatus.PENDING)
    given_at = models.DateTimeField(null=True, blank=True)
    dose_given = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    route_given = models.CharField(max_length=10, choices=Route.choices, blank=True)
    deviation_reason = models.TextField(
        blank=True, help_text="Why what was given (or not given) differs from the plan."
    )
    reduction_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Planned dose reduction applied to this dose (e.g. 50).",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = scoped_queryset("course__patient__site").as_manager()

    class Meta:
        ordering = ["course", "planned_date", "day", "dose_number", "drug__name"]
        indexes = [models.Index(fields=["status", "planned_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "regimen_item", "day", "dose_number"], name="one_administration_per_item_day_dose"
            ),
            models.CheckConstraint(
                condition=Q(planned_dose__isnull=True) | Q(planned_dose__gt=0), name="planned_dose_positive"
            ),
            models.CheckConstraint(
                condition=Q(dose_given__isnull=True) | Q(dose_given__gt=0), name="dose_given_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status=AdministrationStatus.GIVEN) | Q(given_at__isnull=False),
                name="given_dose_has_time",
            ),
            models.CheckConstraint(
                condition=Q(last_day__isnull=True) | Q(last_day__gte=F("day")), name="period_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(unplanned=True) | Q(regimen_item__isnull=False), name="planned_dose_has_regimen_item"
            ),
        ]

    def __str__(self):
        span = f"days {self.day}–{self.last_day}" if self.last_day else f"day {self.day}"
        return f"{self.drug} {span} of {self.course}"


class DoseOverride(AuditedModel):
    """An investigator's signed authorisation to give a dose that takes a drug past its protocol cumulative maximum."""

    administration = models.ForeignKey(PlannedAdministration, on_delete=models.PROTECT, related_name="overrides")
    reason = models.TextField()
    cumulative_before_per_m2 = models.DecimalField(max_digits=10, decimal_places=4)
    dose_per_m2 = models.DecimalField(max_digits=10, decimal_places=4)
    maximum_per_m2 = models.DecimalField(max_digits=10, decimal_places=4)
    authorised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = scoped_queryset("administration__course__patient__site").as_manager()

    class Meta:
        ordering = ["administration", "-created_at"]

    def __str__(self):
        return f"Override for {self.administration}: {self.reason}"
