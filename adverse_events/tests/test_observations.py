"""Clinical observations (weight, hepatomegaly, ascites on a date): the service, the API and the form page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from adverse_events.models import ClinicalObservation
from adverse_events.services import NO_FINDING, clinical_observation_record
from core.audit.trail import record_history
from core.validation import IN_FUTURE
from patients.services import PATIENT_NOT_AT_YOUR_SITES

DAY = date(2024, 2, 1)


# --- The service ---


def test_record_saves_the_findings_and_is_audited(nurse_a, make_patient):
    patient = make_patient()
    obs = clinical_observation_record(
        actor=nurse_a, patient=patient, observed_on=DAY, weight_kg=Decimal("71.5"), hepatomegaly=True
    )
    obs.refresh_from_db()
    assert (obs.patient, obs.observed_on, obs.weight_kg, obs.hepatomegaly, obs.ascites) == (
        patient,
        DAY,
        Decimal("71.5"),
        True,
        None,
    )
    assert obs.recorded_by == nurse_a
    (entry,) = record_history(obs)
    assert entry.reason == "Clinical observation recorded"


def test_record_refuses_every_problem_at_once(nurse_a, make_patient):
    patient = make_patient()
    with pytest.raises(ValidationError) as exc:
        clinical_observation_record(
            actor=nurse_a, patient=patient, observed_on=timezone.localdate() + timedelta(days=1), weight_kg=None
        )
    assert exc.value.message_dict == {"observed_on": [IN_FUTURE], "__all__": [NO_FINDING]}
    with pytest.raises(ValidationError) as exc:
        clinical_observation_record(
            actor=nurse_a,
            patient=patient,
            observed_on=timezone.localdate() + timedelta(days=1),
            weight_kg=Decimal("400"),
        )
    assert set(exc.value.message_dict) == {"observed_on", "weight_kg"}
    assert not ClinicalObservation.objects.exists()


def test_a_finding_of_no_ascites_is_a_finding(nurse_a, make_patient):
    obs = clinical_observation_record(actor=nurse_a, patient=make_patient(), observed_on=DAY, ascites=False)
    assert obs.ascites is False


def test_record_refuses_another_sites_patient(nurse_b, make_patient):
    with pytest.raises(ValidationError) as exc:
        clinical_observation_record(actor=nurse_b, patient=make_patient(), observed_on=DAY, ascites=True)
    assert exc.value.message_dict == {"patient": [PATIENT_NOT_AT_YOUR_SITES]}
