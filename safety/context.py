"""Everything the safety rules read about one patient, loaded in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from adverse_events.models import AdverseEvent, ClinicalObservation, LabResult
from dosing.choices import AdministrationStatus
from dosing.models import Course, PlannedAdministration
from patients.models import Consent, EligibilityAssessment, Patient, Transplant
from responses.models import MarrowAssessment
from trial.models import DrugHoldRule, EligibilityCriterion, ProtocolParameter, RegimenItem


@dataclass
class PatientContext:
    """A patient's data as the rules see it. Dates of given doses are local dates."""

    patient: Patient
    today: date
    now: object
    params: dict[str, Decimal]
    consents: list = field(default_factory=list)
    assessments: list = field(default_factory=list)
    courses: list = field(default_factory=list)
    administrations: list = field(default_factory=list)
    transplants: list = field(default_factory=list)
    marrows: list = field(default_factory=list)
    adverse_events: list = field(default_factory=list)
    labs: list = field(default_factory=list)
    observations: list = field(default_factory=list)
    hold_rules: list = field(default_factory=list)  # the version's DrugHoldRule rows (with anchor_drug)
    regimen_items: list = field(default_factory=list)  # the version's RegimenItem rows (drug, course type)

    def param(self, key: str) -> Decimal:
        """A number of the patient's protocol version (raises KeyError naming the key if the data lacks it)."""
        try:
            return self.params[key]
        except KeyError:
            raise KeyError(f"Protocol parameter {key!r} is missing from version {self.version_code}") from None

    @property
    def version_code(self) -> str:
        return self.patient.protocol_version.code if self.patient.protocol_version_id else ""

    @property
    def baseline(self):
        return getattr(self.patient, "baseline", None)

    def given(self, *, drug_code: str | None = None, route: str | None = None):
        """Administrations recorded as given, optionally of one drug / route."""
        return [
            a
            for a in self.administrations
            if a.status == AdministrationStatus.GIVEN
            and (drug_code is None or a.drug.code == drug_code)
            and (route is None or (a.route_given or a.route) == route)
        ]

    @staticmethod
    def given_on(administration) -> date | None:
        return timezone.localtime(administration.given_at).date() if administration.given_at else None

    def tracked_drug_given(self):
        """Given doses of drugs with a cumulative maximum (inotuzumab)."""
        return [a for a in self.given() if a.drug.cumulative_limit_parameter]


def load_context(patient_id: int, *, now=None) -> PatientContext:
    """The patient's data for the rules: a fixed number of queries whatever the amount of data."""
    now = now or timezone.now()
    patient = (
        Patient.objects.select_related("protocol_version", "site", "baseline", "death", "off_study")
        .prefetch_related(
            Prefetch("consents", queryset=Consent.objects.order_by("consent_date")),
            Prefetch(
                "eligibility_assessments",
                queryset=EligibilityAssessment.objects.select_related("protocol_version").order_by("assessed_on", "id"),
            ),
            Prefetch(
                "eligibility_assessments__protocol_version__eligibility_criteria",
                queryset=EligibilityCriterion.objects.order_by("order", "code"),
            ),
            Prefetch(
                "courses",
                queryset=Course.objects.select_related("course_type__protocol_version").order_by("course_number"),
            ),
            Prefetch("transplants", queryset=Transplant.objects.order_by("transplant_date")),
            Prefetch("marrow_assessments", queryset=MarrowAssessment.objects.order_by("assessed_on")),
            Prefetch(
                "adverse_events",
                queryset=AdverseEvent.objects.select_related("term").order_by("onset_date"),
            ),
            Prefetch("lab_results", queryset=LabResult.objects.order_by("collected_on")),
            Prefetch("clinical_observations", queryset=ClinicalObservation.objects.order_by("observed_on")),
        )
        .get(pk=patient_id)
    )
    administrations = list(
        PlannedAdministration.objects.filter(course__patient_id=patient_id)
        .select_related("drug", "regimen_item", "course__course_type")
        .order_by("planned_date", "day", "dose_number", "id")
    )
    params, hold_rules, regimen_items = {}, [], []
    if patient.protocol_version_id:
        params = dict(
            ProtocolParameter.objects.filter(protocol_version_id=patient.protocol_version_id).values_list(
                "key", "value"
            )
        )
        hold_rules = list(
            DrugHoldRule.objects.filter(protocol_version_id=patient.protocol_version_id)
            .select_related("anchor_drug")
            .order_by("code")
        )
        regimen_items = list(
            RegimenItem.objects.filter(protocol_version_id=patient.protocol_version_id)
            .select_related("drug", "course_type", "introduced_by")
            .order_by("course_type_id", "code")
        )
    return PatientContext(
        patient=patient,
        today=timezone.localdate(now),
        now=now,
        params=params,
        consents=list(patient.consents.all()),
        assessments=list(patient.eligibility_assessments.all()),
        courses=list(patient.courses.all()),
        administrations=administrations,
        transplants=list(patient.transplants.all()),
        marrows=list(patient.marrow_assessments.all()),
        adverse_events=list(patient.adverse_events.all()),
        labs=list(patient.lab_results.all()),
        observations=list(patient.clinical_observations.all()),
        hold_rules=hold_rules,
        regimen_items=regimen_items,
    )
