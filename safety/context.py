"""Everything the safety rules read about one patient, loaded in a fixed number of queries.

Each app's records come from that app's selectors (reads by patient id); this module only assembles them."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from adverse_events.selectors import adverse_events_of, clinical_observations_of, lab_results_of
from dosing.choices import AdministrationStatus
from dosing.selectors import administrations_of, courses_of
from patients.selectors import patient_with_records
from responses.selectors import marrow_assessments_of
from trial.selectors import version_hold_rules, version_parameters, version_regimen_items

if TYPE_CHECKING:
    from patients.models import Patient


@dataclass
class PatientContext:
    """A patient's data as the rules see it. Dates of given doses are local dates."""

    patient: "Patient"
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
    """The patient's data for the rules: a fixed number of queries (14) whatever the amount of data."""
    now = now or timezone.now()
    patient = patient_with_records(patient_id)
    version_id = patient.protocol_version_id
    return PatientContext(
        patient=patient,
        today=timezone.localdate(now),
        now=now,
        params=version_parameters(version_id) if version_id else {},
        consents=list(patient.consents.all()),
        assessments=list(patient.eligibility_assessments.all()),
        courses=courses_of(patient_id),
        administrations=administrations_of(patient_id),
        transplants=list(patient.transplants.all()),
        marrows=marrow_assessments_of(patient_id),
        adverse_events=adverse_events_of(patient_id),
        labs=lab_results_of(patient_id),
        observations=clinical_observations_of(patient_id),
        hold_rules=version_hold_rules(version_id) if version_id else [],
        regimen_items=version_regimen_items(version_id) if version_id else [],
    )
