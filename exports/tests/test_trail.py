"""The audit-trail and signature datasets: every audited change and every signature of the user's sites' records,
de-identified like the rest."""

import csv
import io
from datetime import datetime, timedelta

import pytest

from core.audit.writes import audited_update
from core.services import signature_sign
from exports.models import SubjectKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed(make_patient, nurse_a, nurse_b, site_b, investigator_a, password):
    a1 = make_patient()
    audited_update(a1, actor=nurse_a, reason="Typo in the sex", sex="male" if a1.sex == "female" else "female")
    signature_sign(record=a1.baseline, actor=investigator_a, password=password, meaning="review", comment="Checked")
    b1 = make_patient(nurse=nurse_b, site=site_b)
    audited_update(b1, actor=nurse_b, reason="Site B's change", sex="male" if b1.sex == "female" else "female")
    return a1


def _rows(api_client, name, **params):
    response = api_client.get(f"/api/v1/exports/datasets/{name}/csv/", params)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_audit_trail_has_every_change_of_the_sites_records_with_who_when_why_and_what(
    api_client, investigator_a, changed
):
    from django.contrib.auth.models import Permission

    investigator_a.user_permissions.add(*Permission.objects.filter(codename="export_data"))
    api_client.force_authenticate(type(investigator_a).objects.get(pk=investigator_a.pk))  # permissions read anew
    trail = _rows(api_client, "audit_trail")
    assert {r["subject_id"] for r in trail} == {"SA-T1"}  # site B's change is not there
    (change,) = [r for r in trail if r["record_type"] == "patients" and r["action"] == "changed"]
    assert (change["changed_by"], change["reason"], change["changed_variables"]) == (
        "research_nurse_sa", "Typo in the sex", '["sex"]',
    )  # fmt: skip
    created = [r for r in trail if r["action"] == "created"]
    assert {"patients", "baseline"} <= {r["record_type"] for r in created}
    assert all(r["changed_variables"] == "[]" for r in created)
    ids = [int(r["history_id"]) for r in trail if r["record_type"] == "patients"]
    assert ids == sorted(ids)


def test_the_signatures_dataset_lists_who_signed_what_and_what_it_meant(api_client, investigator_a, changed):
    from django.contrib.auth.models import Permission

    investigator_a.user_permissions.add(*Permission.objects.filter(codename="export_data"))
    api_client.force_authenticate(type(investigator_a).objects.get(pk=investigator_a.pk))  # permissions read anew
    (signature,) = _rows(api_client, "signatures")
    assert (signature["subject_id"], signature["record_type"], signature["signed_record_id"]) == (
        "SA-T1", "baseline", str(changed.baseline.pk),
    )  # fmt: skip
    assert (signature["signer"], signature["meaning"], signature["comment"]) == ("investigator_sa", "review", "Checked")
    assert signature["status"] == "valid"


def test_de_identified_trail_and_signatures_have_no_free_text_and_shifted_times(api_client, statistician_a, changed):
    api_client.force_authenticate(statistician_a)
    trail = _rows(api_client, "audit_trail")
    signatures = _rows(api_client, "signatures")
    key = SubjectKey.objects.get(patient=changed)
    assert {r["subject_id"] for r in trail} == {r["subject_id"] for r in signatures} == {key.pseudonym}
    assert "reason" not in trail[0] and "comment" not in signatures[0] and "void_reason" not in signatures[0]
    first = changed.history.earliest("history_id")
    (created,) = [r for r in trail if r["record_type"] == "patients" and r["action"] == "created"]
    assert datetime.fromisoformat(created["changed_at"]) == first.history_date + timedelta(days=key.date_offset_days)
