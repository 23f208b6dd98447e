"""CTCAE v5.0 dictionary, lab-grading rules, adverse events with attribution and SAE data, lab results."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.audit.guard import AuditedModel
from core.scoping import scoped_queryset
from dosing.models import Course
from patients.models import Death, Patient
from trial.models import Drug

from .choices import ActionTaken, AEOutcome, Attribution, LabProposalStatus, UnitSystem

OTHER_SPECIFY_SUFFIX = " - Other, specify"


class CTCAEVersion(AuditedModel):
    """A version of the Common Terminology Criteria for Adverse Events (v5.0 today), with its provenance."""

    code = models.CharField(max_length=10, unique=True, help_text="E.g. 5.0")
    name = models.CharField(max_length=100)
    published = models.DateField()
    provenance = models.TextField(help_text="Where the files came from and how they were transformed.")
    terms_sha256 = models.CharField(max_length=64)
    lab_rules_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-published"]

    def __str__(self):
        return f"CTCAE v{self.code}"


class CTCAETerm(AuditedModel):
    """One CTCAE term: MedDRA code, system organ class, the text of each defined grade, definition."""

    version = models.ForeignKey(CTCAEVersion, on_delete=models.PROTECT, related_name="terms")
    meddra_code = models.CharField("MedDRA code", max_length=8)
    soc = models.CharField("system organ class", max_length=120, db_index=True)
    term = models.CharField(max_length=200, db_index=True)
    grade_1 = models.TextField(blank=True, help_text="Empty when the grade is not defined for the term.")
    grade_2 = models.TextField(blank=True)
    grade_3 = models.TextField(blank=True)
    grade_4 = models.TextField(blank=True)
    grade_5 = models.TextField(blank=True)
    definition = models.TextField(blank=True)
    navigational_note = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "soc", "term"]
        constraints = [
            models.UniqueConstraint(fields=["version", "meddra_code"], name="ctcae_code_unique_per_version"),
            models.UniqueConstraint(fields=["version", "term"], name="ctcae_term_unique_per_version"),
        ]

    def __str__(self):
        return f"{self.term} ({self.meddra_code})"

    @property
    def is_other_specify(self) -> bool:
        return self.term.endswith(OTHER_SPECIFY_SUFFIX)

    def grade_text(self, grade: int) -> str:
        return getattr(self, f"grade_{grade}", "") if 1 <= grade <= 5 else ""

    @property
    def defined_grades(self) -> list[int]:
        return [g for g in range(1, 6) if self.grade_text(g)]


class LabGradingRule(AuditedModel):
    """One clause of the structured rules that grade a lab value (derived from pharmaverse/admiral, Apache-2.0).

    Rules of a (lab term, unit system, unit) are tried in ``rule_order``; the first that holds gives the grade
    (None = not gradable). The threshold is ``threshold_value`` (absolute) or ``factor × ref + offset`` with
    ref = ULN, LLN or the baseline value.
    """

    version = models.ForeignKey(CTCAEVersion, on_delete=models.PROTECT, related_name="lab_rules")
    lab_term = models.CharField(max_length=120, help_text="admiral's term, e.g. 'Hypocalcemia (Ionized)'.")
    ctcae_term = models.ForeignKey(CTCAETerm, on_delete=models.PROTECT, related_name="lab_rules")
    unit_system = models.CharField(max_length=20, choices=UnitSystem.choices)
    unit = models.CharField(max_length=20, blank=True)
    direction = models.CharField(max_length=1, choices=[("H", "high"), ("L", "low")])
    rule_order = models.PositiveSmallIntegerField()
    grade = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0–4; empty = not gradable.")
    condition = models.TextField()
    comparator = models.CharField(max_length=2, blank=True)
    threshold_ref = models.CharField(max_length=10, blank=True)
    threshold_factor = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    threshold_offset = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    threshold_value = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    extra_condition = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "lab_term", "unit_system", "unit", "rule_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "lab_term", "unit_system", "unit", "rule_order"], name="lab_rule_unique"
            )
        ]

    def __str__(self):
        return f"{self.lab_term} [{self.unit_system} {self.unit}] #{self.rule_order}: {self.condition}"


class LabAnalyte(AuditedModel):
    """A lab test a nurse records (one per analyte: potassium), the CTCAE lab-grading terms its values are graded
    as (Hypokalemia, Hyperkalemia) and the basis of its plausible ranges; loaded by ``load_ctcae`` from
    ``data/lab_plausible_ranges.yaml``."""

    code = models.CharField(max_length=40, unique=True, help_text="Stored on each lab value, e.g. potassium.")
    name = models.CharField(max_length=100, help_text="The lab test as a nurse knows it, e.g. Potassium.")
    lab_terms = models.JSONField(help_text="The CTCAE lab-grading terms of the analyte, one per direction graded.")
    basis = models.CharField(max_length=20, help_text="What the plausible ranges rest on (judgement, definition).")
    note = models.TextField(help_text="The extreme values the ranges were set beyond.")
    position = models.PositiveSmallIntegerField(help_text="Order in the lab picker (the data file's order).")

    class Meta:
        ordering = ["position", "code"]

    def __str__(self):
        return self.name


class LabPlausibleRange(AuditedModel):
    """The lowest and highest plausible value of a lab test in a unit: outside it, a value is refused."""

    analyte = models.ForeignKey(LabAnalyte, on_delete=models.CASCADE, related_name="ranges")
    unit_system = models.CharField(max_length=20, choices=UnitSystem.choices)
    unit = models.CharField(max_length=20, blank=True, help_text="Empty: the test has no unit (INR, pH).")
    lowest = models.DecimalField(max_digits=14, decimal_places=4)
    highest = models.DecimalField(max_digits=14, decimal_places=4)
    position = models.PositiveSmallIntegerField(help_text="Order of the units (the first is the one shown).")

    class Meta:
        ordering = ["analyte", "unit_system", "position"]
        constraints = [
            models.UniqueConstraint(fields=["analyte", "unit_system", "unit"], name="lab_range_unique_per_unit"),
            models.CheckConstraint(condition=Q(lowest__lt=models.F("highest")), name="lab_range_lowest_below_highest"),
        ]

    def __str__(self):
        return f"{self.analyte}: {self.lowest}–{self.highest} {self.unit}".strip()


class LabResult(AuditedModel):
    """A laboratory value of a patient on a date, with the normal range it is graded against.

    The nurse records a lab test (one per analyte: potassium); the CTCAE lab term (Hypokalemia or Hyperkalemia)
    and the grade are derived from the shipped rules. A grade ≥ 3 proposes an adverse event for the
    nurse to confirm or dismiss; it never creates one by itself.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="lab_results")
    lab_test = models.CharField(
        "lab test",
        max_length=40,
        help_text="The lab test recorded (a code of data/lab_plausible_ranges.yaml, e.g. potassium).",
    )
    lab_term = models.CharField(
        "CTCAE lab term",
        max_length=120,
        help_text="The CTCAE lab-grading term the value is graded as, derived from the value "
        "(e.g. Hypokalemia or Hyperkalemia for potassium).",
    )
    unit_system = models.CharField(max_length=20, choices=UnitSystem.choices, default=UnitSystem.SI)
    unit = models.CharField(max_length=20, blank=True)
    collected_on = models.DateField()
    value = models.DecimalField(max_digits=12, decimal_places=4)
    lower_limit_normal = models.DecimalField("LLN", max_digits=12, decimal_places=4, null=True, blank=True)
    upper_limit_normal = models.DecimalField("ULN", max_digits=12, decimal_places=4, null=True, blank=True)
    baseline_value = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    grade = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Derived CTCAE grade (0–4).")
    proposal_status = models.CharField(max_length=10, choices=LabProposalStatus.choices, blank=True)
    proposal_note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = scoped_queryset("patient__site").as_manager()

    class Meta:
        ordering = ["patient", "-collected_on", "lab_term"]

    def __str__(self):
        return f"{self.lab_test_name} {self.value} {self.unit} on {self.collected_on}"

    @property
    def lab_test_name(self) -> str:
        """The lab test as the nurse knows it (Potassium), from the lab-test data file."""
        from .plausibility import lab_test_name

        return lab_test_name(self.lab_test)


class AdverseEvent(AuditedModel):
    """An adverse event graded by CTCAE: term, grade, dates, course, attribution, seriousness, action, outcome."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="adverse_events")
    term = models.ForeignKey(CTCAETerm, on_delete=models.PROTECT, related_name="+")
    grade = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    verbatim = models.CharField(max_length=300, blank=True, help_text="The event in the investigator's words.")
    onset_date = models.DateField()
    resolution_date = models.DateField(null=True, blank=True)
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    serious = models.BooleanField(default=False)
    sae_criteria = models.JSONField(default=list, blank=True, help_text="SAECriterion codes.")
    sae_aware_at = models.DateTimeField(
        "site aware of the SAE at",
        null=True,
        blank=True,
        help_text="Starts the expedited-report clock (its hours are protocol data).",
    )
    sae_reported_at = models.DateTimeField("expedited report submitted at", null=True, blank=True)
    action_taken = models.CharField(max_length=20, choices=ActionTaken.choices, blank=True)
    outcome = models.CharField(max_length=30, choices=AEOutcome.choices, blank=True)
    death = models.ForeignKey(Death, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_lab_result = models.ForeignKey(
        LabResult, null=True, blank=True, on_delete=models.PROTECT, related_name="adverse_events"
    )
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = scoped_queryset("patient__site").as_manager()

    class Meta:
        ordering = ["patient", "onset_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolution_date__isnull=True) | Q(resolution_date__gte=models.F("onset_date")),
                name="ae_resolves_after_onset",
            ),
            models.CheckConstraint(condition=~Q(grade=5) | Q(death__isnull=False), name="grade_5_has_death"),
        ]

    def __str__(self):
        return f"{self.term.term} grade {self.grade} ({self.onset_date})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("adverse_events:ae-detail", args=[self.pk])


class AEAttribution(AuditedModel):
    """The investigator's attribution of an adverse event to one study drug the patient received."""

    adverse_event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="attributions")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+")
    attribution = models.CharField(max_length=10, choices=Attribution.choices)

    objects = scoped_queryset("adverse_event__patient__site").as_manager()

    class Meta:
        ordering = ["adverse_event", "drug__name"]
        constraints = [
            models.UniqueConstraint(fields=["adverse_event", "drug"], name="one_attribution_per_drug"),
        ]

    def __str__(self):
        return f"{self.drug}: {self.get_attribution_display()}"


class ClinicalObservation(AuditedModel):
    """Bedside findings on a date that the SOS criteria read: weight, hepatomegaly, ascites."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="clinical_observations")
    observed_on = models.DateField()
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(25), MaxValueValidator(300)],
    )
    hepatomegaly = models.BooleanField("hepatomegaly (tender, enlarged liver)", null=True, blank=True)
    ascites = models.BooleanField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = scoped_queryset("patient__site").as_manager()

    class Meta:
        ordering = ["patient", "-observed_on", "-id"]

    def __str__(self):
        return f"Observation of {self.patient} on {self.observed_on}"
