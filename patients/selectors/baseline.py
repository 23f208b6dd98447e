"""Reads of baseline characteristics, scoped to the user's sites, with the values derived from them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.shortcuts import get_object_or_404

from trial.models import ProtocolVersion
from trial.selectors import parameter_value

from ..choices import SalvageStatus
from ..derivations import baseline as derivations
from ..models import Baseline, Patient
from .registration import current_protocol_version

CRD1_THRESHOLD_KEY = "salvage_crd1_threshold_months"
CD20_THRESHOLD_KEY = "rituximab_cd20_min_percent"


def baseline_list(user, *, patient=None):
    """Baselines of the user's sites (optionally of one patient), with what their summaries need."""
    qs = Baseline.objects.for_user(user).select_related("patient__site", "patient__protocol_version")
    if patient is not None:
        qs = qs.filter(patient=patient)
    return qs.order_by("patient__site__code", "patient__subject_id")


def baseline_get(user, patient_pk) -> Baseline:
    """The baseline of one patient of the user's sites; 404 for another site's patient or none recorded."""
    return get_object_or_404(baseline_list(user), patient_id=patient_pk)


def baseline_get_by_id(user, pk) -> Baseline:
    """One baseline record of the user's sites, by its own id (audit trail and signatures)."""
    return get_object_or_404(baseline_list(user), pk=pk)


def baseline_of(patient: Patient) -> Baseline | None:
    """The patient's baseline, or None before one is recorded (``patient`` already scoped by the caller)."""
    return Baseline.objects.filter(patient=patient).first()


class ProtocolThresholds:
    """The protocol numbers baseline derivations need, read once per protocol version.

    A registered patient's thresholds come from their protocol version; a patient not yet
    registered gets the version the trial's next registration would get. Share one instance
    over a list so that reads do not grow with the number of patients.
    """

    def __init__(self):
        self._latest_by_trial: dict[int, ProtocolVersion | None] = {}
        self._values: dict[tuple[int, str], Decimal] = {}

    def version_for(self, patient: Patient) -> ProtocolVersion | None:
        if patient.protocol_version_id is not None:
            return patient.protocol_version
        trial_id = patient.site.trial_id
        if trial_id not in self._latest_by_trial:
            self._latest_by_trial[trial_id] = current_protocol_version(patient.site.trial)
        return self._latest_by_trial[trial_id]

    def value(self, version: ProtocolVersion, key: str) -> Decimal:
        if (version.pk, key) not in self._values:
            self._values[version.pk, key] = parameter_value(version, key)
        return self._values[version.pk, key]


@dataclass(frozen=True)
class BaselineSummary:
    """A patient's baseline with the values derived from it, as pages and the API show them."""

    patient: Patient
    baseline: Baseline | None
    protocol_version: ProtocolVersion | None
    thresholds_from_latest_version: bool
    crd1_threshold_months: Decimal | None
    cd20_threshold_percent: Decimal | None
    salvage_status: SalvageStatus | None
    high_risk_cytogenetics: bool | None
    rituximab_indicated: bool | None
    age_at_registration: int | None

    @property
    def salvage_status_label(self) -> str:
        return self.salvage_status.label if self.salvage_status else ""


def baseline_summary(
    patient: Patient, baseline: Baseline | None = None, *, thresholds: ProtocolThresholds | None = None
) -> BaselineSummary:
    """The patient's baseline (``baseline`` if given, else read) with its derived values.

    Age at registration is derived from the date of birth here, on the server, so a user who may
    not see the date of birth still sees the age.
    """
    if baseline is None:
        baseline = baseline_of(patient)
    thresholds = thresholds or ProtocolThresholds()
    version = thresholds.version_for(patient)
    crd1 = thresholds.value(version, CRD1_THRESHOLD_KEY) if version else None
    cd20 = thresholds.value(version, CD20_THRESHOLD_KEY) if version else None
    status = high_risk = rituximab = None
    if baseline is not None:
        if crd1 is not None:
            status = derivations.salvage_status(
                primary_refractory=baseline.primary_refractory,
                first_remission_duration_months=baseline.first_remission_duration_months,
                prior_salvage_lines=baseline.prior_salvage_lines,
                crd1_threshold_months=crd1,
            )
        high_risk = derivations.high_risk_cytogenetics(
            karyotype_group=baseline.karyotype_group,
            kmt2a_rearranged=baseline.kmt2a_rearranged,
            low_hypodiploidy_near_triploidy=baseline.low_hypodiploidy_near_triploidy,
        )
        if cd20 is not None:
            rituximab = derivations.rituximab_indicated(baseline.cd20_percent, cd20)
    return BaselineSummary(
        patient=patient,
        baseline=baseline,
        protocol_version=version,
        thresholds_from_latest_version=patient.protocol_version_id is None,
        crd1_threshold_months=crd1,
        cd20_threshold_percent=cd20,
        salvage_status=status,
        high_risk_cytogenetics=high_risk,
        rituximab_indicated=rituximab,
        age_at_registration=derivations.age_at(patient.date_of_birth, patient.registration_date),
    )
