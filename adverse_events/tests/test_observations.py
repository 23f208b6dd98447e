"""Clinical observations (weight, hepatomegaly, ascites on a date): the service, the API and the form page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from adverse_events.models import ClinicalObservation
from adverse_events.services import NO_FINDING, clinical_observation_record
from core.audit.trail import record_history
from core.validation import IN_FUTURE
from patients.services import PATIENT_NOT_AT_YOUR_SITES
from trial.choices import Role

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


# --- The API ---

OBSERVATIONS = "/api/v1/clinical-observations/"


def errors_of(response) -> dict:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_api_records_an_observation(api_client, nurse_a, make_patient):
    patient = make_patient()
    api_client.force_authenticate(nurse_a)
    created = api_client.post(
        OBSERVATIONS,
        {"patient": patient.pk, "observed_on": str(DAY), "weight_kg": "72.4", "ascites": True},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["patient"], body["observed_on"], body["weight_kg"], body["hepatomegaly"], body["ascites"]) == (
        patient.pk,
        str(DAY),
        "72.4",
        None,
        True,
    )
    assert body["history_url"].endswith(f"/api/v1/records/adverse_events.clinicalobservation/{body['id']}/history/")
    obs = ClinicalObservation.objects.get(pk=body["id"])
    assert obs.recorded_by == nurse_a
    assert api_client.get(body["url"]).json() == body
    history = api_client.get(body["history_url"])
    assert history.status_code == 200


def test_api_answers_every_problem_at_once(api_client, nurse_a, make_patient):
    api_client.force_authenticate(nurse_a)
    refused = api_client.post(
        OBSERVATIONS, {"patient": make_patient().pk, "observed_on": "2999-01-01", "weight_kg": "5"}, format="json"
    )
    assert refused.status_code == 400
    assert set(errors_of(refused)) == {"observed_on", "weight_kg"}
    empty = api_client.post(OBSERVATIONS, {"patient": make_patient().pk, "observed_on": str(DAY)}, format="json")
    assert errors_of(empty) == {None: NO_FINDING}
    assert not ClinicalObservation.objects.exists()


def test_api_refuses_another_sites_patient_and_scopes_the_list(api_client, nurse_a, nurse_b, site_b, make_patient):
    mine = make_patient()
    theirs = make_patient(nurse=nurse_b, site=site_b)
    own = clinical_observation_record(actor=nurse_a, patient=mine, observed_on=DAY, hepatomegaly=True)
    other = clinical_observation_record(actor=nurse_b, patient=theirs, observed_on=DAY, hepatomegaly=True)
    api_client.force_authenticate(nurse_a)
    refused = api_client.post(OBSERVATIONS, {"patient": theirs.pk, "observed_on": str(DAY), "ascites": True})
    assert refused.status_code == 400 and set(errors_of(refused)) == {"patient"}
    assert [row["id"] for row in api_client.get(OBSERVATIONS).json()["results"]] == [own.pk]
    assert api_client.get(OBSERVATIONS, {"patient": theirs.pk}).json()["results"] == []
    assert api_client.get(f"{OBSERVATIONS}{other.pk}/").status_code == 404
    assert ClinicalObservation.objects.filter(patient=theirs).count() == 1


def test_api_monitor_reads_but_cannot_record(api_client, make_user, site_a, nurse_a, make_patient):
    patient = make_patient()
    obs = clinical_observation_record(actor=nurse_a, patient=patient, observed_on=DAY, ascites=True)
    api_client.force_authenticate(make_user(Role.MONITOR, site_a))
    assert api_client.get(f"{OBSERVATIONS}{obs.pk}/").status_code == 200
    payload = {"patient": patient.pk, "observed_on": str(DAY), "ascites": True}
    assert api_client.post(OBSERVATIONS, payload, format="json").status_code == 403


# --- The form page and the patient's observations ---


def test_patient_page_links_to_the_observation_form(client, nurse_a, make_patient):
    patient = make_patient()
    client.force_login(nurse_a)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert reverse("adverse_events:observation-new", args=[patient.pk]) in page
    assert reverse("adverse_events:patient-observations", args=[patient.pk]) in page


def test_form_saves_the_observation_and_lists_it(client, nurse_a, make_patient):
    patient = make_patient()
    client.force_login(nurse_a)
    url = reverse("adverse_events:observation-new", args=[patient.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"observed_on": str(DAY), "weight_kg": "68.2", "hepatomegaly": "true", "ascites": "unknown"}
    )
    obs = ClinicalObservation.objects.get(patient=patient)
    assert (obs.weight_kg, obs.hepatomegaly, obs.ascites, obs.recorded_by) == (Decimal("68.2"), True, None, nurse_a)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/observations/#observation-{obs.pk}")
    listing = client.get(reverse("adverse_events:patient-observations", args=[patient.pk])).content.decode()
    assert f'id="observation-{obs.pk}"' in listing and "68.2" in listing


def test_form_shows_every_error_and_saves_nothing(client, nurse_a, make_patient):
    patient = make_patient()
    client.force_login(nurse_a)
    url = reverse("adverse_events:observation-new", args=[patient.pk])
    response = client.post(url, {"observed_on": "2999-01-01", "hepatomegaly": "unknown", "ascites": "unknown"})
    assert response.status_code == 400
    page = response.content.decode()
    assert NO_FINDING in page and IN_FUTURE in page
    response = client.post(url, {"observed_on": str(DAY), "weight_kg": "400"})
    assert response.status_code == 400 and "weight_kg_errors" in response.content.decode()
    assert not ClinicalObservation.objects.exists()


def test_another_sites_patient_has_no_observation_pages(client, nurse_b, make_patient):
    patient = make_patient()
    client.force_login(nurse_b)
    assert client.get(reverse("adverse_events:observation-new", args=[patient.pk])).status_code == 404
    assert client.get(reverse("adverse_events:patient-observations", args=[patient.pk])).status_code == 404
