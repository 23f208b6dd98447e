"""Pieces other apps share: the "patient at one of your sites" guard, the followed patients, the patient id field."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from rest_framework import serializers

from patients.api.fields import SitePatientField
from patients.choices import PatientStatus
from patients.models import Patient
from patients.services import PATIENT_NOT_AT_YOUR_SITES, patient_screen
from patients.services.baseline import baseline_record
from patients.services.eligibility import eligibility_assess
from patients.services.outcomes import follow_up_record, off_study_record
from patients.services.registration import consent_record, patient_screen_fail


class _Body(serializers.Serializer):
    patient = SitePatientField()


def _messages(exc) -> dict:
    return exc.value.message_dict


def test_every_write_about_another_sites_patient_gives_the_same_message_on_patient(nurse_b, make_patient):
    registered = make_patient()
    writes = [
        lambda: baseline_record(actor=nurse_b, patient=registered, ecog=1),
        lambda: follow_up_record(
            actor=nurse_b, patient=registered, contact_date=date(2024, 3, 1), vital_status="alive"
        ),
        lambda: consent_record(actor=nurse_b, patient=registered, consent_date=date(2024, 1, 1), form_version="v1"),
        lambda: eligibility_assess(actor=nurse_b, patient=registered, assessed_on=date(2024, 1, 1)),
    ]
    for write in writes:
        with pytest.raises(ValidationError) as exc:
            write()
        assert _messages(exc) == {"patient": [PATIENT_NOT_AT_YOUR_SITES]}


def test_followed_patients_are_the_registered_and_those_off_study(nurse_a, site_a, make_patient):
    screening = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    failed = patient_screen_fail(
        actor=nurse_a, patient=patient_screen(actor=nurse_a, site=site_a, family_name="Doe"), reason="Ineligible"
    )
    registered = make_patient()
    off_study = make_patient()
    off_study_record(actor=nurse_a, patient=off_study, off_study_date=date(2024, 3, 1), reason="toxicity")
    assert failed.status == PatientStatus.SCREEN_FAILED
    assert set(Patient.objects.followed()) == {registered, off_study}
    followed = {p.subject_id: p.is_followed for p in Patient.objects.all()}
    assert followed == {registered.subject_id: True, off_study.subject_id: True, screening.subject_id: False,
                        failed.subject_id: False}  # fmt: skip


def test_the_patient_field_takes_only_a_patient_of_the_callers_sites(nurse_a, nurse_b, make_patient, site_b):
    own = make_patient()
    other = make_patient(nurse=nurse_b, site=site_b)
    context = {"request": SimpleNamespace(user=nurse_a)}

    accepted = _Body(data={"patient": own.pk}, context=context)
    assert accepted.is_valid() and accepted.validated_data["patient"] == own
    refused = _Body(data={"patient": other.pk}, context=context)
    unknown = _Body(data={"patient": other.pk + 1000}, context=context)
    assert not refused.is_valid() and not unknown.is_valid()
    assert set(refused.errors) == {"patient"}
    assert str(refused.errors["patient"][0]) == str(unknown.errors["patient"][0]).replace(
        str(other.pk + 1000), str(other.pk)
    )
    anonymous = _Body(data={"patient": own.pk})
    assert not anonymous.is_valid()
