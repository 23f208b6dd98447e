"""SDTM export: XPT and Dataset-JSON read back equal to the records, SDTMIG names and labels, de-identified
without identifiers or free text, the user's sites only, and validated by CDISC CORE."""

import io
import json
import tempfile
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pyreadstat
import pytest
from django.utils import timezone

from adverse_events.choices import Attribution
from adverse_events.models import AdverseEvent, CTCAETerm, LabResult
from adverse_events.selectors import received_study_drugs
from adverse_events.services import adverse_event_report, lab_result_record
from core.audit.writes import audited_update
from dosing.choices import AdministrationStatus
from dosing.derivations.calendar import is_recorded_one_by_one
from dosing.models import PlannedAdministration
from dosing.services import course_start, dose_record
from exports.models import SubjectKey
from exports.sdtm import DATASETS_READ, DOMAINS, sdtm_zip_chunks
from exports.tests.sdtm_checks import (
    ISSUE,
    accepted_findings,
    check_define_xml,
    check_sdtm_with_core,
    core_python,
    dataset_json_schema,
    export_sdtm,
    run_core,
)
from patients.models import Consent, Patient
from patients.services.outcomes import death_record, off_study_record
from patients.services.registration import consent_record
from responses.services import assessment_record

pytestmark = pytest.mark.django_db

VERBATIM = "Nausea after lunch with Mrs Canary-Verbatim"
STUDY = "NCT01371630"


def _enter(nurse, patient, *, died: bool):
    """Consent, one course with its doses given as planned, a marrow in CR, then death from SOS or off study."""
    registered = patient.registration_date
    consent_record(actor=nurse, patient=patient, consent_date=registered - timedelta(days=5), form_version="v1")
    course = course_start(actor=nurse, patient=patient, start_date=registered + timedelta(days=8),
                          height_cm=Decimal(170), weight_kg=Decimal(70), inotuzumab_dose_level="higher")  # fmt: skip
    for administration in course.administrations.filter(status=AdministrationStatus.PENDING):
        if is_recorded_one_by_one(administration):
            dose_record(
                actor=nurse, administration=administration, status=AdministrationStatus.GIVEN,
                given_at=timezone.make_aware(datetime.combine(administration.planned_date, time(10))),
                dose_given=administration.planned_dose,
            )  # fmt: skip
    assessment_record(
        actor=nurse, patient=patient, assessed_on=course.start_date + timedelta(days=21), after_course=course,
        marrow_blast_percent=Decimal(2), neutrophils_1e9_per_l=Decimal("1.5"), platelets_1e9_per_l=Decimal(150),
    )  # fmt: skip
    if died:
        death = death_record(actor=nurse, patient=patient, death_date=course.start_date + timedelta(days=40),
                             cause="sos")  # fmt: skip
        onset = death.death_date - timedelta(days=10)
        adverse_event_report(
            actor=nurse, patient=patient, term=CTCAETerm.objects.get(term="Sinusoidal obstruction syndrome"),
            grade=5, onset_date=onset, serious=True, sae_criteria=["death"], action_taken="not_applicable",
            sae_aware_at=timezone.make_aware(datetime.combine(onset, time(9))), outcome="fatal",
            attributions={d.code: Attribution.PROBABLE for d in received_study_drugs(patient)},
        )  # fmt: skip
    else:
        off_study_record(actor=nurse, patient=patient, off_study_date=course.start_date + timedelta(days=60),
                         reason="completed")  # fmt: skip


@pytest.fixture
def study(make_patient, nurse_a, nurse_b, site_b):
    """Two patients at site A (one died of SOS, one went off study alive; the second is 93, with an AE in free
    text and a lab value) and one at site B."""
    a1 = make_patient("original")
    _enter(nurse_a, a1, died=True)
    a2 = make_patient("original")
    born = a2.registration_date.replace(year=a2.registration_date.year - 93)
    audited_update(a2, actor=nurse_a, date_of_birth=born, family_name="Quixotic", given_name="Zelda")
    _enter(nurse_a, a2, died=False)
    onset = a2.registration_date + timedelta(days=10)
    adverse_event_report(
        actor=nurse_a, patient=a2, term=CTCAETerm.objects.get(term="Nausea"), grade=2, onset_date=onset,
        verbatim=VERBATIM, outcome="recovered", resolution_date=onset + timedelta(days=2), action_taken="none",
        attributions={d.code: Attribution.POSSIBLE for d in received_study_drugs(a2)},
    )  # fmt: skip
    lab_result_record(
        actor=nurse_a, patient=a2, lab_test="potassium", collected_on=onset, value=Decimal("2.9"), unit="mmol/L",
        lower_limit_normal=Decimal("3.5"), upper_limit_normal=Decimal("5.1"),
    )  # fmt: skip
    b1 = make_patient("original", nurse=nurse_b, site=site_b)
    _enter(nurse_b, b1, died=False)
    for patient in (a1, a2, b1):
        patient.refresh_from_db()
    return {"A1": a1, "A2": a2, "B1": b1}


def _read(files: dict[str, bytes], name: str):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.xpt"
        path.write_bytes(files[f"{name}.xpt"])
        frame, meta = pyreadstat.read_xport(str(path))
    return frame, meta, json.loads(files[f"{name}.json"])


def _json_frame(document) -> pd.DataFrame:
    return pd.DataFrame(document["rows"], columns=[c["name"] for c in document["columns"]])


def test_xpt_and_dataset_json_read_back_equal_to_the_study(investigator_a, study):
    files, counts = export_sdtm(investigator_a, deidentified=False)
    a1, a2 = study["A1"], study["A2"]
    dm, _, dm_json = _read(files, "dm")
    assert sorted(dm["SUBJID"]) == sorted([a1.subject_id, a2.subject_id])  # site B's patient is not there
    assert list(dm["USUBJID"]) == [f"{STUDY}-{s}" for s in sorted([a1.subject_id, a2.subject_id])]
    row = dm.set_index("SUBJID").loc[a1.subject_id]
    assert row["DTHDTC"] == a1.death.death_date.isoformat() and row["DTHFL"] == "Y"
    assert row["RFICDTC"] == Consent.objects.get(patient=a1).consent_date.isoformat()
    assert row["ARMCD"] == "ORIGINAL" and row["SITEID"] == a1.site.code
    given = PlannedAdministration.objects.filter(course__patient=a1, status=AdministrationStatus.GIVEN)
    first = min(given.values_list("given_at", flat=True))
    assert row["RFSTDTC"].startswith(first.date().isoformat())

    ex, _, _ = _read(files, "ex")
    assert (
        counts["EX"]
        == len(ex)
        == PlannedAdministration.objects.filter(course__patient__in=[a1, a2], status=AdministrationStatus.GIVEN).count()
    )
    a1_ex = ex[ex["USUBJID"] == f"{STUDY}-{a1.subject_id}"]
    assert list(a1_ex["EXSEQ"]) == list(range(1, len(a1_ex) + 1))
    assert sorted(a1_ex["EXDOSE"]) == sorted(float(d) for d in given.values_list("dose_given", flat=True))
    assert a1_ex["EXSTDY"].iloc[0] == 1

    ae, _, _ = _read(files, "ae")
    nausea = ae[ae["AEDECOD"] == "Nausea"].iloc[0]
    assert (nausea["AETERM"], nausea["AETOXGR"], nausea["AEREL"]) == (VERBATIM, "2", "POSSIBLY RELATED")
    sos = ae[ae["USUBJID"] == f"{STUDY}-{a1.subject_id}"].iloc[0]
    assert (sos["AESER"], sos["AESDTH"], sos["AEOUT"]) == ("Y", "Y", "FATAL")
    assert sos["AEENDTC"] == a1.death.death_date.isoformat()  # a fatal event ends with the death
    suppae, _, _ = _read(files, "suppae")
    assert set(suppae["QNAM"]) <= {f"AEREL{i}" for i in range(1, 10)} and len(suppae) >= 2

    lb, _, _ = _read(files, "lb")
    (potassium,) = lb.to_dict("records")
    value = LabResult.objects.get(patient=a2)
    assert (potassium["LBTESTCD"], potassium["LBORRES"], potassium["LBSTRESN"]) == ("K", "2.9", 2.9)
    assert (potassium["LBNRIND"], potassium["LBDTC"]) == ("LOW", value.collected_on.isoformat())

    rs, _, _ = _read(files, "rs")
    assert set(rs["RSTESTCD"]) == {"OVRLRESP"} and len(rs) == a1.marrow_assessments.count() + (
        a2.marrow_assessments.count()
    )
    assert "suppdm.xpt" not in files and "define.xml" in files  # an empty domain is left out

    for name in ("dm", "ex", "ae", "suppae", "rs", "ds", "lb"):
        frame, _, document = _read(files, name)
        from_json = _json_frame(document)
        assert document["records"] == len(frame) == len(from_json)
        for column in frame.columns:
            expected = frame[column].where(frame[column] != "", None).tolist()
            got = from_json[column].tolist()
            assert [None if pd.isna(x) else x for x in expected] == [None if pd.isna(x) else x for x in got], column


def test_variables_have_sdtmig_names_labels_types_and_lengths(investigator_a, study):
    files, _ = export_sdtm(investigator_a, deidentified=False)
    for name in ("dm", "ex", "ae", "rs", "ds", "lb", "suppae"):
        domain = DOMAINS[name.upper()]
        frame, meta, document = _read(files, name)
        assert (meta.table_name, meta.file_label) == (domain.name, domain.label)
        assert list(frame.columns) == [v.name for v in domain.variables]
        assert meta.column_names_to_labels == {v.name: v.label for v in domain.variables}
        for v, column in zip(domain.variables, document["columns"], strict=True):
            assert len(v.name) <= 8 and v.name.isupper() and len(v.label) <= 40
            assert column["itemOID"] == f"IT.{domain.name}.{v.name}"
            if v.type == "Char":
                assert meta.readstat_variable_types[v.name] == "string"
                assert column["dataType"] == "string"
                assert column["length"] == meta.variable_storage_width[v.name] <= 200
            else:
                assert meta.readstat_variable_types[v.name] == "double"
                assert column["dataType"] in ("integer", "double")
    labels = {v.name: v.label for d in DOMAINS.values() for v in d.variables}
    assert labels["USUBJID"] == "Unique Subject Identifier"
    assert labels["AEDECOD"] == "Dictionary-Derived Term"
    assert labels["RFSTDTC"] == "Subject Reference Start Date/Time"
    assert labels["LBSTRESN"] == "Numeric Result/Finding in Standard Units"
    assert set(DATASETS_READ) >= {"patients", "administrations", "adverse_events", "lab_results"}


def test_dataset_json_and_define_xml_follow_their_schemas(investigator_a, study):
    import jsonschema

    python = core_python()
    schema = dataset_json_schema(python)
    files, _ = export_sdtm(investigator_a, deidentified=False)
    check_define_xml(python, files["define.xml"])
    define = ElementTree.fromstring(files["define.xml"])
    groups = define.findall(".//{http://www.cdisc.org/ns/odm/v1.3}ItemGroupDef")
    assert sorted(g.get("Name") for g in groups) == sorted(n[:-4].upper() for n in files if n.endswith(".xpt"))
    lengths = {i.get("OID"): i.get("Length") for i in define.iter("{http://www.cdisc.org/ns/odm/v1.3}ItemDef")}
    _, meta, _ = _read(files, "ae")
    assert lengths["IT.AE.AETERM"] == str(meta.variable_storage_width["AETERM"])
    with pytest.raises(AssertionError, match="Context"):
        check_define_xml(python, files["define.xml"].replace(b' def:Context="Submission"', b""))
    documents = [json.loads(data) for name, data in files.items() if name.endswith(".json")]
    assert len(documents) == 7
    for document in documents:
        jsonschema.validate(document, schema)
        assert document["datasetJSONVersion"] == "1.1.0" and document["itemGroupOID"] == f"IG.{document['name']}"


def test_de_identified_export_has_pseudonyms_shifted_dates_and_no_free_text(statistician_a, study):
    files, _ = export_sdtm(statistician_a)  # a statistician may not see PHI: de-identified
    a1, a2 = study["A1"], study["A2"]
    keys = {k.patient_id: k for k in SubjectKey.objects.filter(patient__in=[a1, a2])}
    text = b"".join(files.values()).decode("latin-1")
    for patient in Patient.objects.all():
        where = text.find(patient.subject_id)
        assert where == -1, text[where - 200 : where + 50]
    assert [w for w in (VERBATIM, "Quixotic", "Zelda") if w in text] == []

    dm, _, _ = _read(files, "dm")
    rows = dm.set_index("SUBJID")
    one = rows.loc[keys[a1.pk].pseudonym]
    assert one["USUBJID"] == f"{STUDY}-{keys[a1.pk].pseudonym}"
    shifted = a1.death.death_date + timedelta(days=keys[a1.pk].date_offset_days)
    assert one["DTHDTC"] == shifted.isoformat()
    old = rows.loc[keys[a2.pk].pseudonym]
    assert old["AGE"] == 90  # 93: Safe Harbor
    suppdm, _, _ = _read(files, "suppdm")
    assert suppdm[["USUBJID", "QNAM", "QVAL"]].values.tolist() == [[old["USUBJID"], "AGEGE90", "Y"]]

    ae, _, _ = _read(files, "ae")
    nausea = ae[ae["AEDECOD"] == "Nausea"].iloc[0]
    assert nausea["AETERM"] == "Nausea"  # the coded term, not the verbatim
    onset = AdverseEvent.objects.get(patient=a2, verbatim=VERBATIM).onset_date
    assert nausea["AESTDTC"] == (onset + timedelta(days=keys[a2.pk].date_offset_days)).isoformat()
    identified, _ = export_sdtm(statistician_a, deidentified=False)
    same = _read(identified, "ae")[0]
    assert same[same["AEDECOD"] == "Nausea"].iloc[0]["AESTDY"] == nausea["AESTDY"]  # intervals stay true
    ex, _, _ = _read(files, "ex")
    assert set(ex["EXADJ"]) <= {""}


def test_a_site_a_user_gets_only_site_a_subjects(statistician_a, study):
    files, counts = export_sdtm(statistician_a)
    keys = dict(SubjectKey.objects.values_list("patient_id", "pseudonym"))
    expected = {f"{STUDY}-{keys[study[p].pk]}" for p in ("A1", "A2")}
    assert counts["DM"] == 2
    for name in files:
        if name.endswith(".xpt"):
            frame, _, _ = _read(files, name[:-4])
            assert set(frame["USUBJID"]) <= expected, name
    assert study["B1"].pk not in keys


def test_cdisc_core_finds_nothing_undocumented(statistician_a, investigator_a, study):
    report = check_sdtm_with_core(statistician_a)
    assert report["rules_run"] > 400
    check_sdtm_with_core(investigator_a, deidentified=False)


def test_cdisc_core_reports_a_bad_value_and_the_check_reads_its_accepted_list_from_the_docs(tmp_path):
    python = core_python()
    bad = pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["AE"], "USUBJID": ["S-1"], "AESEQ": [1.0],
                        "AETERM": ["Nausea"], "AEDECOD": ["Nausea"], "AESLIFE": ["Maybe"]})  # fmt: skip
    pyreadstat.write_xport(bad, str(tmp_path / "ae.xpt"), table_name="AE", file_label="Adverse Events",
                           file_format_version=5)  # fmt: skip
    report = run_core(python, tmp_path)
    found = {(r["rule"], r["dataset"]) for r in report["results"] if r["status"] == ISSUE}
    assert ("CORE-000128", "AE") in found  # AESLIFE is not Y or N
    assert ("CORE-000128", "AE") not in accepted_findings()
    assert {("CORE-000767", "AE"), ("CORE-000767", "DS"), ("CORE-000717", "AE")} <= accepted_findings()


def test_the_zip_streams_with_progress_and_counts(investigator_a, study):
    seen, counts = [], {}
    chunks = sdtm_zip_chunks(investigator_a, study=STUDY, deidentified=False, keys=None, progress=seen.append,
                             counts=counts)  # fmt: skip
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert set(counts) == set(DOMAINS) and counts["SUPPDM"] == 0 and counts["DM"] == 2
    written = {n[:-4].upper() for n in archive.namelist() if n.endswith(".xpt")}
    assert written == {name for name, n in counts.items() if n}
    assert all(n > 0 for n in seen)
    assert sum(seen) >= counts["DM"] + counts["EX"] + counts["AE"] + counts["LB"] + counts["RS"]


def test_study_days_count_from_the_reference_start():
    from exports.sdtm.domains import study_day

    start = date(2024, 1, 10)
    assert [study_day(start + timedelta(days=d), start) for d in (-2, -1, 0, 1)] == [-2, -1, 1, 2]
