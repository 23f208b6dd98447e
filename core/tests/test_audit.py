"""The audit trail: who, when, old/new values and reason for every write; append-only; no bulk bypass."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from core.audit.guard import UnauditedBulkWrite
from core.audit.trail import record_history
from core.audit.writes import REASON_REQUIRED
from patients.models import Patient
from patients.services import patient_screen, patient_update


@pytest.fixture
def patient(nurse_a, site_a):
    return patient_screen(actor=nurse_a, site=site_a, sex="female", family_name="Doe", given_name="Jane")


def test_create_is_recorded_with_user_and_values(patient, nurse_a):
    entries = record_history(patient)
    assert [e.action for e in entries] == ["created"]
    assert entries[0].user == nurse_a.signature_name
    values = {c.field: c.new for c in entries[0].changes}
    assert values["family_name"] == "Doe"
    assert values["sex"] == "Female"


def test_change_records_old_new_user_and_reason(patient, nurse_a):
    patient_update(actor=nurse_a, patient=patient, reason="Transcription error", family_name="Dough")
    last = record_history(patient)[-1]
    assert last.action == "changed"
    assert last.user == nurse_a.signature_name
    assert last.reason == "Transcription error"
    assert [(c.field, c.old, c.new) for c in last.changes] == [("family_name", "Doe", "Dough")]
    assert last.at.utcoffset().total_seconds() == 0


def test_change_of_saved_value_without_reason_is_refused_and_nothing_saved(patient, nurse_a):
    with pytest.raises(ValidationError) as excinfo:
        patient_update(actor=nurse_a, patient=patient, reason="  ", family_name="Dough")
    assert excinfo.value.message_dict == {"reason": [REASON_REQUIRED]}
    patient.refresh_from_db()
    assert patient.family_name == "Doe"
    assert len(record_history(patient)) == 1


def test_filling_a_blank_value_needs_no_reason(patient, nurse_a):
    patient_update(actor=nurse_a, patient=patient, medical_record_number="MRN77")
    patient.refresh_from_db()
    assert patient.medical_record_number == "MRN77"
    assert record_history(patient)[-1].changes[0].new == "MRN77"


def test_unchanged_save_writes_no_history(patient, nurse_a):
    patient_update(actor=nurse_a, patient=patient, reason="", family_name="Doe")
    assert len(record_history(patient)) == 1


def test_bulk_writes_cannot_skip_the_audit_trail(patient, site_a):
    with pytest.raises(UnauditedBulkWrite):
        Patient.objects.filter(pk=patient.pk).update(family_name="Bulk")
    with pytest.raises(UnauditedBulkWrite):
        Patient.objects.bulk_create([Patient(site=site_a, subject_id="SA-9999")])
    with pytest.raises(UnauditedBulkWrite):
        Patient.objects.bulk_update([patient], ["family_name"])
    patient.refresh_from_db()
    assert patient.family_name == "Doe"


def test_queryset_delete_is_recorded(patient):
    Patient.objects.filter(pk=patient.pk).delete()
    row = Patient.history.filter(id=patient.pk).latest("history_date")
    assert row.history_type == "-"


def test_history_rows_cannot_be_changed_in_python_or_sql(patient):
    row = patient.history.first()
    row.family_name = "Forged"
    with pytest.raises(UnauditedBulkWrite):
        row.save()
    table = Patient.history.model._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET family_name = 'Forged'")
    assert patient.history.first().family_name == "Doe"


def test_nightly_integrity_check_finds_a_write_past_the_audit_trail(patient):
    from core.audit.integrity import audit_integrity_report
    from core.tasks import audit_integrity_check

    assert audit_integrity_check.delay().get() == 0
    table = Patient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET family_name = 'Sneaky' WHERE id = %s", [patient.pk])
    problems = audit_integrity_report([Patient])
    assert [(p.pk, p.problem) for p in problems] == [(patient.pk, "changed outside the audit trail: family_name")]
    assert audit_integrity_check.delay().get() == 1


def test_clinical_records_in_the_admin_are_read_only_and_of_the_users_sites(client, make_user, site_a, site_b, nurse_b):
    from django.urls import reverse

    from trial.choices import Role

    mine = patient_screen(
        actor=make_user(Role.RESEARCH_NURSE, site_a, username="nurse_mine"), site=site_a, family_name="Doe"
    )
    theirs = patient_screen(actor=nurse_b, site=site_b, family_name="Doe")
    staff = make_user(Role.MONITOR, site_a, username="staff_monitor")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    listing = client.get(reverse("admin:patients_patient_changelist"))
    assert listing.status_code == 200
    assert mine.subject_id in listing.content.decode() and theirs.subject_id not in listing.content.decode()
    assert client.get(reverse("admin:patients_patient_change", args=[theirs.pk])).status_code == 302  # not found
    page = client.get(reverse("admin:patients_patient_change", args=[mine.pk])).content.decode()
    assert 'name="_save"' not in page  # no save button: read-only
