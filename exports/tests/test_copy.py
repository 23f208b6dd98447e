"""On PostgreSQL the database writes the CSV (``COPY … TO STDOUT``): the same bytes as the Python writer, for every
dataset, identified and de-identified."""

import csv
import hashlib
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adverse_events.services import clinical_observation_record
from core.audit.writes import audited_create, audited_update
from dosing.services import course_start
from exports import copy
from exports.datasets import DATASETS, FREE_TEXT, IDENTIFIER, RECORD_DATASETS
from exports.deidentify import subject_keys
from exports.models import Export
from exports.stream import Written, csv_chunks, encode_csv, rows, snapshot
from exports.tests.canary_checks import seed_canaries
from patients.models import Patient
from patients.selectors import patient_list
from responses.models import MarrowAssessment
from safety.models import Flag
from trial.choices import Role
from trial.models import Site

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's; SQLite has the Python path."),
]

TRICKY_TEXT = 'Smith, "Jr."\nsecond line; naïve café ✓'
TRICKY_JSON = {"zeta": [1, 2.5, None, True, "a,b"], "a": {"é": 'x"y\n', "ab": []}, "bb": "日本", "": {}}


def _python_file(dataset, user, deidentified, keys) -> tuple[bytes, int]:
    written = Written()
    body = b"".join(encode_csv(rows(dataset, user, deidentified=deidentified, keys=keys), written))
    return body, written.rows


def _copy_file(dataset, user, deidentified) -> tuple[bytes, int]:
    written = Written()
    body = b"".join(copy.copy_chunks(dataset, user, deidentified=deidentified, written=written))
    assert written.sha256 == hashlib.sha256(body).hexdigest()
    return body, written.rows


@pytest.fixture
def cohort(make_user):
    """The reference cohort with a record in every dataset, and values of every kind: free text with commas,
    quotes, newlines and accents; a JSON object with nested lists and keys of every length; MRD levels of 0 and
    10⁻⁷; date-times with and without microseconds; a patient aged 90 or over (the canary date of birth)."""
    call_command("reference_cohort", stdout=io.StringIO())
    site = Site.objects.get(code="REF")
    investigator = make_user(Role.INVESTIGATOR, site)
    seed_canaries(investigator)
    for dataset in RECORD_DATASETS:
        targets = [
            c for c in dataset.columns
            if c.identifying in (IDENTIFIER, FREE_TEXT) and c.type in ("text", "list") and "__" not in c.lookup
            and c.lookup != "reason"  # audited_update's own argument: that column keeps its canary
        ]  # fmt: skip
        record = dataset.model._default_manager.order_by("pk").last()
        changes = {}
        for column in targets:
            field = dataset.model._meta.get_field(column.lookup)
            text = TRICKY_TEXT[: field.max_length] if field.max_length else TRICKY_TEXT
            changes[column.lookup] = TRICKY_JSON if column.type == "list" else text
        audited_update(record, actor=investigator, reason="Values of every kind for the COPY check", **changes)
    negative, deep = MarrowAssessment.objects.exclude(mrd_flow_level=None).order_by("pk")[:2]
    audited_update(negative, actor=investigator, reason="MRD zero", mrd_flow_level=Decimal(0), mrd_ngs_level=Decimal(0))
    audited_update(deep, actor=investigator, reason="MRD 1e-7", mrd_flow_level=Decimal("1E-7"))
    patient = Patient.objects.filter(site=site).order_by("pk").first()
    for weight, hepatomegaly in ((Decimal("71.5"), True), (None, False)):  # the cohort records no observation
        clinical_observation_record(
            actor=investigator, patient=patient, observed_on=patient.registration_date, weight_kg=weight,
            hepatomegaly=hepatomegaly,
        )  # fmt: skip
    flag = Flag.objects.order_by("pk").first()
    audited_update(flag, actor=investigator, reason="A date-time on the second",
                   raised_at=datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC))  # fmt: skip
    return investigator


def test_copy_and_python_give_the_same_file_for_every_dataset(cohort):
    assert Patient.objects.filter(site__code="REF", date_of_birth__lte=date(1930, 1, 1)).exists()  # an age ≥ 90
    keys = subject_keys(patient_list(cohort), actor=cohort)
    differ, empty = {}, []
    with snapshot():
        for dataset in RECORD_DATASETS:  # the audit trail and the signatures are read table by table, in Python
            assert copy.expresses(dataset), dataset.name
            for deidentified in (False, True):
                python, python_rows = _python_file(dataset, cohort, deidentified, keys)
                via_copy, copy_rows = _copy_file(dataset, cohort, deidentified)
                if (via_copy, copy_rows) != (python, python_rows):
                    differ[(dataset.name, deidentified)] = _first_difference(python, via_copy)
                if not python_rows:
                    empty.append(dataset.name)
    assert differ == {}
    assert empty == []  # every dataset had rows to compare
    flags = list(csv.DictReader(io.StringIO(_copy_file(DATASETS["flags"], cohort, False)[0].decode())))
    tricky = next(f for f in flags if f["message"] == TRICKY_TEXT)  # commas, quotes and a newline read back
    assert tricky["evidence"] == '{"":{},"a":{"ab":[],"é":"x\\"y\\n"},"bb":"日本","zeta":[1,2.5,null,true,"a,b"]}'
    assert "2024-02-29T23:59:59+00:00" in {f["raised_at"] for f in flags}
    marrow = list(csv.DictReader(io.StringIO(_copy_file(DATASETS["marrow_assessments"], cohort, False)[0].decode())))
    assert {"0.00000000", "0.00000010"} <= {r["mrd_flow_level"] for r in marrow}  # never 0E-8 or 1E-7
    patients = list(csv.DictReader(io.StringIO(_copy_file(DATASETS["patients"], cohort, True)[0].decode())))
    assert "90+" in {p["age_at_registration"] for p in patients}


def _first_difference(python: bytes, via_copy: bytes) -> tuple[str, str]:
    for line_python, line_copy in zip(python.decode().splitlines(), via_copy.decode().splitlines(), strict=False):
        if line_python != line_copy:
            return line_python, line_copy
    return f"{len(python)} bytes", f"{len(via_copy)} bytes"


@pytest.fixture
def course(make_patient, nurse_a):
    """A patient of site A with a first course planned (its administrations)."""
    return course_start(
        actor=nurse_a, patient=make_patient(), start_date=date(2024, 1, 10), height_cm=Decimal(170),
        weight_kg=Decimal(70),
    )  # fmt: skip


def test_the_download_is_written_by_copy(api_client, statistician_a, course):
    api_client.force_authenticate(statistician_a)
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/api/v1/exports/datasets/administrations/csv/")
        body = b"".join(response.streaming_content)
    copies = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("COPY (SELECT")]
    assert len(copies) == 1 and "exports_subjectkey" in copies[0]  # de-identified: the keys are joined
    lines = list(csv.DictReader(io.StringIO(body.decode())))
    assert len(lines) == course.administrations.count() > 10
    assert lines[0]["subject_id"].startswith("S-")
    assert Export.objects.get(pk=response["X-Export-Id"]).rows == len(lines)  # counted by the COPY


def test_a_download_cut_short_stops_the_copy_and_leaves_the_connection_usable(monkeypatch, investigator_a, course):
    monkeypatch.setattr(copy, "CHUNK_BYTES", 1)  # a chunk per row, at most one waiting
    monkeypatch.setattr(copy, "QUEUED_CHUNKS", 1)
    export = audited_create(
        Export(exported_by=investigator_a, dataset="administrations", format="csv", deidentified=False, sites="SA"),
        actor=investigator_a,
    )
    chunks = csv_chunks(DATASETS["administrations"], investigator_a, deidentified=False, export=export)
    assert next(chunks).startswith(b"subject_id,")
    chunks.close()
    export.refresh_from_db()
    assert (export.rows, export.sha256) == (None, "")  # not finished
    assert course.administrations.count() > 10  # the connection answers the next query
