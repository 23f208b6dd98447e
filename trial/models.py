"""The trial, its sites and people, and the protocol as data.

Nothing here records what happened to a patient: these models say what the protocol
prescribes, who may do what at which site, and how records are signed.
"""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.audit.guard import AppendOnlyHistory, AuditedModel

from .choices import (
    BSAFormula,
    Comparator,
    CoursePhase,
    CriterionKind,
    DataSource,
    DoseLevel,
    DoseUnit,
    Frequency,
    RegimenRole,
    ResponseCategory,
    Route,
    VersionAssignmentRule,
)


class Trial(AuditedModel):
    """A clinical trial run on this system (one today: NCT01371630)."""

    nct_id = models.CharField("ClinicalTrials.gov ID", max_length=20, unique=True)
    title = models.TextField()
    short_title = models.CharField(max_length=200)
    sponsor = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["nct_id"]

    def __str__(self):
        return f"{self.nct_id} — {self.short_title}"


class Site(AuditedModel):
    """A participating institution where patients are screened and treated."""

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="sites")
    code = models.CharField(max_length=20, help_text="Short site code used in subject IDs, e.g. MDA.")
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["trial", "code"], name="site_code_unique_per_trial")]

    def __str__(self):
        return f"{self.code} — {self.name}"


class User(AbstractUser):
    """A person who signs in: a member of one or more sites, holding one or more roles (groups).

    Provides what ``core`` expects of the user model: ``signature_name`` and ``site_ids()``.
    """

    sites = models.ManyToManyField(Site, blank=True, related_name="members")
    printed_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="Full name as printed on electronic signatures (21 CFR 11.50).",
    )

    password_set_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the person last set their own password (UTC)."
    )
    password_link_issued_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When an administrator last issued a set-password link (UTC)."
    )

    # The password hash is never kept in the history: a password event is recorded as the change of
    # ``password_set_at`` / ``password_link_issued_at``. Roles (groups) and sites are kept with each row.
    history = HistoricalRecords(
        excluded_fields=["password", "last_login"],
        m2m_fields=["sites", "groups"],
        bases=[AppendOnlyHistory],
        m2m_bases=[AppendOnlyHistory],
        history_change_reason_field=models.TextField(null=True),
    )

    class Meta:
        permissions = [("view_phi", "Can see identifying data (name, MRN, full date of birth)")]

    @property
    def signature_name(self):
        return self.printed_name or self.get_full_name() or self.username

    def site_ids(self):
        """Ids of the sites this user belongs to (cached for the request)."""
        if not hasattr(self, "_site_ids_cache"):
            self._site_ids_cache = frozenset(self.sites.values_list("id", flat=True))
        return self._site_ids_cache


class ProtocolAmendment(AuditedModel):
    """A dated change to the protocol; some create a new protocol version, others adjust the current one."""

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="amendments")
    code = models.SlugField(max_length=50)
    title = models.CharField(max_length=200)
    effective_date = models.DateField()
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["effective_date"]
        constraints = [models.UniqueConstraint(fields=["trial", "code"], name="amendment_code_unique_per_trial")]

    def __str__(self):
        return f"{self.title} ({self.effective_date:%b %Y})"


class ProtocolVersion(AuditedModel):
    """A version of the protocol with its own regimen; a patient is assigned one at registration.

    Assignment rule (data): a patient registered with sequence number ≥ ``applies_from_sequence_number``
    or on/after ``effective_date`` gets this version (the latest version whose rule matches wins).
    """

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="protocol_versions")
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    effective_date = models.DateField()
    applies_from_sequence_number = models.PositiveIntegerField(
        null=True, blank=True, help_text="First patient sequence number (#) treated on this version."
    )
    created_by_amendment = models.ForeignKey(
        ProtocolAmendment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(blank=True)
    assignment_rule = models.CharField(
        max_length=20, choices=VersionAssignmentRule.choices, default=VersionAssignmentRule.BASE
    )
    bsa_formula = models.CharField(
        "body-surface-area formula", max_length=20, choices=BSAFormula.choices, default=BSAFormula.MOSTELLER
    )
    data_file = models.CharField(max_length=200, help_text="Versioned data file the regimen was loaded from.")
    data_sha256 = models.CharField(max_length=64, help_text="Checksum of the data file at the last load.")
    data_version = models.CharField(max_length=30, help_text="The data file's own version label.")

    class Meta:
        ordering = ["effective_date"]
        constraints = [models.UniqueConstraint(fields=["trial", "code"], name="version_code_unique_per_trial")]

    def __str__(self):
        return self.name


class ProtocolParameter(AuditedModel):
    """A number the protocol fixes for a version: a threshold, window or maximum, with its unit and source."""

    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.CASCADE, related_name="parameters")
    key = models.SlugField(max_length=80)
    value = models.DecimalField(max_digits=12, decimal_places=4)
    unit = models.CharField(max_length=30, blank=True)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=DataSource.choices, default=DataSource.PAPER)

    class Meta:
        ordering = ["protocol_version", "key"]
        constraints = [
            models.UniqueConstraint(fields=["protocol_version", "key"], name="parameter_key_unique_per_version")
        ]

    def __str__(self):
        return f"{self.key} = {self.value} {self.unit}".strip()


class Drug(AuditedModel):
    """A medicine the protocol names: study drugs, chemotherapy and supportive care."""

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="drugs")
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    drug_class = models.CharField(max_length=50, blank=True, help_text="E.g. azole, anthracycline, antibody.")
    is_study_drug = models.BooleanField(
        default=False, help_text="Given as protocol therapy (AE attribution is asked for each study drug)."
    )
    cumulative_limit_parameter = models.SlugField(
        max_length=80,
        blank=True,
        help_text="Protocol parameter holding this drug's cumulative maximum (per m²); empty when none is tracked.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["trial", "code"], name="drug_code_unique_per_trial")]

    def __str__(self):
        return self.name


class CourseType(AuditedModel):
    """A kind of treatment course in a protocol version (e.g. mini-Hyper-CVD odd course)."""

    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.CASCADE, related_name="course_types")
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    phase = models.CharField(max_length=30, choices=CoursePhase.choices)
    length_days = models.PositiveIntegerField(help_text="Days of treatment and observation in one course.")
    cycle_days = models.PositiveIntegerField(help_text="Planned days from the start of this course to the next.")
    min_interval_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Earliest the next course may start, in days after this one started."
    )

    class Meta:
        ordering = ["protocol_version", "code"]
        constraints = [
            models.UniqueConstraint(fields=["protocol_version", "code"], name="course_type_code_unique_per_version")
        ]

    def __str__(self):
        return self.name


class CourseSequenceStep(AuditedModel):
    """One position in a version's planned sequence of courses (course 1, 2, …)."""

    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.CASCADE, related_name="course_sequence")
    course_number = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    course_type = models.ForeignKey(CourseType, on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["protocol_version", "course_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol_version", "course_number"], name="sequence_step_unique_per_version"
            )
        ]

    def __str__(self):
        return f"Course {self.course_number}: {self.course_type}"


class RegimenItem(AuditedModel):
    """One drug given in a course type: dose, unit, days, frequency and route, with the courses it applies to.

    ``days`` lists course days (day 1 = course start). An item applies to a course when the course's
    number is within [course_number_min, course_number_max] and its ordinal among courses of the same
    type is within [type_ordinal_min, type_ordinal_max] (empty bounds are open), and, when a condition is
    set, when the patient's value satisfies it (e.g. CD20 ≥ 20%).
    """

    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.CASCADE, related_name="regimen_items")
    code = models.SlugField(max_length=80, help_text="Stable key of the item within its version's data file.")
    course_type = models.ForeignKey(CourseType, on_delete=models.CASCADE, related_name="regimen_items")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="regimen_items")
    role = models.CharField(max_length=30, choices=RegimenRole.choices)
    dose_amount = models.DecimalField(
        max_digits=10, decimal_places=4, null=True, blank=True, help_text="Per dose, or per day for µg/day."
    )
    dose_unit = models.CharField(max_length=10, choices=DoseUnit.choices, blank=True)
    route = models.CharField(max_length=10, choices=Route.choices)
    frequency = models.CharField(max_length=20, choices=Frequency.choices)
    doses_per_day = models.PositiveSmallIntegerField(default=1)
    interval_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    days = models.JSONField(help_text="Course days on which the drug is given (list of integers).")
    day_window_before = models.PositiveSmallIntegerField(default=0, help_text="Days early allowed.")
    day_window_after = models.PositiveSmallIntegerField(default=0, help_text="Days late allowed.")
    course_number_min = models.PositiveIntegerField(null=True, blank=True)
    course_number_max = models.PositiveIntegerField(null=True, blank=True)
    type_ordinal_min = models.PositiveIntegerField(null=True, blank=True)
    type_ordinal_max = models.PositiveIntegerField(null=True, blank=True)
    condition_field = models.CharField(max_length=50, blank=True, help_text="Patient value the item depends on.")
    condition_comparator = models.CharField(
        max_length=2, blank=True, choices=[(c, c) for c in ("<", "<=", ">", ">=", "==")]
    )
    condition_threshold = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    dose_level = models.CharField(max_length=10, choices=DoseLevel.choices, blank=True, default=DoseLevel.STANDARD)
    introduced_by = models.ForeignKey(
        ProtocolAmendment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Applies only to courses starting on or after this amendment's effective date.",
    )
    alternatives = models.JSONField(
        default=list, blank=True, help_text="Permitted substitutes: other drugs, routes or doses."
    )
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=DataSource.choices, default=DataSource.PAPER)

    class Meta:
        ordering = ["protocol_version", "course_type", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol_version", "course_type", "code"], name="regimen_item_unique_per_course_type"
            ),
            models.CheckConstraint(
                condition=Q(dose_amount__isnull=True) | Q(dose_amount__gt=0), name="regimen_dose_positive"
            ),
            models.CheckConstraint(condition=Q(doses_per_day__gte=1), name="regimen_doses_per_day_positive"),
        ]

    def __str__(self):
        return f"{self.drug} {self.dose_amount or ''} {self.dose_unit} {self.route} days {self.days}".strip()

    def clean(self):
        days = self.days
        if not isinstance(days, list) or not days or not all(isinstance(d, int) for d in days):
            raise ValidationError({"days": "Days must be a non-empty list of whole course days."})
        if self.dose_amount is not None and not self.dose_unit:
            raise ValidationError({"dose_unit": "A dose needs a unit."})

    @property
    def is_bsa_scaled(self):
        return self.dose_unit in (DoseUnit.MG_PER_M2, DoseUnit.G_PER_M2)

    @property
    def doses_in_course(self):
        return len(self.days) * self.doses_per_day


class DrugHoldRule(AuditedModel):
    """A rule that one class of drug is held around the days another drug is given.

    E.g. azoles held on day −1, 0 and +1 of each vincristine dose.
    """

    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.CASCADE, related_name="hold_rules")
    code = models.SlugField(max_length=80)
    held_drug_class = models.CharField(max_length=50)
    anchor_drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+")
    days_before = models.PositiveSmallIntegerField()
    days_after = models.PositiveSmallIntegerField()
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["protocol_version", "code"]
        constraints = [
            models.UniqueConstraint(fields=["protocol_version", "code"], name="hold_rule_unique_per_version")
        ]

    def __str__(self):
        return self.description or self.code


class EligibilityCriterion(AuditedModel):
    """One inclusion or exclusion criterion of a protocol version, as a rule over one recorded value.

    The rule is what must hold for the patient to be eligible: ``<variable> <comparator> <threshold>``
    (e.g. ``bilirubin_mg_dl <= 1.95``; for the exclusion "active uncontrolled infection" it is
    ``uncontrolled_infection == false``). Categorical thresholds go in ``allowed_values``.
    """

    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.CASCADE, related_name="eligibility_criteria")
    code = models.SlugField(max_length=80)
    kind = models.CharField(max_length=10, choices=CriterionKind.choices)
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300, help_text="The criterion as the protocol words it.")
    variable = models.CharField(max_length=60, help_text="The recorded value the rule reads.")
    comparator = models.CharField(max_length=8, choices=Comparator.choices)
    threshold = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    allowed_values = models.JSONField(default=list, blank=True, help_text="For == / in on categorical values.")
    unit = models.CharField(max_length=30, blank=True)
    source = models.CharField(max_length=20, choices=DataSource.choices, default=DataSource.PAPER)

    class Meta:
        ordering = ["protocol_version", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["protocol_version", "code"], name="criterion_code_unique_per_version")
        ]

    def __str__(self):
        return self.text


class ResponseRule(AuditedModel):
    """One line of a protocol version's response definitions: the category a bone-marrow evaluation gets
    when its blasts, neutrophils, platelets and extramedullary disease satisfy the line.

    Lines are tried in ``order``; the first that matches decides; none matching is "no response".
    Empty comparators mean "any value". A line marked not_in_paper is a reading of a case the
    paper does not cover, and pages show its label.
    """

    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.CASCADE, related_name="response_rules")
    code = models.SlugField(max_length=80)
    order = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=20, choices=ResponseCategory.choices)
    label = models.CharField(max_length=200, help_text="The definition in words, shown with the derived response.")
    marrow_blasts_max_percent = models.DecimalField(max_digits=6, decimal_places=2)
    neutrophils_comparator = models.CharField(max_length=2, blank=True, choices=[(c, c) for c in (">", "<=")])
    neutrophils_threshold = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    platelets_comparator = models.CharField(max_length=2, blank=True, choices=[(c, c) for c in (">", "<=")])
    platelets_threshold = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    extramedullary_disease_allowed = models.BooleanField(default=False)
    source = models.CharField(max_length=20, choices=DataSource.choices, default=DataSource.PAPER)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["protocol_version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["protocol_version", "code"], name="response_rule_code_unique_per_version")
        ]

    def __str__(self):
        return self.label
