"""Consent and registration: sequence numbers, protocol version by the amendment rule, refusals, corrections."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.audit.trail import record_history
from core.audit.writes import audited_create
from core.choices import SignatureMeaning
from core.models import Signature
from patients.choices import PatientStatus
from patients.derivations.versioning import VersionRule, assign_version
from patients.models import Patient
from patients.services import patient_screen
from patients.services.eligibility import eligibility_assess, eligibility_waive
from patients.services.registration import (
    NO_ASSESSMENT,
    NO_CONSENT,
    consent_record,
    patient_protocol_version_correct,
    patient_register,
    patient_screen_fail,
)
from trial.models import ProtocolVersion

ELIGIBLE = {
    "diagnosis": "pre_b_all",
    "disease_status": "relapsed",
    "ph_status": "negative",
    "cd22_status": "positive",
    "ecog": 1,
    "ejection_fraction_percent": Decimal("60"),
    "bilirubin_mg_dl": Decimal("0.8"),
    "creatinine_mg_dl": Decimal("0.9"),
    "uncontrolled_infection": False,
    "nyha_class": 1,
    "second_active_malignancy": False,
}
RULES = [
    VersionRule("original", date(2012, 11, 12), "base"),
    VersionRule("amended-2017", date(2017, 2, 1), "sequence_or_date", 68),
]


@pytest.mark.parametrize(
    ("sequence_number", "registration_date", "version"),
    [
        (67, date(2017, 1, 31), "original"),
        (68, date(2017, 1, 31), "amended-2017"),
        (12, date(2017, 2, 1), "amended-2017"),
        (1, date(2012, 11, 12), "original"),
    ],
)
def test_version_assignment_rule(sequence_number, registration_date, version):
    assert assign_version(RULES, sequence_number=sequence_number, registration_date=registration_date) == version


def test_version_assignment_by_sequence_only_ignores_date():
    rules = [RULES[0], VersionRule("amended-2017", date(2017, 2, 1), "sequence", 68)]
    assert assign_version(rules, sequence_number=67, registration_date=date(2020, 1, 1)) == "original"


def screened(nurse, site, consent=date(2016, 12, 1), values=ELIGIBLE, assessed=date(2016, 12, 2)):
    patient = patient_screen(actor=nurse, site=site, family_name="Doe")
    if consent:
        consent_record(actor=nurse, patient=patient, consent_date=consent, form_version="v3.1")
    if values is not None:
        eligibility_assess(actor=nurse, patient=patient, assessed_on=assessed, **values)
    return patient


def registered_at(nurse, site, sequence_number, on):
    """A patient already registered with a given number (as if earlier patients had been entered)."""
    return audited_create(
        Patient(
            site=site,
            subject_id=f"OLD-{sequence_number}",
            sequence_number=sequence_number,
            status=PatientStatus.REGISTERED,
            registration_date=on,
            protocol_version=ProtocolVersion.objects.get(code="original"),
        ),
        actor=nurse,
    )


def test_first_registration_is_number_1_on_the_version_for_its_date(nurse_a, site_a):
    patient = patient_register(actor=nurse_a, patient=screened(nurse_a, site_a), registration_date=date(2016, 12, 5))
    assert (patient.status, patient.sequence_number, patient.protocol_version.code) == ("registered", 1, "original")
    assert patient.registered_by == nurse_a and not patient.registered_with_waiver
    assert record_history(patient)[-1].reason == "Registered"


def test_patient_68_gets_the_amended_protocol(nurse_a, site_a):
    registered_at(nurse_a, site_a, 66, date(2016, 11, 1))
    p67 = patient_register(actor=nurse_a, patient=screened(nurse_a, site_a), registration_date=date(2016, 12, 5))
    p68 = patient_register(actor=nurse_a, patient=screened(nurse_a, site_a), registration_date=date(2016, 12, 6))
    assert (p67.sequence_number, p67.protocol_version.code) == (67, "original")
    assert (p68.sequence_number, p68.protocol_version.code) == (68, "amended-2017")


def test_registration_on_amendment_date_gets_amended_protocol(nurse_a, site_a):
    patient = screened(nurse_a, site_a, consent=date(2017, 1, 20), assessed=date(2017, 1, 25))
    patient = patient_register(actor=nurse_a, patient=patient, registration_date=date(2017, 2, 1))
    assert patient.protocol_version.code == "amended-2017"


def test_sequence_numbers_run_across_sites(nurse_a, nurse_b, site_a, site_b):
    first = patient_register(actor=nurse_a, patient=screened(nurse_a, site_a), registration_date=date(2016, 12, 5))
    second = patient_register(actor=nurse_b, patient=screened(nurse_b, site_b), registration_date=date(2016, 12, 5))
    assert (first.sequence_number, second.sequence_number) == (1, 2)


def test_registration_refused_with_one_reason_per_failed_criterion(nurse_a, site_a):
    values = dict(ELIGIBLE, bilirubin_mg_dl=Decimal("1.96"), ecog=None)
    patient = screened(nurse_a, site_a, values=values)
    with pytest.raises(ValidationError) as excinfo:
        patient_register(actor=nurse_a, patient=patient, registration_date=date(2016, 12, 5))
    reasons = excinfo.value.message_dict["eligibility"]
    assert len(reasons) == 2
    assert any("1.96" in r and "not met" in r and "1.95" in r for r in reasons)
    assert any("missing" in r for r in reasons)
    patient.refresh_from_db()
    assert patient.status == "screening" and patient.sequence_number is None


def test_registration_needs_consent_and_an_assessment(nurse_a, site_a):
    patient = screened(nurse_a, site_a, consent=None, values=None)
    with pytest.raises(ValidationError) as excinfo:
        patient_register(actor=nurse_a, patient=patient, registration_date=date(2016, 12, 5))
    assert excinfo.value.message_dict == {"consent": [NO_CONSENT], "eligibility": [NO_ASSESSMENT]}


def test_waived_registration_is_marked(nurse_a, investigator_a, site_a, password):
    patient = screened(nurse_a, site_a, values=dict(ELIGIBLE, creatinine_mg_dl=Decimal("2.3")))
    eligibility_waive(
        actor=investigator_a,
        assessment=patient.eligibility_assessments.get(),
        reason="Creatinine from dehydration, recovering",
        password=password,
    )
    patient = patient_register(actor=nurse_a, patient=patient, registration_date=date(2016, 12, 5))
    assert patient.registered_with_waiver is True
    assert "waiver" in record_history(patient)[-1].reason


def test_registered_patient_cannot_be_registered_again_or_screen_failed(nurse_a, site_a):
    patient = patient_register(actor=nurse_a, patient=screened(nurse_a, site_a), registration_date=date(2016, 12, 5))
    with pytest.raises(ValidationError):
        patient_register(actor=nurse_a, patient=patient, registration_date=date(2016, 12, 6))
    with pytest.raises(ValidationError):
        patient_screen_fail(actor=nurse_a, patient=patient, reason="x")


def test_protocol_version_correction_is_signed_and_audited(nurse_a, investigator_a, site_a, password):
    patient = patient_register(actor=nurse_a, patient=screened(nurse_a, site_a), registration_date=date(2016, 12, 5))
    amended = ProtocolVersion.objects.get(code="amended-2017")
    with pytest.raises(ValidationError):
        patient_protocol_version_correct(
            actor=nurse_a, patient=patient, protocol_version=amended, reason="x", password=password
        )
    with pytest.raises(ValidationError) as excinfo:
        patient_protocol_version_correct(
            actor=investigator_a, patient=patient, protocol_version=amended, reason="Wrong", password="bad"
        )
    assert "password" in excinfo.value.message_dict
    patient_protocol_version_correct(
        actor=investigator_a,
        patient=patient,
        protocol_version=amended,
        reason="Registered after amendment",
        password=password,
    )
    patient.refresh_from_db()
    assert patient.protocol_version == amended
    signature = Signature.objects.for_record(patient).get()
    assert signature.meaning == SignatureMeaning.CORRECTION and signature.is_valid
    last = record_history(patient)[-1]
    assert "Registered after amendment" in last.reason
    assert [c.field for c in last.changes] == ["protocol_version_id"]


def test_protocol_version_cannot_be_changed_through_ordinary_edit(api_client, nurse_a, site_a):
    patient = patient_register(actor=nurse_a, patient=screened(nurse_a, site_a), registration_date=date(2016, 12, 5))
    api_client.force_authenticate(nurse_a)
    api_client.patch(
        f"/api/v1/patients/{patient.pk}/", {"protocol_version": "amended-2017", "reason": "x"}, format="json"
    )
    patient.refresh_from_db()
    assert patient.protocol_version.code == "original"


def test_register_through_api_and_page(api_client, client, nurse_a, site_a):
    api_client.force_authenticate(nurse_a)
    blocked = screened(nurse_a, site_a, values=dict(ELIGIBLE, ph_status="positive"))
    response = api_client.post(f"/api/v1/patients/{blocked.pk}/register/", {"registration_date": "2016-12-05"})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["eligibility"]
    ok = screened(nurse_a, site_a)
    response = api_client.post(f"/api/v1/patients/{ok.pk}/register/", {"registration_date": "2016-12-05"})
    assert response.status_code == 200
    assert response.json()["sequence_number"] == 1 and response.json()["protocol_version"] == "original"

    client.force_login(nurse_a)
    page = client.get(reverse("patients:register", args=[blocked.pk])).content.decode()
    assert "Registration is not possible yet" in page and "not met" in page


def test_consent_in_the_future_is_refused(api_client, nurse_a, site_a):
    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    api_client.force_authenticate(nurse_a)
    response = api_client.post(
        f"/api/v1/patients/{patient.pk}/consents/", {"consent_date": "2999-01-01", "form_version": "v1"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "consent_date"
    assert not patient.consents.exists()
