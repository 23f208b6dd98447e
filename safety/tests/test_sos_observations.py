"""Possible SOS (SOS-07) raised from clinical observations entered through ``/api/v1/clinical-observations/``, and
from adverse events whose CTCAE term is an SOS finding (the MedDRA codes are protocol data)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from adverse_events.models import CTCAETerm
from adverse_events.services import adverse_event_report
from safety.tests.test_sos_rules import (
    BILIRUBIN_DAY,
    INO,
    begin,
    bilirubin,
    evaluate,
    give_inotuzumab,
    open_flags,
)
from trial.selectors import version_parameters

OBSERVATIONS = "/api/v1/clinical-observations/"


@pytest.fixture
def treated(nurse_a, make_patient):
    """An amended patient whose course 1 inotuzumab has been given (course-1 weight 100 kg)."""
    patient = make_patient()
    give_inotuzumab(nurse_a, begin(nurse_a, patient))
    return patient


def post_observation(client, patient, day, **values):
    response = client.post(OBSERVATIONS, {"patient": patient.pk, "observed_on": str(day), **values}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def ae(nurse, patient, term, day, grade=2):
    return adverse_event_report(
        actor=nurse,
        patient=patient,
        term=CTCAETerm.objects.get(term=term),
        grade=grade,
        onset_date=day,
        attributions={INO: "possible"},
    )


def test_two_findings_posted_through_the_api_raise_possible_sos(api_client, nurse_a, treated):
    bilirubin(nurse_a, treated, "2.4")
    api_client.force_authenticate(nurse_a)
    post_observation(api_client, treated, BILIRUBIN_DAY - timedelta(days=3), hepatomegaly=True)
    evaluate(treated)
    assert open_flags(treated, "SOS-07") == []  # one finding is not enough
    post_observation(api_client, treated, BILIRUBIN_DAY + timedelta(days=2), weight_kg="106.0", ascites=False)
    evaluate(treated)
    (flag,) = open_flags(treated, "SOS-07")
    assert flag.severity == "urgent"
    assert set(flag.evidence["findings"]) == {"hepatomegaly", "weight_gain"}
    assert flag.evidence["findings"]["weight_gain"]["percent"] == "6"
    assert flag.evidence["findings"]["weight_gain"]["source"] == "observation"


def test_an_ascites_adverse_event_counts_instead_of_an_observation(api_client, nurse_a, treated):
    bilirubin(nurse_a, treated, "2.4")
    api_client.force_authenticate(nurse_a)
    post_observation(api_client, treated, BILIRUBIN_DAY - timedelta(days=3), hepatomegaly=True)
    ae(nurse_a, treated, "Ascites", BILIRUBIN_DAY + timedelta(days=1))
    evaluate(treated)
    (flag,) = open_flags(treated, "SOS-07")
    assert flag.evidence["findings"]["ascites"] == {
        "seen": [f"adverse event {BILIRUBIN_DAY + timedelta(days=1)} grade 2"]
    }


def test_a_weight_gain_adverse_event_counts_as_weight_gain(api_client, nurse_a, treated):
    bilirubin(nurse_a, treated, "2.4")
    api_client.force_authenticate(nurse_a)
    post_observation(api_client, treated, BILIRUBIN_DAY, ascites=True)
    ae(nurse_a, treated, "Weight gain", BILIRUBIN_DAY - timedelta(days=2), grade=1)
    evaluate(treated)
    (flag,) = open_flags(treated, "SOS-07")
    assert flag.evidence["findings"]["weight_gain"] == {
        "seen": [f"adverse event {BILIRUBIN_DAY - timedelta(days=2)} grade 1"]
    }
    assert "weight gain (adverse event" in flag.message


def test_only_one_finding_from_observation_and_an_unrelated_ae_is_not_possible_sos(api_client, nurse_a, treated):
    bilirubin(nurse_a, treated, "2.4")
    api_client.force_authenticate(nurse_a)
    post_observation(api_client, treated, BILIRUBIN_DAY, hepatomegaly=True, ascites=False, weight_kg="101.0")
    ae(nurse_a, treated, "Nausea", BILIRUBIN_DAY)
    evaluate(treated)
    assert open_flags(treated, "SOS-07") == []


def test_an_ascites_ae_resolved_before_the_window_does_not_count(nurse_a, treated, api_client):
    bilirubin(nurse_a, treated, "2.4")
    api_client.force_authenticate(nurse_a)
    post_observation(api_client, treated, BILIRUBIN_DAY, hepatomegaly=True)
    old = ae(nurse_a, treated, "Ascites", BILIRUBIN_DAY - timedelta(days=20))
    old.resolution_date = BILIRUBIN_DAY - timedelta(days=10)
    old.save(update_fields=["resolution_date"])
    evaluate(treated)
    assert open_flags(treated, "SOS-07") == []


def test_the_finding_terms_are_protocol_data(treated):
    params = version_parameters(treated.protocol_version_id)
    ascites, weight_gain = CTCAETerm.objects.get(term="Ascites"), CTCAETerm.objects.get(term="Weight gain")
    assert str(int(params["sos_ascites_meddra_code"])) == ascites.meddra_code
    assert str(int(params["sos_weight_gain_meddra_code"])) == weight_gain.meddra_code
    assert Decimal(params["sos_ascites_meddra_code"]) == 10003445
