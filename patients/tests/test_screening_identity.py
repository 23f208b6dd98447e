"""Screening needs someone to screen: a screening with no identifying data (no MRN, no family name) writes nothing,
with the same messages through the form and the API."""

from datetime import date

from django.urls import reverse

from patients.models import Patient
from patients.services import patient_screen
from patients.services.patient import MRN_OR_FAMILY_NAME, NO_IDENTITY


def counts():
    return Patient.objects.count(), Patient.history.count()


def test_the_form_refuses_a_screening_without_identity_names_the_fields_and_keeps_what_was_typed(
    client, nurse_a, site_a
):
    client.force_login(nurse_a)
    before = counts()
    response = client.post(
        reverse("patients:screen"),
        {"site": site_a.pk, "sex": "female", "given_name": "Jane", "date_of_birth": "1970-05-04"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert NO_IDENTITY in page
    assert 'id="id_medical_record_number_errors"' in page and 'id="id_family_name_errors"' in page
    assert page.count(MRN_OR_FAMILY_NAME) == 4  # beside each field, and in the summary linking to it
    assert 'href="#id_medical_record_number"' in page and 'href="#id_family_name"' in page
    assert 'value="Jane"' in page and 'value="1970-05-04"' in page
    assert counts() == before


def test_the_api_refuses_it_with_the_same_messages(api_client, nurse_a, site_a):
    api_client.force_authenticate(nurse_a)
    before = counts()
    response = api_client.post(
        "/api/v1/patients/", {"site": site_a.code, "sex": "male", "date_of_birth": "1970-05-04"}, format="json"
    )
    assert response.status_code == 400
    errors = {(e["field"], e["message"]) for e in response.json()["errors"]}
    assert errors == {
        ("medical_record_number", MRN_OR_FAMILY_NAME),
        ("family_name", MRN_OR_FAMILY_NAME),
        (None, NO_IDENTITY),
    }
    assert counts() == before


def test_blank_names_are_not_an_identity_and_every_problem_comes_at_once(api_client, nurse_a, site_b):
    api_client.force_authenticate(nurse_a)
    response = api_client.post(
        "/api/v1/patients/", {"site": site_b.code, "family_name": "   ", "medical_record_number": ""}, format="json"
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"site", "medical_record_number", "family_name", None}
    assert not Patient.objects.exists()


def test_the_mrn_alone_or_the_family_name_alone_identifies_the_person(nurse_a, site_a):
    by_mrn = patient_screen(actor=nurse_a, site=site_a, medical_record_number="H-1234")
    by_name = patient_screen(actor=nurse_a, site=site_a, family_name="Okafor", date_of_birth=date(1970, 5, 4))
    assert {by_mrn.subject_id, by_name.subject_id} == {"SA-0001", "SA-0002"}
