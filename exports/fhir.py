"""The study as a FHIR R4 Bundle (type ``collection``), written entry by entry in constant memory.

Entries: the ResearchStudy (the trial, its protocol versions as arms), a Medication per drug of the trial, and for
each patient of the user's sites a Patient and a ResearchSubject; a MedicationAdministration per dose given, held or
omitted; an Observation per lab value and per marrow assessment (with its derived response); an AdverseEvent per
adverse event, its drugs as suspect entities with the investigator's attribution. Every row is read through the
export datasets (``exports.datasets``, the user's sites only) from one snapshot, and in a de-identified bundle every
value passes through ``exports.deidentify.transform``: the pseudonym for the subject, dates moved by the patient's
offset, no identifier or free text.

Every Coding uses a code system the project knows, with a code valid in it: :func:`check_codings` says which do not.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from django.utils import timezone

from adverse_events.choices import AEOutcome, Attribution, SAECriterion
from adverse_events.selectors import current_version, lab_test_options
from dosing.choices import AdministrationStatus
from patients.choices import PatientStatus
from responses.choices import MRDResult
from responses.derivations import Evaluation, outcomes
from responses.selectors import RELAPSE_KEY, ProtocolReadings
from trial.choices import ResponseCategory, Route
from trial.selectors import trial_by_nct_id

from .datasets import DATASETS, SUBJECT
from .deidentify import kept, transform
from .stream import CHUNK_ROWS, snapshot

DATASETS_READ = (
    "patients",
    "administrations",
    "lab_results",
    "marrow_assessments",
    "adverse_events",
    "ae_attributions",
)
TERMINOLOGY_FILE = Path(__file__).with_name("fhir_terminology.yaml")
FLUSH_BYTES = 64 * 1024

# The project's own code systems and identifiers are named under this base (setting FHIR_SYSTEM_BASE). It is a
# name, never fetched: keep it once bundles have left the system, or their codes no longer match.
SYSTEM_BASE = settings.FHIR_SYSTEM_BASE

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# HL7 Terminology's preferred URI for MedDRA (its NamingSystem keeps http://terminology.hl7.org/CodeSystem/mdr as
# the older, non-preferred one).
MEDDRA = "https://www.meddra.org"
UCUM = "http://unitsofmeasure.org"
NCI_THESAURUS = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
STUDY_PHASE = "http://terminology.hl7.org/CodeSystem/research-study-phase"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
CLINICALTRIALS_GOV = "https://clinicaltrials.gov"  # the identifier system of NCT numbers

DRUG_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/drug"
ROUTE_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/route"
NOT_GIVEN_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/dose-not-given"
LAB_TEST_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/lab-test"
MARROW_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/marrow-finding"
RESPONSE_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/marrow-response"
MRD_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/mrd-result"
ATTRIBUTION_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/ae-attribution"
SUBJECT_ID_SYSTEM = f"{SYSTEM_BASE}/sid/subject-id"
PSEUDONYM_SYSTEM = f"{SYSTEM_BASE}/sid/pseudonym"
MRN_SYSTEM = f"{SYSTEM_BASE}/sid/mrn"  # followed by /<site code>: an MRN is unique within its hospital
CTCAE_GRADE_EXTENSION = f"{SYSTEM_BASE}/StructureDefinition/ctcae-grade"
RESOLUTION_DATE_EXTENSION = f"{SYSTEM_BASE}/StructureDefinition/ae-resolution-date"
SAE_CRITERION_EXTENSION = f"{SYSTEM_BASE}/StructureDefinition/sae-criterion"

# CTCAE grades in the NCI Thesaurus (HL7 value set adverse-event-clinical-research-grades).
CTCAE_GRADES = {
    1: ("C41338", "Grade 1 Mild Adverse Event"),
    2: ("C41339", "Grade 2 Moderate Adverse Event"),
    3: ("C41340", "Grade 3 Severe Adverse Event"),
    4: ("C41337", "Grade 4 Life Threatening or Disabling Adverse Event"),
    5: ("C48275", "Grade 5 Death Related to Adverse Event"),
}
# Attribution in the NCI Thesaurus (HL7 value set adverse-event-clinical-research-causality-relatedness, four levels:
# probable and definite are both "Related" there; the exact level is the project's own code beside it).
RELATEDNESS = {
    Attribution.UNRELATED: ("C53256", "Not Related"),
    Attribution.UNLIKELY: ("C53257", "Unlikely Related"),
    Attribution.POSSIBLE: ("C53258", "Possibly Related"),
    Attribution.PROBABLE: ("C53260", "Related"),
    Attribution.DEFINITE: ("C53260", "Related"),
}
# SAE criteria in the NCI Thesaurus (HL7 value set adverse-event-clinical-research-seriousness-criteria).
SAE_CRITERIA = {
    SAECriterion.DEATH: ("C48275", "Results In Death"),
    SAECriterion.LIFE_THREATENING: ("C84266", "Is Life Threatening"),
    SAECriterion.HOSPITALISATION: ("C83052", "Requires Inpatient Hospitalization"),
    SAECriterion.DISABILITY: ("C11338", "Results In Persistent Or Significant Disability"),
    SAECriterion.CONGENITAL_ANOMALY: ("C83117", "Congenital Anomaly or Birth Defect"),
    SAECriterion.IMPORTANT_MEDICAL_EVENT: ("C82521", "Other Medically Important Condition"),
}
SEVERITY = {1: "mild", 2: "moderate", 3: "severe", 4: "severe", 5: "severe"}  # R4's three levels from the grade
AE_OUTCOMES = {
    AEOutcome.RECOVERED: "resolved",
    AEOutcome.RECOVERED_WITH_SEQUELAE: "resolvedWithSequelae",
    AEOutcome.RECOVERING: "recovering",
    AEOutcome.NOT_RECOVERED: "ongoing",
    AEOutcome.FATAL: "fatal",
    AEOutcome.UNKNOWN: "unknown",
}
SUBJECT_STATUS = {
    PatientStatus.SCREENING: "screening",
    PatientStatus.REGISTERED: "on-study",
    PatientStatus.SCREEN_FAILED: "ineligible",
    PatientStatus.OFF_STUDY: "off-study",
}
NOT_GIVEN = {AdministrationStatus.HELD: "Held", AdministrationStatus.OMITTED: "Omitted"}
RECORDED = (AdministrationStatus.GIVEN, *NOT_GIVEN)
# The project's units (doses, lab values, marrow counts) in UCUM; a unit not listed is written as text only.
UCUM_UNITS = {
    "mg": "mg",
    "g": "g",
    "ug/day": "ug/d",
    "%": "%",
    "10^9/L": "10*9/L",
    "10^3/uL": "10*3/uL",
    "1/uL": "/uL",
    "U/L": "U/L",
    "ukat/L": "ukat/L",
    "g/L": "g/L",
    "g/dL": "g/dL",
    "mg/dL": "mg/dL",
    "mmol/L": "mmol/L",
    "umol/L": "umol/L",
    "s": "s",
}
MARROW_FINDINGS = {
    "marrow-response": "Bone-marrow response",
    "marrow-blasts": "Bone-marrow blasts",
    "neutrophils": "Neutrophils (same day)",
    "platelets": "Platelets (same day)",
    "extramedullary-disease": "Extramedullary disease",
    "relapse": "Relapse",
    "mrd-flow": "MRD by flow cytometry",
    "mrd-ngs": "MRD by NGS",
}
RESPONSES = dict(ResponseCategory.choices)
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, SYSTEM_BASE)


@cache
def terminology() -> dict:
    """The study facts and RxNorm codes of ``fhir_terminology.yaml``."""
    return yaml.safe_load(TERMINOLOGY_FILE.read_text(encoding="utf-8"))


def _urn(kind: str, pk) -> str:
    """A stable urn:uuid for a record (the same record has the same fullUrl in every bundle)."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{pk}')}"


def _ref(kind: str, pk) -> dict:
    return {"reference": _urn(kind, pk)}


def _coding(system: str, code: str, display: str | None = None) -> dict:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _concept(*codings: dict, text: str | None = None) -> dict:
    return {"coding": list(codings), **({"text": text} if text else {})}


def _quantity(value, unit: str) -> dict:
    quantity = {"value": value}
    if unit:
        quantity["unit"] = unit
        if unit in UCUM_UNITS:
            quantity.update(system=UCUM, code=UCUM_UNITS[unit])
    return quantity


def _when(value) -> str | None:
    return value.isoformat() if isinstance(value, (date, datetime)) else None


def _json_value(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _drug_concept(code: str, name: str) -> dict:
    codings = [_coding(DRUG_SYSTEM, code, name)]
    rxnorm = terminology()["rxnorm"].get(code)
    if rxnorm:
        codings.insert(0, _coding(RXNORM, rxnorm, name))
    return _concept(*codings, text=name)


class _Reader:
    """Rows of the export datasets as dicts, de-identified when asked; counts them for ``progress``."""

    def __init__(self, user, *, deidentified: bool, keys: dict | None, progress: Callable[[int], None] | None):
        self.user, self.deidentified, self.keys, self.progress = user, deidentified, keys or {}, progress
        self.unreported = 0

    def rows(self, name: str, columns: tuple[str, ...], extra: dict[str, str] | None = None, *, narrow=None):
        """The dataset's rows with the named ``columns`` (transformed when de-identified: a column a de-identified
        file leaves out reads None) and ``extra`` record ids and coded values (name → ORM lookup) as stored.
        ``narrow`` filters or orders the dataset's queryset."""
        dataset = DATASETS[name]
        read = [dataset.column(c) for c in columns]
        subject = next(c for c in dataset.columns if c.identifying == SUBJECT)
        if subject not in read:
            read.append(subject)
        extra = extra or {}
        names = [c.name for c in read] + list(extra)
        queryset = dataset.rows(self.user)
        if narrow is not None:
            queryset = narrow(queryset)
        lookups = [c.lookup for c in read] + list(extra.values())
        for values in queryset.values_list(*lookups).iterator(chunk_size=CHUNK_ROWS):
            row = dict(zip(names, values, strict=True))
            if self.deidentified:
                key = self.keys.get(row[subject.name])
                for c in read:
                    row[c.name] = transform(c, row[c.name], key) if kept(c) else None
            self._count()
            yield row
        self.report()

    def _count(self):
        self.unreported += 1
        if self.unreported >= CHUNK_ROWS:
            self.report()

    def report(self):
        if self.progress is not None and self.unreported:
            self.progress(self.unreported)
        self.unreported = 0


def _study(trial, versions) -> dict:
    facts = terminology()["studies"][trial.nct_id]
    return {
        "resourceType": "ResearchStudy",
        "identifier": [{"system": CLINICALTRIALS_GOV, "value": trial.nct_id}],
        "title": trial.title,
        "status": facts["status"],
        "phase": _concept(_coding(STUDY_PHASE, facts["phase"])),
        "arm": [{"name": v.code, "description": v.name} for v in versions],
    }


def _medication(drug) -> dict:
    return {"resourceType": "Medication", "code": _drug_concept(drug.code, drug.name)}


def _patient_entries(reader: _Reader, study_ref: dict) -> Iterator[tuple[str, dict]]:
    columns = ("subject_id", "status", "protocol_version", "registration_date", "sex", "site")
    columns += ("given_name", "family_name", "medical_record_number", "date_of_birth")
    for row in reader.rows("patients", columns, {"pk": "pk"}):
        identifiers = []
        if reader.deidentified:
            if row["subject_id"]:
                identifiers.append({"system": PSEUDONYM_SYSTEM, "value": row["subject_id"]})
        else:
            identifiers.append({"system": SUBJECT_ID_SYSTEM, "value": row["subject_id"]})
            if row["medical_record_number"]:
                identifiers.append({
                    "type": _concept(_coding(IDENTIFIER_TYPE, "MR", "Medical record number")),
                    "system": f"{MRN_SYSTEM}/{row['site']}",
                    "value": row["medical_record_number"],
                })  # fmt: skip
        patient = {"resourceType": "Patient", "identifier": identifiers}
        if row["given_name"] or row["family_name"]:
            name = {"family": row["family_name"]} if row["family_name"] else {}
            if row["given_name"]:
                name["given"] = [row["given_name"]]
            patient["name"] = [name]
        if row["sex"]:
            patient["gender"] = row["sex"]  # female / male: FHIR's administrative-gender codes
        if row["date_of_birth"]:
            patient["birthDate"] = row["date_of_birth"].isoformat()
        yield _urn("Patient", row["pk"]), patient
        subject = {
            "resourceType": "ResearchSubject",
            "status": SUBJECT_STATUS[row["status"]],
            "study": study_ref,
            "individual": _ref("Patient", row["pk"]),
        }
        if row["registration_date"]:
            subject["period"] = {"start": row["registration_date"].isoformat()}
        if row["protocol_version"]:
            subject["assignedArm"] = row["protocol_version"]
        yield _urn("ResearchSubject", row["pk"]), subject


def _administration_entries(reader: _Reader) -> Iterator[tuple[str, dict]]:
    columns = ("drug", "status", "given_at", "planned_date", "day", "dose_given", "dose_unit", "route", "route_given")
    columns += ("deviation_reason",)
    extra = {"pk": "pk", "patient": "course__patient_id", "drug_name": "drug__name", "course": "course__course_number"}
    routes = dict(Route.choices)
    for row in reader.rows("administrations", columns, extra):
        if row["status"] not in RECORDED:
            continue  # a planned dose not yet recorded (read all the same: a job's total counts every row)
        given = row["status"] == AdministrationStatus.GIVEN
        route = row["route_given"] or row["route"]
        dosage = {
            "text": f"Course {row['course']}, day {row['day']}",
            "route": _concept(_coding(ROUTE_SYSTEM, route, routes[route]), text=routes[route]),
        }
        if given and row["dose_given"] is not None:
            # A continuous infusion's dose is a rate (µg/day); any other dose is an amount.
            field = "rateQuantity" if row["dose_unit"] == "ug/day" else "dose"
            dosage[field] = _quantity(row["dose_given"], row["dose_unit"])
        resource = {
            "resourceType": "MedicationAdministration",
            "status": "completed" if given else "not-done",
            "medicationCodeableConcept": _drug_concept(row["drug"], row["drug_name"]),
            "subject": _ref("Patient", row["patient"]),
            "effectiveDateTime": _when(row["given_at"] if given else row["planned_date"]),
            "dosage": dosage,
        }
        if not given:
            label = NOT_GIVEN[row["status"]]
            resource["statusReason"] = [
                _concept(_coding(NOT_GIVEN_SYSTEM, row["status"], label), text=row["deviation_reason"] or label)
            ]
        elif row["deviation_reason"]:
            resource["note"] = [{"text": row["deviation_reason"]}]
        yield _urn("MedicationAdministration", row["pk"]), resource


def _lab_entries(reader: _Reader) -> Iterator[tuple[str, dict]]:
    names = {option.code: option.name for option in lab_test_options()}
    columns = ("lab_test", "collected_on", "value", "unit", "lower_limit_normal", "upper_limit_normal")
    for row in reader.rows("lab_results", columns, {"pk": "pk", "patient": "patient_id"}):
        name = names.get(row["lab_test"], row["lab_test"])
        resource = {
            "resourceType": "Observation",
            "status": "final",
            "category": [_concept(_coding(OBSERVATION_CATEGORY, "laboratory", "Laboratory"))],
            "code": _concept(_coding(LAB_TEST_SYSTEM, row["lab_test"], name), text=name),
            "subject": _ref("Patient", row["patient"]),
            "effectiveDateTime": _when(row["collected_on"]),
            "valueQuantity": _quantity(row["value"], row["unit"]),
        }
        normal = {}
        if row["lower_limit_normal"] is not None:
            normal["low"] = _quantity(row["lower_limit_normal"], row["unit"])
        if row["upper_limit_normal"] is not None:
            normal["high"] = _quantity(row["upper_limit_normal"], row["unit"])
        if normal:
            resource["referenceRange"] = [normal]
        yield _urn("Observation/lab", row["pk"]), resource


def _finding(code: str) -> dict:
    return _concept(_coding(MARROW_SYSTEM, code, MARROW_FINDINGS[code]), text=MARROW_FINDINGS[code])


def _mrd(code: str, result: str) -> dict:
    label = dict(MRDResult.choices)[result]
    return {"code": _finding(code), "valueCodeableConcept": _concept(_coding(MRD_SYSTEM, result, label), text=label)}


def _marrow_entries(reader: _Reader) -> Iterator[tuple[str, dict]]:
    """One Observation per marrow assessment, its value the response derived by the patient's protocol version's
    rules over the patient's assessments so far (read one patient at a time, in date order)."""
    columns = ("assessed_on", "marrow_blast_percent", "blasts_due_to_recovery", "extramedullary_disease")
    columns += ("neutrophils_1e9_per_l", "platelets_1e9_per_l", "mrd_flow", "mrd_ngs")
    extra = {"pk": "pk", "patient": "patient_id", "version": "patient__protocol_version_id"}
    rows = reader.rows(
        "marrow_assessments", columns, extra, narrow=lambda q: q.order_by("patient_id", "assessed_on", "pk")
    )
    readings = ProtocolReadings()
    for (patient, version), group in itertools.groupby(rows, key=lambda r: (r["patient"], r["version"])):
        group = list(group)  # one patient's marrow assessments
        by_key = {r["pk"]: r for r in group}
        evaluations = [
            Evaluation(
                assessed_on=r["assessed_on"], blasts=r["marrow_blast_percent"], neutrophils=r["neutrophils_1e9_per_l"],
                platelets=r["platelets_1e9_per_l"], extramedullary=r["extramedullary_disease"],
                blasts_due_to_recovery=r["blasts_due_to_recovery"], mrd_flow=r["mrd_flow"], key=r["pk"],
            )
            for r in group
        ]  # fmt: skip
        history = outcomes(evaluations, readings.rules(version), readings.parameter(version, RELAPSE_KEY))
        for outcome in history:
            row = by_key[outcome.evaluation.key]
            label = RESPONSES[outcome.category]
            components = [
                {"code": _finding("marrow-blasts"), "valueQuantity": _quantity(row["marrow_blast_percent"], "%")},
                {"code": _finding("neutrophils"), "valueQuantity": _quantity(row["neutrophils_1e9_per_l"], "10^9/L")},
                {"code": _finding("platelets"), "valueQuantity": _quantity(row["platelets_1e9_per_l"], "10^9/L")},
                {"code": _finding("extramedullary-disease"), "valueBoolean": row["extramedullary_disease"]},
                {"code": _finding("relapse"), "valueBoolean": outcome.relapse},
                _mrd("mrd-flow", row["mrd_flow"]),
                _mrd("mrd-ngs", row["mrd_ngs"]),
            ]
            resource = {
                "resourceType": "Observation",
                "status": "final",
                "code": _finding("marrow-response"),
                "subject": _ref("Patient", patient),
                "effectiveDateTime": _when(row["assessed_on"]),
                "valueCodeableConcept": _concept(_coding(RESPONSE_SYSTEM, outcome.category, label), text=label),
                "component": components,
            }
            yield _urn("Observation/marrow", row["pk"]), resource


def _attributions(reader: _Reader) -> Iterator[dict]:
    extra = {"event": "adverse_event_id", "drug_pk": "drug_id"}
    narrow = lambda q: q.order_by("adverse_event_id", "pk")  # noqa: E731 (the events' order, for the merge)
    return reader.rows("ae_attributions", ("attribution",), extra, narrow=narrow)


def _adverse_event_entries(reader: _Reader, study_ref: dict) -> Iterator[tuple[str, dict]]:
    """AdverseEvents in record order, each with its attributions, read alongside in the same order (a merge: no
    event's attributions are held longer than the event)."""
    columns = ("grade", "verbatim", "onset_date", "resolution_date", "serious", "sae_criteria", "outcome")
    extra = {"pk": "pk", "patient": "patient_id", "meddra": "term__meddra_code", "term": "term__term"}
    attributions = _attributions(reader)
    pending = next(attributions, None)
    for row in reader.rows("adverse_events", columns, extra, narrow=lambda q: q.order_by("pk")):
        grade_code, grade_label = CTCAE_GRADES[row["grade"]]
        extensions = [
            {"url": CTCAE_GRADE_EXTENSION, "valueCodeableConcept": _concept(_coding(NCI_THESAURUS, grade_code,
                                                                                     grade_label))},
        ]  # fmt: skip
        if row["resolution_date"]:
            extensions.append({"url": RESOLUTION_DATE_EXTENSION, "valueDateTime": _when(row["resolution_date"])})
        for criterion in row["sae_criteria"] or ():
            code, label = SAE_CRITERIA[criterion]
            extensions.append({"url": SAE_CRITERION_EXTENSION, "valueCodeableConcept": _concept(
                _coding(NCI_THESAURUS, code, label))})  # fmt: skip
        seriousness = "serious" if row["serious"] else "non-serious"
        resource = {
            "resourceType": "AdverseEvent",
            "extension": extensions,
            "actuality": "actual",
            "event": _concept(_coding(MEDDRA, row["meddra"], row["term"]), text=row["verbatim"] or row["term"]),
            "subject": _ref("Patient", row["patient"]),
            "date": _when(row["onset_date"]),
            "seriousness": _concept(_coding(AE_SERIOUSNESS, seriousness, seriousness.capitalize())),
            "severity": _concept(_coding(AE_SEVERITY, SEVERITY[row["grade"]], SEVERITY[row["grade"]].capitalize())),
            "study": [study_ref],
        }
        if row["outcome"]:
            resource["outcome"] = _concept(_coding(AE_OUTCOME, AE_OUTCOMES[row["outcome"]]))
        suspects = []
        while pending is not None and pending["event"] <= row["pk"]:
            if pending["event"] == row["pk"]:
                code, label = RELATEDNESS[pending["attribution"]]
                assessment = _concept(
                    _coding(ATTRIBUTION_SYSTEM, pending["attribution"], Attribution(pending["attribution"]).label),
                    _coding(NCI_THESAURUS, code, label),
                    text=Attribution(pending["attribution"]).label,
                )
                suspects.append({
                    "instance": _ref("Medication", pending["drug_pk"]), "causality": [{"assessment": assessment}],
                })  # fmt: skip
            pending = next(attributions, None)
        if suspects:
            resource["suspectEntity"] = suspects
        yield _urn("AdverseEvent", row["pk"]), resource
    for _ in attributions:  # none is left (both reads cover the same events); finishing it reports its rows
        pass


def fhir_bundle_chunks(
    user, *, study: str, deidentified: bool, keys: dict | None, progress=None, counts: dict | None = None
) -> Iterator[bytes]:
    """The FHIR R4 Bundle of the user's sites as UTF-8 JSON chunks, read from one snapshot.

    ``keys`` is subject id → (pseudonym, offset days) when ``deidentified``; ``progress(n)`` is told the source rows
    read since its last call; ``counts`` gets the resources written per resource type."""
    counts = counts if counts is not None else {}
    reader = _Reader(user, deidentified=deidentified, keys=keys, progress=progress)
    with snapshot():
        trial = trial_by_nct_id(study)
        versions = list(trial.protocol_versions.order_by("effective_date", "code"))
        drugs = list(trial.drugs.order_by("code"))
        study_ref = _ref("ResearchStudy", trial.pk)

        def entries():
            yield _urn("ResearchStudy", trial.pk), _study(trial, versions)
            for drug in drugs:
                yield _urn("Medication", drug.pk), _medication(drug)
            yield from _patient_entries(reader, study_ref)
            yield from _administration_entries(reader)
            yield from _lab_entries(reader)
            yield from _marrow_entries(reader)
            yield from _adverse_event_entries(reader, study_ref)

        opening = {"resourceType": "Bundle", "type": "collection", "timestamp": timezone.now().isoformat()}
        buffer = [json.dumps(opening)[:-1].encode() + b', "entry": [']
        size, separator = len(buffer[0]), b""
        for full_url, resource in entries():
            entry = json.dumps({"fullUrl": full_url, "resource": resource}, ensure_ascii=False, default=_json_value)
            data = separator + entry.encode()
            separator = b",\n"
            buffer.append(data)
            size += len(data)
            counts[resource["resourceType"]] = counts.get(resource["resourceType"], 0) + 1
            if size >= FLUSH_BYTES:
                yield b"".join(buffer)
                buffer, size = [], 0
    buffer.append(b"]}\n")
    yield b"".join(buffer)


def code_systems(trial) -> dict[str, tuple[str, frozenset[str]]]:
    """Each code system a bundle of ``trial`` may use → (what it is, the codes valid in it as far as this project
    knows)."""
    ctcae = current_version()
    meddra = ctcae.terms.values_list("meddra_code", flat=True) if ctcae else ()
    return {
        MEDDRA: (f"MedDRA codes of the {ctcae} terms", frozenset(meddra)),
        RXNORM: ("RxNorm codes of fhir_terminology.yaml", frozenset(terminology()["rxnorm"].values())),
        UCUM: ("UCUM units the export writes", frozenset(UCUM_UNITS.values())),
        NCI_THESAURUS: (
            "NCI Thesaurus codes of the CTCAE grades, attributions and SAE criteria",
            frozenset(c for c, _ in [*CTCAE_GRADES.values(), *RELATEDNESS.values(), *SAE_CRITERIA.values()]),
        ),
        IDENTIFIER_TYPE: ("HL7 v2 identifier types", frozenset({"MR"})),
        STUDY_PHASE: (
            "research-study phases",
            frozenset(
                {
                    "n-a",
                    "early-phase-1",
                    "phase-1",
                    "phase-1-phase-2",
                    "phase-2",
                    "phase-2-phase-3",
                    "phase-3",
                    "phase-4",
                }
            ),
        ),
        OBSERVATION_CATEGORY: ("observation categories", frozenset({"laboratory"})),
        AE_SERIOUSNESS: ("adverse-event seriousness", frozenset({"serious", "non-serious"})),
        AE_SEVERITY: ("adverse-event severity", frozenset({"mild", "moderate", "severe"})),
        AE_OUTCOME: ("adverse-event outcomes", frozenset(AE_OUTCOMES.values())),
        DRUG_SYSTEM: ("the trial's drug codes", frozenset(trial.drugs.values_list("code", flat=True))),
        ROUTE_SYSTEM: ("routes of administration", frozenset(Route.values)),
        NOT_GIVEN_SYSTEM: ("why a dose was not given", frozenset(NOT_GIVEN)),
        LAB_TEST_SYSTEM: ("the lab tests a nurse records", frozenset(option.code for option in lab_test_options())),
        MARROW_SYSTEM: ("marrow findings", frozenset(MARROW_FINDINGS)),
        RESPONSE_SYSTEM: ("marrow responses", frozenset(RESPONSES)),
        MRD_SYSTEM: ("MRD results", frozenset(MRDResult.values)),
        ATTRIBUTION_SYSTEM: ("AE attribution to a drug", frozenset(Attribution.values)),
    }


def _codings(node, path: str) -> Iterator[tuple[str, dict]]:
    """Every Coding (and coded Quantity) in a parsed resource, with where it is."""
    if isinstance(node, dict):
        if "system" in node and "code" in node:
            yield path, node
        for name, value in node.items():
            yield from _codings(value, f"{path}.{name}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _codings(value, f"{path}[{i}]")


def check_codings(bundle: dict) -> list[str]:
    """The problems of the bundle's codes: a Coding in a code system the project does not know, or with a code not
    valid in it (an empty list when there are none). The trial is the one the bundle's ResearchStudy names."""
    studies = [e["resource"] for e in bundle.get("entry", ()) if e["resource"]["resourceType"] == "ResearchStudy"]
    nct_ids = [
        i["value"] for study in studies for i in study.get("identifier", ()) if i["system"] == CLINICALTRIALS_GOV
    ]
    systems = code_systems(trial_by_nct_id(nct_ids[0] if nct_ids else None))
    problems = []
    for path, coding in _codings(bundle, "Bundle"):
        system, code = coding["system"], coding["code"]
        if system not in systems:
            problems.append(f"{path}: code system {system!r} is not one the project knows")
        elif code not in systems[system][1]:
            problems.append(f"{path}: {code!r} is not among the {systems[system][0]} ({system})")
    return problems
