"""Reads of eligibility: a patient's assessments (scoped to the user's sites) and their checklist.

The checklist is derived, never stored: each criterion of the assessment's protocol version
(trial.EligibilityCriterion, loaded from the protocol data) is evaluated by the pure evaluator
in :mod:`patients.eligibility` against the values recorded on the assessment, and the consent
criterion against the patient's latest consent signed on or before the assessment date.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404

from core.choices import SignatureMeaning, SignatureStatus
from core.formatting import plain_number
from core.models import Signature
from trial.models import EligibilityCriterion
from trial.protocol_loader import BOOLEAN, CHOICE, DATE, NUMBER, EligibilityVariable

from ..derivations.eligibility import MET, MISSING, NOT_MET, CriterionResult, CriterionSpec, evaluate
from ..models import Consent, EligibilityAssessment, Patient
from .registration import current_protocol_version  # noqa: F401 (re-exported for callers)

# The values a nurse records on an assessment, in form order; each criterion reads one of them
# or CONSENT_DATE.
ASSESSMENT_VALUE_FIELDS = (
    "diagnosis",
    "disease_status",
    "ph_status",
    "cd22_status",
    "ecog",
    "ejection_fraction_percent",
    "bilirubin_mg_dl",
    "creatinine_mg_dl",
    "uncontrolled_infection",
    "nyha_class",
    "second_active_malignancy",
)
CONSENT_DATE = "consent_date"
NOT_RECORDED = "—"
STATUS_LABELS = {MET: "met", NOT_MET: "not met", MISSING: "missing"}


def eligibility_variables() -> list[EligibilityVariable]:
    """What each value criteria may read can hold (declared to the protocol loader at start-up)."""
    variables = []
    for name in ASSESSMENT_VALUE_FIELDS:
        field = EligibilityAssessment._meta.get_field(name)
        if field.choices:
            variables.append(EligibilityVariable(name, CHOICE, tuple(value for value, _label in field.flatchoices)))
        elif isinstance(field, models.BooleanField):
            variables.append(EligibilityVariable(name, BOOLEAN))
        else:
            variables.append(EligibilityVariable(name, NUMBER))
    variables.append(EligibilityVariable(CONSENT_DATE, DATE))
    return variables


# --- Lists and single assessments -----------------------------------------------------------


def _with_checklist_data(queryset):
    """Everything the checklist needs, fetched with the rows: no query per assessment."""
    content_type = ContentType.objects.get_for_model(EligibilityAssessment)
    valid_waiver = Signature.objects.filter(
        content_type=content_type,
        object_id=Cast(OuterRef("pk"), output_field=models.CharField()),
        meaning=SignatureMeaning.WAIVER,
        status=SignatureStatus.VALID,
    )
    consent_on_assessment = (
        Consent.objects.filter(patient=OuterRef("patient"), consent_date__lte=OuterRef("assessed_on"))
        .order_by("-consent_date", "-id")
        .values("consent_date")[:1]
    )
    return (
        queryset.select_related("patient__site", "protocol_version", "assessed_by")
        .prefetch_related(
            Prefetch(
                "protocol_version__eligibility_criteria",
                queryset=EligibilityCriterion.objects.order_by("order", "code"),
            )
        )
        .annotate(valid_waiver_signed=Exists(valid_waiver), consent_date_on_assessment=Subquery(consent_on_assessment))
    )


def assessments_for(user, patient: Patient | int | None = None):
    """Assessments of the user's sites (of one patient when given), newest first."""
    qs = EligibilityAssessment.objects.for_user(user)
    if patient is not None:
        qs = qs.filter(patient=patient)
    return _with_checklist_data(qs).order_by("-assessed_on", "-id")


def assessment_get(user, patient_pk, pk) -> EligibilityAssessment:
    """One assessment of one patient of the user's sites; another site's is a 404."""
    return get_object_or_404(assessments_for(user), patient_id=patient_pk, pk=pk)


def assessment_get_by_id(user, pk) -> EligibilityAssessment:
    """One assessment by id alone (for the audit-trail and signature pages); another site's is a 404."""
    return get_object_or_404(assessments_for(user), pk=pk)


def latest_assessment(patient: Patient) -> EligibilityAssessment | None:
    """The patient's most recent assessment (by date, then the last entered), or None."""
    return (
        _with_checklist_data(EligibilityAssessment.objects.filter(patient=patient))
        .order_by("-assessed_on", "-id")
        .first()
    )


# --- The checklist --------------------------------------------------------------------------


def _consent_date(assessment: EligibilityAssessment):
    if hasattr(assessment, "consent_date_on_assessment"):
        return assessment.consent_date_on_assessment
    return (
        Consent.objects.filter(patient_id=assessment.patient_id, consent_date__lte=assessment.assessed_on)
        .order_by("-consent_date", "-id")
        .values_list("consent_date", flat=True)
        .first()
    )


def _criteria(assessment: EligibilityAssessment) -> list[CriterionSpec]:
    return [CriterionSpec.from_model(c) for c in assessment.protocol_version.eligibility_criteria.all()]


def eligibility_values(assessment: EligibilityAssessment) -> dict:
    """Variable name → the value the criteria read for this assessment."""
    values = {name: getattr(assessment, name) for name in ASSESSMENT_VALUE_FIELDS}
    values[CONSENT_DATE] = _consent_date(assessment)
    return values


def eligibility_results(assessment: EligibilityAssessment) -> list[CriterionResult]:
    """Each criterion of the assessment's protocol version: met, not met or missing, with the value read."""
    return evaluate(_criteria(assessment), eligibility_values(assessment))


def _display(variable: str, value) -> str:
    """A recorded value as users read it: choice labels, yes/no, numbers without trailing zeros."""
    if value is None or value == "":
        return NOT_RECORDED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if variable in ASSESSMENT_VALUE_FIELDS:
        field = EligibilityAssessment._meta.get_field(variable)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _requirement(spec: CriterionSpec) -> str:
    """The rule in words, with category labels rather than stored codes (e.g. "one of: Relapsed, Refractory")."""
    if spec.comparator in ("==", "in") and spec.variable in ASSESSMENT_VALUE_FIELDS:
        shown = ", ".join(_display(spec.variable, value) for value in spec.allowed_values)
        return shown if spec.comparator == "==" else f"one of: {shown}"
    if spec.unit == "%":
        return spec.requirement.replace(" %", "%")
    return spec.requirement


@dataclass(frozen=True)
class ChecklistLine:
    """One criterion on the checklist: the result and how it reads on the page."""

    result: CriterionResult
    requirement: str
    value_display: str

    @property
    def criterion(self) -> CriterionSpec:
        return self.result.criterion

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.result.status]


@dataclass(frozen=True)
class EligibilitySummary:
    """The verdict of one assessment: every criterion's result, and whether registration may go ahead."""

    assessment: EligibilityAssessment
    results: list[CriterionResult]
    waived: bool

    @property
    def all_met(self) -> bool:
        return all(r.met for r in self.results)

    @property
    def registration_allowed(self) -> bool:
        """Every criterion met, or an investigator's valid signed waiver on these values."""
        return self.all_met or self.waived

    @property
    def not_met(self) -> list[CriterionResult]:
        return [r for r in self.results if r.status == NOT_MET]

    @property
    def missing(self) -> list[CriterionResult]:
        return [r for r in self.results if r.status == MISSING]

    @property
    def lines(self) -> list[ChecklistLine]:
        return [
            ChecklistLine(r, _requirement(r.criterion), _display(r.criterion.variable, r.value)) for r in self.results
        ]


def has_valid_waiver(assessment: EligibilityAssessment) -> bool:
    """A waiver counts when its reason is recorded and an investigator's waiver signature on it is still valid."""
    if not assessment.waiver_reason.strip():
        return False
    if hasattr(assessment, "valid_waiver_signed"):
        return assessment.valid_waiver_signed
    return (
        Signature.objects.for_record(assessment)
        .filter(meaning=SignatureMeaning.WAIVER, status=SignatureStatus.VALID)
        .exists()
    )


def eligibility_summary(assessment: EligibilityAssessment) -> EligibilitySummary:
    return EligibilitySummary(assessment, eligibility_results(assessment), has_valid_waiver(assessment))
