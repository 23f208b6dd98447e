"""The study as CDISC ODM 1.3.2: valid against the official schema, the same values as the CSV, de-identified for who
may not see PHI, the user's sites only, with signatures and audit records."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib.resources import files

import odmlib
import pytest
from django.utils import timezone
from lxml import etree

from adverse_events.models import CTCAETerm
from adverse_events.services import adverse_event_report
from core.audit.writes import audited_update
from core.choices import SignatureMeaning
from core.services import signature_sign
from dosing.services import course_start, dose_record
from exports import odm
from exports.datasets import DATASETS
from exports.deidentify import subject_keys
from exports.stream import rows
from patients.selectors import patient_list
from responses.models import MarrowAssessment
from responses.services import assessment_record, assessment_update

pytestmark = pytest.mark.django_db

NS = {"odm": odm.NS}
START = date(2024, 1, 3)
CANARY_VERBATIM = "Zelda Quixotic felt queasy"
CANARY_REASON = "Blasts recounted by Dr Quixotic"
STUDY = "NCT01371630"


@cache
def _schema() -> etree.XMLSchema:
    """The official ODM 1.3.2 schema, as shipped in the odmlib wheel."""
    path = files("odmlib") / "schemas" / "odm" / "1.3.2" / "ODM1-3-2.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def validate_odm(data: bytes) -> etree._Element:
    """The parsed file, once the schema accepts it (else the schema's first complaints)."""
    document = etree.fromstring(data)
    schema = _schema()
    assert schema.validate(document), "\n".join(str(e) for e in list(schema.error_log)[:5])
    return document


@pytest.fixture
def study(make_patient, nurse_a, nurse_b, site_b, investigator_a, password):
    """Site A's patient with PHI, a course with two doses given, a marrow evaluation (an MRD level of 5E-8) that was
    signed and then corrected with a reason, and a signed AE; another site A patient; site B's patient with a course."""
    a1 = make_patient()
    audited_update(
        a1, actor=nurse_a, given_name="Zelda", family_name="Quixotic", medical_record_number="MRN-CANARY-1",
        date_of_birth=date(1930, 3, 1),
    )  # fmt: skip
    course = course_start(actor=nurse_a, patient=a1, start_date=START, height_cm=Decimal(170), weight_kg=Decimal(70))
    for code in ("vincristine", "inotuzumab-ozogamicin"):
        dose = course.administrations.filter(drug__code=code).order_by("day").first()
        given_at = timezone.make_aware(datetime.combine(dose.planned_date, datetime.min.time()).replace(hour=10))
        dose_record(actor=nurse_a, administration=dose, status="given", given_at=given_at, dose_given=dose.planned_dose)
    marrow = assessment_record(
        actor=nurse_a, patient=a1, assessed_on=START + timedelta(days=20), marrow_blast_percent=2,
        neutrophils_1e9_per_l=2, platelets_1e9_per_l=150, mrd_flow="detected", mrd_flow_level=Decimal("0.00000005"),
    )  # fmt: skip
    signature_sign(record=marrow, actor=investigator_a, password=password, meaning=SignatureMeaning.REVIEW)
    marrow = assessment_update(actor=nurse_a, assessment=marrow, reason=CANARY_REASON, marrow_blast_percent=3)
    ae = adverse_event_report(
        actor=nurse_a, patient=a1, term=CTCAETerm.objects.get(term="Nausea"), grade=2, onset_date=START,
        verbatim=CANARY_VERBATIM, attributions={"vincristine": "possible", "inotuzumab-ozogamicin": "unlikely"},
    )  # fmt: skip
    signature_sign(record=ae, actor=investigator_a, password=password, meaning=SignatureMeaning.APPROVAL)
    a2 = make_patient()
    b1 = make_patient(nurse=nurse_b, site=site_b)
    course_start(actor=nurse_b, patient=b1, start_date=START, height_cm=Decimal(160), weight_kg=Decimal(60))
    return {"A1": a1, "A2": a2, "B1": b1, "marrow": marrow, "ae": ae}


def _export(user, *, deidentified: bool, **kwargs) -> tuple[bytes, dict | None]:
    keys = subject_keys(patient_list(user), actor=user) if deidentified else None
    chunks = list(odm.odm_chunks(user, study=STUDY, deidentified=deidentified, keys=keys, **kwargs))
    return b"".join(chunks), keys


def _groups(document, dataset) -> list[etree._Element]:
    return document.findall(f".//odm:ItemGroupData[@ItemGroupOID='{odm.group_oid(dataset)}']", NS)


def _read_back(document, dataset, *, deidentified: bool) -> list[dict]:
    """The dataset's rows as the file gives them: subject and record from the keys, the rest from the ItemData."""
    names = {odm.item_oid(dataset, c): c.name for c in odm.items_of(dataset, deidentified=deidentified)}
    found = []
    for group in _groups(document, dataset):
        subject = group.xpath("ancestor::odm:SubjectData/@SubjectKey", namespaces=NS)[0]
        row = dict.fromkeys(names.values(), "")
        row |= {"subject_id": subject, "record_id": group.get("ItemGroupRepeatKey")}
        row |= {names[item.get("ItemOID")]: item.get("Value") for item in group.findall("odm:ItemData", NS)}
        found.append(row)
    return found


def _by_record(dataset, found: list[dict], deidentified: bool) -> dict[int, dict]:
    """Rows by record id, their decimals as numbers: the file writes 5E-8 (an MRD level) as 0.00000005."""
    floats = {c.name for c in odm.items_of(dataset, deidentified=deidentified) if c.type == "decimal"}
    return {int(row["record_id"]): {k: Decimal(v) if k in floats and v else v for k, v in row.items()} for row in found}


@pytest.mark.parametrize("deidentified", [False, True], ids=["identified", "de-identified"])
def test_the_file_validates_against_the_odm_schema_and_holds_the_csv_rows(
    investigator_a, study, deidentified, monkeypatch, tmp_path
):
    monkeypatch.setattr(odm, "CHUNK_PATIENTS", 1)  # a chunk of patients per patient: rows cross chunk boundaries
    monkeypatch.setattr(odm, "CHUNK_BYTES", 1)  # and a chunk of bytes as soon as a record is written
    monkeypatch.setattr(odm, "FLUSH_RECORDS", 1)
    keys = subject_keys(patient_list(investigator_a), actor=investigator_a) if deidentified else None
    chunks = list(odm.odm_chunks(investigator_a, study=STUDY, deidentified=deidentified, keys=keys))
    assert len(chunks) > 3  # streamed: the metadata, then record by record, then the end
    document = validate_odm(b"".join(chunks))
    assert document.get("ODMVersion") == "1.3.2" and document.get("FileType") == "Snapshot"
    # odmlib reads it, and every OID the file refers to (items, users, sites, signature meanings) is defined in it.
    (tmp_path / "study.xml").write_bytes(b"".join(chunks))
    with odmlib.open_odm(str(tmp_path / "study.xml")) as loaded:
        loaded.verify_oids(odmlib.create_oid_checker("odm_1_3_2"))
    for dataset in odm.RECORD_DATASETS:
        lines = rows(dataset, investigator_a, deidentified=deidentified, keys=keys)
        header = next(lines)
        expected = [dict(zip(header, line, strict=True)) for line in lines]
        found = _read_back(document, dataset, deidentified=deidentified)
        assert _by_record(dataset, found, deidentified) == _by_record(dataset, expected, deidentified), dataset.name
    # Every column of the dictionary is an item of its dataset (bar the two keys), with its type and unit.
    marrow = document.find(".//odm:ItemDef[@OID='IT.MARROW_ASSESSMENTS.MRD_FLOW_LEVEL']", NS)
    assert marrow.get("DataType") == "float"
    blasts = document.find(".//odm:ItemDef[@OID='IT.BASELINE.WBC_1E9_PER_L']", NS)
    unit = blasts.find("odm:MeasurementUnitRef", NS).get("MeasurementUnitOID")
    symbol = document.find(f".//odm:MeasurementUnit[@OID='{unit}']/odm:Symbol/odm:TranslatedText", NS)
    assert symbol.text == "×10⁹/L"
    sex = document.find(".//odm:ItemDef[@OID='IT.PATIENTS.SEX']/odm:CodeListRef", NS).get("CodeListOID")
    female = document.find(f".//odm:CodeList[@OID='{sex}']/odm:CodeListItem[@CodedValue='female']", NS)
    assert female.find("odm:Decode/odm:TranslatedText", NS).text == "Female"
    versions = document.find(".//odm:CodeList[@OID='CL.PATIENTS.PROTOCOL_VERSION']", NS)
    assert "amended-2017" in {i.get("CodedValue") for i in versions.findall("odm:CodeListItem", NS)}


def test_rows_written_and_read_are_counted_per_dataset(investigator_a, study):
    counts, read = {}, []
    _export(investigator_a, deidentified=False, counts=counts, progress=read.append)
    expected = {d.name: sum(1 for _ in rows(d, investigator_a, deidentified=False)) - 1 for d in odm.RECORD_DATASETS}
    assert counts == {name: n for name, n in expected.items() if n}
    assert sum(read) == sum(expected.values()) and counts["administrations"] > 2


def test_a_de_identified_file_has_no_identifier_free_text_or_subject_id_and_shifted_dates(statistician_a, study):
    data, keys = _export(statistician_a, deidentified=True)
    document = validate_odm(data)
    text = data.decode()
    for canary in ("Zelda", "Quixotic", "MRN-CANARY-1", "1930-03-01", CANARY_VERBATIM, CANARY_REASON, "SA-T1"):
        assert canary not in text
    assert document.find(".//odm:ItemDef[@OID='IT.PATIENTS.FAMILY_NAME']", NS) is None  # not in the metadata either
    assert document.find(".//odm:ItemDef[@OID='IT.ADVERSE_EVENTS.VERBATIM']", NS) is None
    pseudonym, offset = keys["SA-T1"]
    subject = document.find(f".//odm:SubjectData[@SubjectKey='{pseudonym}']", NS)
    registered = subject.find(".//odm:ItemData[@ItemOID='IT.PATIENTS.REGISTRATION_DATE']", NS).get("Value")
    assert registered == (date(2024, 1, 2) + timedelta(days=offset)).isoformat()
    age = document.find(".//odm:ItemDef[@OID='IT.PATIENTS.AGE_AT_REGISTRATION']", NS)
    assert age.get("DataType") == "text"
    assert subject.find(".//odm:ItemData[@ItemOID='IT.PATIENTS.AGE_AT_REGISTRATION']", NS).get("Value") == "90+"
    # The audit trail's times are the patient's dates too: they move by the same offset.
    (group,) = _groups(document, DATASETS["marrow_assessments"])
    changed = study["marrow"].history.order_by("-history_id").first().history_date
    stamp = group.find("odm:AuditRecord/odm:DateTimeStamp", NS).text
    assert datetime.fromisoformat(stamp) == changed + timedelta(days=offset)
    assert group.find("odm:AuditRecord/odm:ReasonForChange", NS) is None


def test_a_site_a_statistician_file_has_no_site_b_subject(statistician_a, study):
    data, keys = _export(statistician_a, deidentified=True)
    document = validate_odm(data)
    subjects = [s.get("SubjectKey") for s in document.findall(".//odm:SubjectData", NS)]
    assert subjects == [keys["SA-T1"][0], keys["SA-T2"][0]]
    assert [loc.get("OID") for loc in document.findall(".//odm:Location", NS)] == ["LOC.SA"]
    assert "SB-T" not in data.decode() and "nurse_sb" not in data.decode()


def test_a_valid_signature_appears_with_its_signature_def_and_a_void_one_does_not(investigator_a, study):
    document = validate_odm(_export(investigator_a, deidentified=False)[0])
    (ae,) = _groups(document, DATASETS["adverse_events"])
    signature = ae.find("odm:Signature", NS)
    signed = study["ae"].pk
    assert ae.get("ItemGroupRepeatKey") == str(signed)
    definition = document.find(
        f".//odm:SignatureDef[@OID='{signature.find('odm:SignatureRef', NS).get('SignatureOID')}']", NS
    )
    assert definition.get("Methodology") == "Electronic"
    assert definition.find("odm:Meaning", NS).text == SignatureMeaning.APPROVAL.label
    signer = document.find(f".//odm:User[@OID='{signature.find('odm:UserRef', NS).get('UserOID')}']", NS)
    assert signer.find("odm:LoginName", NS).text == investigator_a.username
    assert signer.find("odm:FullName", NS).text == investigator_a.signature_name
    assert signature.find("odm:LocationRef", NS).get("LocationOID") == "LOC.SA"
    # The marrow evaluation was corrected after it was signed: its signature is void and not in the file.
    (marrow,) = _groups(document, DATASETS["marrow_assessments"])
    assert marrow.find("odm:Signature", NS) is None


def test_audit_records_carry_the_latest_change_its_user_time_and_reason(investigator_a, nurse_a, study):
    document = validate_odm(_export(investigator_a, deidentified=False)[0])
    (marrow,) = _groups(document, DATASETS["marrow_assessments"])
    audit = marrow.find("odm:AuditRecord", NS)
    latest = MarrowAssessment.history.filter(id=study["marrow"].pk).order_by("-history_id").first()
    assert audit.find("odm:ReasonForChange", NS).text == CANARY_REASON
    assert datetime.fromisoformat(audit.find("odm:DateTimeStamp", NS).text) == latest.history_date
    assert audit.find("odm:SourceID", NS).text == f"{MarrowAssessment.history.model._meta.db_table}:{latest.pk}"
    user = document.find(f".//odm:User[@OID='{audit.find('odm:UserRef', NS).get('UserOID')}']", NS)
    assert user.find("odm:LoginName", NS).text == nurse_a.username
    assert marrow.find("odm:ItemData[@ItemOID='IT.MARROW_ASSESSMENTS.MARROW_BLAST_PERCENT']", NS).get("Value") == (
        "3.00"
    )
