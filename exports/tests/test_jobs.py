"""Export jobs: the whole study in a standard format, written by a worker into a file, its progress shown while it
runs, its file and manifest offered when done; only to the user who asked for it."""

import hashlib
import io
import json
import zipfile
from datetime import date

import pytest

from core.audit.writes import audited_update
from exports import formats, jobs
from exports.datasets import DATASETS
from exports.models import Export, ExportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(make_patient, nurse_a, nurse_b, site_b):
    a1 = make_patient()
    audited_update(a1, actor=nurse_a, family_name="Quixotic", date_of_birth=date(1960, 3, 1))
    make_patient(nurse=nurse_b, site=site_b)
    return a1


@pytest.fixture(autouse=True)
def own_exports_dir(settings, tmp_path):
    settings.EXPORTS_DIR = str(tmp_path)


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """POST through a client, running what the request queues on commit (the test's transaction never commits)."""

    def post(client, url, data, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **kwargs)

    return post


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_statistician_starts_a_job_polls_it_and_downloads_the_file_with_its_manifest(
    api_client, statistician_a, study, start
):
    api_client.force_authenticate(statistician_a)
    response = start(api_client, "/api/v1/exports/", {"format": "zip"}, format="json")
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == job["url"]
    # No broker on the embedded default: the job ran once the request's transaction committed.
    status = api_client.get(job["url"]).json()
    assert status["status"] == "done" and status["deidentified"] is True  # no view_phi: de-identified
    assert status["rows_read"] == status["total"] > 0
    download = api_client.get(status["download"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"] == 'attachment; filename="NCT01371630-zip-deidentified.zip"'
    body = _body(download)
    manifest = status["manifest"]
    (file,) = manifest["files"]
    assert file["sha256"] == hashlib.sha256(body).hexdigest() == download["X-Export-SHA256"]
    assert file["bytes"] == len(body)
    assert file["rows"]["patients"] == 1  # site A's patient only
    assert set(file["rows"]) == set(DATASETS)
    assert (manifest["exported_by"], manifest["sites"], manifest["format"]) == ("statistician_sa", ["SA"], "zip")
    assert manifest["last_audit_history_id"]["patients_historicalpatient"] >= 1
    assert manifest["data_cut_off"]
    inner = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("manifest.json"))
    assert inner["export_id"] == job["id"] and inner["deidentified"] is True
    assert b"Quixotic" not in body
    assert status in api_client.get("/api/v1/exports/").json()


def test_the_job_is_audited_from_its_start_to_its_end(api_client, statistician_a, study, start):
    api_client.force_authenticate(statistician_a)
    job = start(api_client, "/api/v1/exports/", {"format": "zip"}, format="json").json()
    export = Export.objects.get(pk=job["id"])
    trail = list(export.history.order_by("history_id").values_list("status", "history_change_reason"))
    assert [s for s, _reason in trail] == ["queued", "running", "done"]
    assert trail[-1][1] == "Export finished"
    assert export.history.first().history_user == statistician_a


def test_another_user_does_not_see_the_job_or_its_file(api_client, statistician_a, data_manager_a, study, start):
    api_client.force_authenticate(statistician_a)
    job = start(api_client, "/api/v1/exports/", {"format": "zip"}, format="json").json()
    api_client.force_authenticate(data_manager_a)
    assert api_client.get(job["url"]).status_code == 404
    assert api_client.get(f"/api/v1/exports/{job['id']}/download/").status_code == 404
    assert api_client.get("/api/v1/exports/").json() == []


def test_an_unknown_format_is_refused_naming_the_field(api_client, statistician_a, start):
    api_client.force_authenticate(statistician_a)
    response = start(api_client, "/api/v1/exports/", {"format": "xlsx"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"
    assert not Export.objects.exists()


def test_a_nurse_may_not_export(api_client, nurse_a):
    api_client.force_authenticate(nurse_a)
    assert api_client.post("/api/v1/exports/", {"format": "zip"}, format="json").status_code == 403


def _format_reporting_progress(patch, seen, client, export_pk_box):
    """A format whose writer reads two rows, looks at the job's page between them, then ends."""

    def writer(user, *, study, deidentified, keys, progress, counts):
        progress(1)
        seen.append(client.get(f"/exports/jobs/{export_pk_box[0]}/progress/").content.decode())
        progress(1)
        counts["patients"] = 2
        yield b"two rows"

    module = type("M", (), {"writer": staticmethod(writer), "READ": ("patients",)})
    patch.setattr(formats, "import_module", lambda _name: module)
    patch.setitem(
        formats.FORMATS, "fhir", formats.Format("fhir", "json", "application/json", "test", "m:writer", "m:READ")
    )
    patch.setattr(jobs, "PROGRESS_EVERY_SECONDS", 0)


def test_the_page_shows_the_rows_read_while_the_job_runs_and_the_download_when_done(
    client, statistician_a, study, monkeypatch, start
):
    client.force_login(statistician_a)
    seen, box = [], [None]
    _format_reporting_progress(monkeypatch, seen, client, box)
    real_start = jobs.export_job_start

    def remember(**kwargs):
        export = real_start(**kwargs)
        box[0] = export.pk
        return export

    monkeypatch.setattr("exports.views.export_job_start", remember)
    response = client.get(start(client, "/exports/jobs/", {"format": "fhir"}).url)
    (halfway,) = seen
    assert "Running" in halfway and "1 of 1 source rows read" in halfway  # one patient in site A's scope
    assert 'hx-trigger="every 2s"' in halfway  # the page keeps polling while it runs
    page = response.content.decode()
    assert "Done" in page and 'data-testid="job-download"' in page and 'hx-trigger="every 2s"' not in page
    assert client.get(f"/exports/jobs/{box[0]}/download/").getvalue() == b"two rows"
    manifest = json.loads(client.get(f"/exports/jobs/{box[0]}/manifest.json").content)
    assert manifest["files"][0]["sha256"] == hashlib.sha256(b"two rows").hexdigest()


def test_a_failing_export_says_why_and_leaves_no_file(client, statistician_a, study, monkeypatch, start):
    def writer(user, **kwargs):
        yield b"half a file"
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(formats, "import_module", lambda _module: type("M", (), {"writer": staticmethod(writer)}))
    monkeypatch.setitem(formats.FORMATS, "fhir", formats.Format("fhir", "json", "application/json", "t", "m:writer"))
    client.force_login(statistician_a)
    page = client.get(start(client, "/exports/jobs/", {"format": "fhir"}).url).content.decode()
    assert "Failed or cut short" in page and "RuntimeError: the disk is full" in page
    export = Export.objects.get()
    assert export.status == ExportStatus.FAILED and not export.file_name
    assert list(jobs.exports_dir().iterdir()) == []
    assert client.get(f"/exports/jobs/{export.pk}/download/").status_code == 404


def test_a_job_queue_that_does_not_answer_fails_the_job_not_the_request(api_client, statistician_a, monkeypatch, start):
    from exports import tasks

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.run_export, "delay", refuse)
    api_client.force_authenticate(statistician_a)
    response = start(api_client, "/api/v1/exports/", {"format": "zip"}, format="json")
    assert response.status_code == 202
    status = api_client.get(response["Location"]).json()
    assert status["status"] == "failed" and "could not be queued" in status["error"]


def test_the_exports_page_lists_the_formats_and_the_last_jobs(client, statistician_a, study, start):
    client.force_login(statistician_a)
    start(client, "/exports/jobs/", {"format": "zip"})
    page = client.get("/exports/").content.decode()
    for code in formats.FORMATS:
        assert f'data-testid="format-{code}"' in page
    recent = page.split('data-testid="recent-exports"')[1]
    export = Export.objects.get()
    assert "whole study" in recent and f'href="/exports/jobs/{export.pk}/"' in recent and "Done" in recent
