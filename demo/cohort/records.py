"""What one synthetic patient's plan holds: the records ``manage.py reference_cohort`` enters for them.

Plain values (no database); :func:`demo.cohort.plan.build_plan` fills them, :mod:`demo.cohort.enter`
enters them through the services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal


@dataclass(frozen=True)
class MarrowPlan:
    on: date
    blasts: Decimal
    neutrophils: Decimal
    platelets: Decimal
    mrd_flow: str = "not_done"
    mrd_flow_level: Decimal | None = None
    cytogenetics: str = "not_done"
    blasts_due_to_recovery: bool = False
    extramedullary_disease: bool = False


@dataclass(frozen=True)
class TransplantPlan:
    on: date
    donor_type: str
    conditioning_regimen: str
    conditioning_agents: tuple[str, ...]


@dataclass(frozen=True)
class EventPlan:
    """A follow-up contact (kind = disease status), off study (kind = reason) or death (kind = cause)."""

    on: date
    kind: str
    detail: str = ""


@dataclass
class PatientPlan:
    number: int
    version: str
    registered: date
    start: date
    sex: str = ""
    date_of_birth: date | None = None
    consented: date | None = None
    consent_form: str = ""
    assessed: date | None = None
    eligibility: dict = field(default_factory=dict)
    baseline: dict = field(default_factory=dict)
    height_cm: Decimal = Decimal(170)
    weight_kg: Decimal = Decimal(70)
    dose_level: str = ""
    courses: list[date] = field(default_factory=list)
    marrows: list[MarrowPlan] = field(default_factory=list)
    transplant: TransplantPlan | None = None
    follow_ups: list[EventPlan] = field(default_factory=list)
    off_study: EventPlan | None = None
    death: EventPlan | None = None
    # What the plan is meant to give once derived (for the command's notes and for checks).
    best: str = ""
    mrd: str = ""
    outcome: str = ""
    sos: str = ""  # "", "fatal" or "non_fatal"
    late: bool = False  # no response after course 1, response after a later course

    @property
    def subject_suffix(self) -> str:
        return f"{self.number:03d}"

    def day(self, days: int) -> date:
        return self.start + timedelta(days=days)
