"""The study as a FHIR R4 Bundle: valid by the R4B models of fhir.resources, every code in a code system the project
knows, references inside the bundle, the user's sites only, and de-identified without names, MRN, birth date, free
text or subject id, its dates moved by the patient's offset."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from adverse_events.models import CTCAETerm
from adverse_events.services import adverse_event_report, lab_result_record
from core.audit.writes import audited_update
from dosing.services import course_start, dose_record
from exports import fhir
from exports.datasets import DATASETS
from exports.deidentify import subject_keys
from exports.fhir import DATASETS_READ, MEDDRA, check_codings, fhir_bundle_chunks
from patients.models import Patient
from responses.services import assessment_record

pytestmark = pytest.mark.django_db

STUDY = "NCT01371630"
REGISTERED = date(2024, 1, 2)
COURSE_START = date(2024, 1, 10)
AE_ONSET = date(2024, 1, 15)
MARROW_ON = date(2024, 2, 5)
LAB_ON = date(2024, 1, 18)
HELD_REASON = "Held: CANARY-REASON platelets too low"
VERBATIM = "CANARY-VERBATIM queasy after dinner"
IDENTIFYING = ["Zelda", "Quixotic", "MRN-CANARY-1", "1950-03-01", "SA-T1", HELD_REASON, VERBATIM]


def _treat(patient, nurse):
    """A course with a dose given and one held, a marrow in CR, a lab value and a grade 3 AE attributed to the drug
    given; returns the two doses."""
    course = course_start(
        actor=nurse, patient=patient, start_date=COURSE_START, height_cm=Decimal(170), weight_kg=Decimal(70)
    )
    doses = course.administrations.filter(drug__is_study_drug=True, planned_dose__isnull=False).order_by("pk")
    given, held = doses[0], doses[1]
    dose_record(
        actor=nurse, administration=given, status="given", given_at=datetime(2024, 1, 10, 9, 30, tzinfo=UTC),
        dose_given=given.planned_dose,
    )  # fmt: skip
    dose_record(actor=nurse, administration=held, status="held", reason=HELD_REASON)
    assessment_record(
        actor=nurse, patient=patient, assessed_on=MARROW_ON, marrow_blast_percent=Decimal(2),
        neutrophils_1e9_per_l=Decimal("1.5"), platelets_1e9_per_l=Decimal(150),
    )  # fmt: skip
    lab_result_record(
        actor=nurse, patient=patient, lab_test="potassium", collected_on=LAB_ON, value=Decimal("3.1"), unit="mmol/L",
        lower_limit_normal=Decimal("3.5"), upper_limit_normal=Decimal("5.1"),
    )  # fmt: skip
    adverse_event_report(
        actor=nurse, patient=patient, term=CTCAETerm.objects.get(term="Nausea"), grade=3, onset_date=AE_ONSET,
        verbatim=VERBATIM, outcome="recovered", resolution_date=AE_ONSET + timedelta(days=3),
        attributions={given.drug.code: "possible"},
    )  # fmt: skip
    return given, held


@pytest.fixture
def study(make_patient, nurse_a, nurse_b, site_b):
    """Patient SA-T1 at site A, treated (see :func:`_treat`), with name, MRN and date of birth; patient SB-T2 at
    site B."""
    a1 = make_patient()
    audited_update(
        a1, actor=nurse_a, given_name="Zelda", family_name="Quixotic", medical_record_number="MRN-CANARY-1",
        date_of_birth=date(1950, 3, 1),
    )  # fmt: skip
    given, held = _treat(a1, nurse_a)
    b1 = make_patient(nurse=nurse_b, site=site_b)
    return {"A1": a1, "B1": b1, "given": given, "held": held}


def _bundle(user, *, deidentified=False, **kwargs) -> dict:
    keys = subject_keys(Patient.objects.for_user(user), actor=user) if deidentified else None
    body = b"".join(fhir_bundle_chunks(user, study=STUDY, deidentified=deidentified, keys=keys, **kwargs))
    return json.loads(body)


def _resources(bundle, kind) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _assert_valid(bundle):
    """Valid by the R4B models, entry by entry and as a whole, every code known, every reference inside."""
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    Bundle.model_validate(bundle)
    assert check_codings(bundle) == []
    urls = {e["fullUrl"] for e in bundle["entry"]}
    references = [v for e in bundle["entry"] for k, v in _walk(e["resource"]) if k == "reference"]
    assert references and set(references) <= urls


def _walk(node):
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def test_the_identified_bundle_holds_the_study_of_the_users_sites(investigator_a, study):
    counts = {}
    bundle = _bundle(investigator_a, counts=counts)
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    _assert_valid(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert counts == {kind: kinds.count(kind) for kind in set(kinds)}
    assert counts["Patient"] == counts["ResearchSubject"] == 1  # site B's patient is not there
    assert "SB-T2" not in json.dumps(bundle)

    (trial,) = _resources(bundle, "ResearchStudy")
    assert trial["identifier"] == [{"system": "https://clinicaltrials.gov", "value": STUDY}]
    assert trial["phase"]["coding"][0]["code"] == "phase-2"
    assert {a["name"] for a in trial["arm"]} == {"original", "amended-2017"}
    (patient,) = _resources(bundle, "Patient")
    assert patient["name"] == [{"family": "Quixotic", "given": ["Zelda"]}]
    assert patient["birthDate"] == "1950-03-01"
    assert {i["value"] for i in patient["identifier"]} == {"SA-T1", "MRN-CANARY-1"}
    (subject,) = _resources(bundle, "ResearchSubject")
    assert (subject["status"], subject["assignedArm"], subject["period"]) == (
        "on-study", "amended-2017", {"start": "2024-01-02"},
    )  # fmt: skip

    administrations = _resources(bundle, "MedicationAdministration")
    (given,) = [a for a in administrations if a["status"] == "completed"]
    (held,) = [a for a in administrations if a["status"] == "not-done"]
    assert given["effectiveDateTime"] == "2024-01-10T09:30:00+00:00"
    dose = given["dosage"].get("dose") or given["dosage"]["rateQuantity"]
    assert (dose["value"], dose["system"]) == (float(study["given"].planned_dose), "http://unitsofmeasure.org")
    assert given["medicationCodeableConcept"]["text"] == study["given"].drug.name
    assert held["statusReason"][0]["coding"][0]["code"] == "held"
    assert held["statusReason"][0]["text"] == HELD_REASON
    assert held["effectiveDateTime"] == study["held"].planned_date.isoformat()

    (event,) = _resources(bundle, "AdverseEvent")
    assert event["event"]["coding"][0] == {"system": MEDDRA, "code": "10028813", "display": "Nausea"}
    assert event["event"]["text"] == VERBATIM
    assert event["severity"]["coding"][0]["code"] == "severe"
    assert event["outcome"]["coding"][0]["code"] == "resolved"
    grade = next(x for x in event["extension"] if x["url"] == fhir.CTCAE_GRADE_EXTENSION)
    assert grade["valueCodeableConcept"]["coding"][0]["code"] == "C41340"  # grade 3
    (suspect,) = event["suspectEntity"]
    assert suspect["causality"][0]["assessment"]["coding"][0]["code"] == "possible"
    medication = next(e for e in bundle["entry"] if e["fullUrl"] == suspect["instance"]["reference"])["resource"]
    assert medication["code"]["text"] == study["given"].drug.name

    marrow, lab = sorted(_resources(bundle, "Observation"), key=lambda o: "category" in o)
    assert marrow["valueCodeableConcept"]["coding"][0]["code"] == "cr"
    assert marrow["effectiveDateTime"] == MARROW_ON.isoformat()
    assert lab["valueQuantity"] == {"value": 3.1, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                                    "code": "mmol/L"}  # fmt: skip
    assert lab["code"]["text"] == "Potassium"


def test_the_de_identified_bundle_has_no_identifier_and_moves_every_date(statistician_a, study):
    bundle = _bundle(statistician_a, deidentified=True)
    _assert_valid(bundle)
    text = json.dumps(bundle, ensure_ascii=False)
    assert [value for value in IDENTIFYING if value in text] == []
    offset = timedelta(days=study["A1"].subject_key.date_offset_days)

    (patient,) = _resources(bundle, "Patient")
    assert patient["identifier"] == [{"system": fhir.PSEUDONYM_SYSTEM, "value": study["A1"].subject_key.pseudonym}]
    assert "name" not in patient and "birthDate" not in patient
    (subject,) = _resources(bundle, "ResearchSubject")
    assert subject["period"]["start"] == (REGISTERED + offset).isoformat()
    administrations = _resources(bundle, "MedicationAdministration")
    (given,) = [a for a in administrations if a["status"] == "completed"]
    (held,) = [a for a in administrations if a["status"] == "not-done"]
    assert given["effectiveDateTime"] == (datetime(2024, 1, 10, 9, 30, tzinfo=UTC) + offset).isoformat()
    assert held["effectiveDateTime"] == (study["held"].planned_date + offset).isoformat()
    assert held["statusReason"][0]["text"] == "Held"  # the code's label, not the nurse's words
    (event,) = _resources(bundle, "AdverseEvent")
    assert event["date"] == (AE_ONSET + offset).isoformat()
    assert event["event"]["text"] == "Nausea"
    dates = {o["effectiveDateTime"] for o in _resources(bundle, "Observation")}
    assert dates == {(MARROW_ON + offset).isoformat(), (LAB_ON + offset).isoformat()}


def test_progress_counts_every_row_read_and_the_bundle_streams_entry_by_entry(statistician_a, study, monkeypatch):
    reported = []
    keys = subject_keys(Patient.objects.for_user(statistician_a), actor=statistician_a)
    monkeypatch.setattr(fhir, "FLUSH_BYTES", 1)  # every entry goes out as soon as it is written
    chunks = list(
        fhir_bundle_chunks(statistician_a, study=STUDY, deidentified=True, keys=keys, progress=reported.append)
    )
    total = sum(DATASETS[name].rows(statistician_a).count() for name in DATASETS_READ)
    assert sum(reported) == total > 0
    entries = json.loads(b"".join(chunks))["entry"]
    assert len(chunks) == len(entries) + 1  # then the closing


def test_the_code_check_finds_an_unknown_code_system_and_a_code_not_in_its_system(investigator_a, study):
    bundle = _bundle(investigator_a)
    (event,) = _resources(bundle, "AdverseEvent")
    event["event"]["coding"][0]["code"] = "99999999"
    event["event"]["coding"].append({"system": "http://example.org/made-up", "code": "x"})
    problems = check_codings(bundle)
    assert len(problems) == 2
    assert "'99999999' is not among the MedDRA codes of the CTCAE v5.0 terms" in problems[0]
    assert "'http://example.org/made-up' is not one the project knows" in problems[1]


def test_the_queries_do_not_grow_with_the_patients(investigator_a, study, make_patient, nurse_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _bundle(investigator_a)  # the user's sites are read once and kept on the user
    with CaptureQueriesContext(connection) as one:
        _bundle(investigator_a)
    _treat(make_patient(), nurse_a)
    with CaptureQueriesContext(connection) as two:
        bundle = _bundle(investigator_a)
    assert len(_resources(bundle, "Patient")) == 2
    assert len(two) == len(one), [q["sql"][:80] for q in two.captured_queries]
