"""Electronic signatures: re-entered password, printed name, UTC time, meaning; voided by a change."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.audit.trail import record_history
from core.choices import SignatureMeaning, SignatureStatus
from core.models import Signature
from core.services import NOT_ALLOWED_TO_SIGN, WRONG_PASSWORD, signature_sign
from patients.services import patient_screen, patient_update


@pytest.fixture
def patient(nurse_a, site_a):
    return patient_screen(actor=nurse_a, site=site_a, family_name="Doe")


def test_sign_with_password_shows_name_time_and_meaning(patient, investigator_a, password):
    signature = signature_sign(record=patient, actor=investigator_a, password=password, meaning=SignatureMeaning.REVIEW)
    assert signature.is_valid
    assert signature.printed_name == investigator_a.signature_name
    assert signature.signed_at.utcoffset().total_seconds() == 0
    assert "I have reviewed this record" in str(signature)
    assert record_history(signature)[0].user == investigator_a.signature_name


def test_wrong_password_does_not_sign(patient, investigator_a):
    with pytest.raises(ValidationError) as excinfo:
        signature_sign(record=patient, actor=investigator_a, password="nope", meaning=SignatureMeaning.REVIEW)
    assert excinfo.value.message_dict == {"password": [WRONG_PASSWORD]}
    assert not Signature.objects.for_record(patient).exists()


def test_nurse_cannot_sign(patient, nurse_a, password):
    with pytest.raises(ValidationError) as excinfo:
        signature_sign(record=patient, actor=nurse_a, password=password, meaning=SignatureMeaning.REVIEW)
    assert excinfo.value.message_dict == {"password": [NOT_ALLOWED_TO_SIGN]}


def test_edit_voids_signature_and_is_audited(patient, investigator_a, nurse_a, password):
    signature = signature_sign(
        record=patient, actor=investigator_a, password=password, meaning=SignatureMeaning.APPROVAL
    )
    patient_update(actor=nurse_a, patient=patient, reason="Misspelt", family_name="Dow")
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.VOID
    assert signature.voided_at is not None
    assert "family_name" in signature.void_reason and "Misspelt" in signature.void_reason
    last = record_history(signature)[-1]
    assert last.user == nurse_a.signature_name
    assert ("status", "Valid", "Void (record changed after signing)") in [(c.field, c.old, c.new) for c in last.changes]


def test_sign_in_ui_and_see_voided_after_change(client, patient, investigator_a, nurse_a, password):
    client.force_login(investigator_a)
    url = reverse("core:record-sign", args=["patients.patient", patient.pk])
    response = client.post(url, {"meaning": "review", "password": password, "next": patient.get_absolute_url()})
    assert response.status_code == 302
    page = client.get(patient.get_absolute_url()).content.decode()
    assert investigator_a.signature_name in page and "valid" in page
    patient_update(actor=nurse_a, patient=patient, reason="Correction", family_name="Dow")
    page = client.get(patient.get_absolute_url()).content.decode()
    assert ">void<" in page and "Record changed after signing" in page


def test_sign_in_api(api_client, patient, investigator_a, password):
    api_client.force_authenticate(investigator_a)
    url = f"/api/v1/records/patients.patient/{patient.pk}/signatures/"
    bad = api_client.post(url, {"meaning": "review", "password": "wrong"}, format="json")
    assert bad.status_code == 400
    assert bad.json() == {"errors": [{"field": "password", "code": "invalid", "message": WRONG_PASSWORD}]}
    good = api_client.post(url, {"meaning": "review", "password": password}, format="json")
    assert good.status_code == 201
    assert good.json()["printed_name"] == investigator_a.signature_name
    assert [s["status"] for s in api_client.get(url).json()] == ["valid"]
