"""Datasets as CSV: the user's sites only, identified for who may see PHI, de-identified for everyone else, each
export recorded."""

import csv
import hashlib
import io
from datetime import date, timedelta

import pytest

from core.audit.writes import audited_update
from dosing.services import course_start
from exports.datasets import DATASETS
from exports.models import Export, SubjectKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def patients(make_patient, nurse_a, nurse_b, site_b):
    a1 = make_patient()
    audited_update(
        a1, actor=nurse_a, given_name="Zelda", family_name="Quixotic", medical_record_number="MRN-CANARY-1",
        date_of_birth=date(1930, 3, 1),
    )  # fmt: skip
    from decimal import Decimal

    course_start(actor=nurse_a, patient=a1, start_date=date(2024, 1, 10), height_cm=Decimal(170), weight_kg=Decimal(70))
    b1 = make_patient(nurse=nurse_b, site=site_b)
    return {"A1": a1, "B1": b1}


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_statistician_gets_de_identified_rows_of_their_sites_only(api_client, statistician_a, patients):
    api_client.force_authenticate(statistician_a)
    (row,) = _csv(api_client.get("/api/v1/exports/datasets/patients/csv/"))  # site B's patient is not there
    assert not {"given_name", "family_name", "medical_record_number", "date_of_birth"} & set(row)
    key = SubjectKey.objects.get(patient=patients["A1"])
    assert row["subject_id"] == key.pseudonym != "SA-T1"
    assert row["registration_date"] == (date(2024, 1, 2) + timedelta(days=key.date_offset_days)).isoformat()
    assert row["age_at_registration"] == "90+"  # born 1930, 93 at registration
    # Every date of the patient moves by the same offset: the course still starts 8 days after registration.
    (course,) = _csv(api_client.get("/api/v1/exports/datasets/courses/csv/"))
    assert course["subject_id"] == key.pseudonym
    shifted = date.fromisoformat(course["start_date"]) - date.fromisoformat(row["registration_date"])
    assert shifted == timedelta(days=8)


def test_the_key_is_made_once_and_reused(api_client, statistician_a, patients):
    api_client.force_authenticate(statistician_a)
    first = _csv(api_client.get("/api/v1/exports/datasets/patients/csv/"))
    second = _csv(api_client.get("/api/v1/exports/datasets/patients/csv/"))
    assert first == second
    assert SubjectKey.objects.count() == 1
    assert SubjectKey.history.filter(history_type="+").count() == 1


def test_who_may_see_phi_gets_identified_rows_unless_they_ask(api_client, data_manager_a, investigator_a, patients):
    investigator_a.user_permissions.add(*_export_permissions())
    api_client.force_authenticate(investigator_a)
    (row,) = _csv(api_client.get("/api/v1/exports/datasets/patients/csv/"))
    assert (row["subject_id"], row["family_name"], row["age_at_registration"]) == ("SA-T1", "Quixotic", "93")
    (row,) = _csv(api_client.get("/api/v1/exports/datasets/patients/csv/", {"deidentified": "1"}))
    assert "family_name" not in row and row["subject_id"].startswith("S-")
    # A data manager has no PHI permission: de-identified whatever they ask.
    api_client.force_authenticate(data_manager_a)
    (row,) = _csv(api_client.get("/api/v1/exports/datasets/patients/csv/", {"deidentified": "0"}))
    assert "family_name" not in row


def _export_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="exports", codename__in=["export_data", "view_export"])


def test_every_export_is_recorded_with_its_rows_and_checksum(api_client, statistician_a, patients):
    api_client.force_authenticate(statistician_a)
    response = api_client.get("/api/v1/exports/datasets/patients/csv/")
    body = b"".join(response.streaming_content)
    export = Export.objects.get(pk=response["X-Export-Id"])
    assert (export.exported_by, export.dataset, export.format, export.deidentified) == (
        statistician_a, "patients", "csv", True,
    )  # fmt: skip
    assert export.sites == "SA"
    assert export.rows == 1 and export.sha256 == hashlib.sha256(body).hexdigest()
    assert export.history.count() == 2  # started, finished


def test_exports_need_the_export_permission(api_client, nurse_a, patients):
    api_client.force_authenticate(nurse_a)
    assert api_client.get("/api/v1/exports/datasets/").status_code == 403
    assert api_client.get("/api/v1/exports/datasets/patients/csv/").status_code == 403
    assert not Export.objects.exists()


def test_an_unknown_dataset_is_a_404_naming_the_datasets(api_client, statistician_a):
    api_client.force_authenticate(statistician_a)
    response = api_client.get("/api/v1/exports/datasets/shoes/csv/")
    assert response.status_code == 404
    assert "patients" in response.json()["errors"][0]["message"]


def test_the_data_dictionary_comes_from_the_models(api_client, statistician_a):
    api_client.force_authenticate(statistician_a)
    datasets = {d["name"]: d for d in api_client.get("/api/v1/exports/datasets/").json()}
    assert set(datasets) == set(DATASETS)
    patient = {c["variable"]: c for c in datasets["patients"]["columns"]}
    assert "family_name" not in patient  # the statistician's files are de-identified: so is their dictionary
    assert patient["sex"]["allowed_values"].startswith("female = Female")
    assert patient["registration_date"]["identifying"] == "date"
    baseline = {c["variable"]: c for c in datasets["baseline"]["columns"]}
    assert baseline["wbc_1e9_per_l"]["unit"] == "×10⁹/L" and baseline["wbc_1e9_per_l"]["type"] == "decimal"
    assert baseline["wbc_1e9_per_l"]["source"] == "patients.Baseline.wbc_1e9_per_l"
    administrations = {c["variable"] for c in datasets["administrations"]["columns"]}
    assert "subject_id" in administrations  # reached through the course


def test_the_exports_page_lists_the_datasets_and_downloads_one(client, statistician_a, patients):
    client.force_login(statistician_a)
    page = client.get("/exports/").content.decode()
    assert 'data-testid="dataset-adverse_events"' in page and "Your files are de-identified" in page
    assert 'href="/exports/"' in page  # in the navigation
    response = client.get("/exports/patients.csv")
    assert response["Content-Disposition"] == 'attachment; filename="patients-deidentified.csv"'
    body = b"".join(response.streaming_content).decode()
    assert "Quixotic" not in body and "S-" in body
    assert "patients" in client.get("/exports/").content.decode().split('data-testid="recent-exports"')[1]


@pytest.mark.django_db(transaction=True)
def test_a_write_during_an_export_does_not_appear_half_way(
    protocol_reloaded, api_client, statistician_a, make_patient, nurse_a
):
    """The file is read from one snapshot, not page by page: a patient registered while it streams is not in it."""
    import threading

    from django.db import connection

    from exports import stream

    if connection.vendor != "postgresql":
        pytest.skip("The snapshot (REPEATABLE READ) is PostgreSQL's; SQLite has one writer and no concurrent reader.")
    for _ in range(3):
        make_patient()
    api_client.force_authenticate(statistician_a)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stream, "CHUNK_ROWS", 1)  # a chunk per row: the write lands between two of them
        chunks = iter(api_client.get("/api/v1/exports/datasets/patients/csv/").streaming_content)
        first = next(chunks)

        def register_another():
            make_patient()
            connection.close()

        writer = threading.Thread(target=register_another)
        writer.start()
        writer.join()
        rest = b"".join(chunks)
    rows = list(csv.DictReader(io.StringIO((first + rest).decode())))
    assert len(rows) == 3  # the fourth patient, committed half-way, is not in the file
    assert _csv(api_client.get("/api/v1/exports/datasets/patients/csv/")).__len__() == 4


def test_the_whole_study_zip_holds_every_dataset_its_dictionary_and_a_manifest(api_client, statistician_a, patients):
    import json
    import zipfile

    api_client.force_authenticate(statistician_a)
    response = api_client.get("/api/v1/exports/study.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    body = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    names = set(archive.namelist())
    assert {f"{name}.csv" for name in DATASETS} | {f"dictionary/{name}.csv" for name in DATASETS} <= names
    manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["exported_by"], manifest["sites"], manifest["deidentified"]) == ("statistician_sa", ["SA"], True)
    for entry in manifest["files"]:
        data = archive.read(entry["file"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert entry["rows"] == len(data.decode().splitlines()) - 1
    assert {e["dataset"]: e["rows"] for e in manifest["files"]}["patients"] == 1  # site A's only
    assert manifest["last_audit_history_id"]["patients_historicalpatient"] >= 1
    # The same pseudonyms and dates as the dataset's own download.
    single = b"".join(api_client.get("/api/v1/exports/datasets/patients/csv/").streaming_content)
    assert archive.read("patients.csv") == single
    assert b"Quixotic" not in body and b"family_name" not in archive.read("dictionary/patients.csv")
    export = Export.objects.get(pk=response["X-Export-Id"])
    assert (export.dataset, export.format, export.sha256) == ("study", "zip", hashlib.sha256(body).hexdigest())
    assert export.rows == sum(e["rows"] for e in manifest["files"])


def test_each_dataset_has_a_dictionary_page_and_csv(client, statistician_a):
    client.force_login(statistician_a)
    page = client.get("/exports/").content.decode()
    assert 'href="/exports/baseline/"' in page
    baseline = client.get("/exports/baseline/").content.decode()
    assert 'data-testid="dictionary"' in baseline and "×10⁹/L" in baseline
    assert "family_name" not in client.get("/exports/patients/").content.decode()  # not in a de-identified file
    rows = list(csv.DictReader(io.StringIO(client.get("/exports/baseline/dictionary.csv").content.decode())))
    wbc = next(r for r in rows if r["variable"] == "wbc_1e9_per_l")
    assert (wbc["type"], wbc["unit"], wbc["source"]) == ("decimal", "×10⁹/L", "patients.Baseline.wbc_1e9_per_l")
    assert client.get("/exports/shoes/").status_code == 404
