"""The links every API record carries: its audit trail and its signatures."""

from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from core.api.fields import HistoryUrlField, SignaturesUrlField
from patients.models import Patient
from patients.services import patient_screen


class _Links(serializers.ModelSerializer):
    history_url = HistoryUrlField()
    signatures_url = SignaturesUrlField()

    class Meta:
        model = Patient
        fields = ["id", "history_url", "signatures_url"]


def test_a_records_links_lead_to_its_audit_trail_and_signatures(api_client, nurse_a, site_a):
    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    request = APIRequestFactory().get("/")
    data = _Links(patient, context={"request": request}).data
    assert data["history_url"] == f"http://testserver/api/v1/records/patients.patient/{patient.pk}/history/"
    assert data["signatures_url"] == f"http://testserver/api/v1/records/patients.patient/{patient.pk}/signatures/"

    api_client.force_authenticate(nurse_a)
    history = api_client.get(data["history_url"]).json()
    assert [entry["reason"] for entry in history] == ["Screening opened"]
    assert api_client.get(data["signatures_url"]).json() == []
