"""The SDTM domains (SDTMIG 3.4) made from the study's records: DM, EX, AE, RS, DS, LB and the SUPPQUAL datasets
they need (SUPPDM, SUPPAE).

Every record is read through :data:`exports.datasets.DATASETS` (``Dataset.rows(user)``: the user's sites only). In
a de-identified export subject ids and dates pass :func:`exports.deidentify.transform` with the dataset column they
came from: subject ids become pseudonyms, dates move by the patient's offset. Study days (``--DY``) are counted from
the true dates, so they are the same in both modes. An age of 90 or more is AGE = 90 (AGE is numeric) with SUPPDM
``AGEGE90`` = ``Y``. Free text (a verbatim term, a deviation reason) is written only in an identified export; a
de-identified AE keeps its coded CTCAE term in AETERM, so AETERM stays populated.

A domain is a list of records (dicts of SDTM variable → value) held in memory, one domain at a time: the SAS
transport writer needs the whole dataset as one data frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from adverse_events.choices import ActionTaken, AEOutcome, Attribution, SAECriterion
from adverse_events.selectors import lab_analyte_names
from dosing.choices import AdministrationStatus
from patients.choices import OffStudyReason, PatientStatus
from responses.selectors import ProtocolReadings, history_of, with_assessments
from trial.choices import ResponseCategory, Route
from trial.selectors import drug_names

from ..datasets import DATASETS
from ..deidentify import AGE_CEILING, transform

CHAR, NUM = "Char", "Num"
READ_CHUNK = 2000  # rows fetched at a time, and reported to ``progress``
MAX_TEXT = 200  # SAS transport v5 character limit; longer text continues in SUPPQUAL (SDTMIG 4.5.3.2)
# The system keeps no country per site; the trial is run at one institution in the United States (PROTOCOL.md §1).
COUNTRY = "USA"

DATASETS_READ = (
    "patients", "consents", "administrations", "adverse_events", "ae_attributions", "marrow_assessments",
    "off_study", "deaths", "lab_results", "follow_ups",
)  # fmt: skip
# The dates whose latest, with the last exposure, is a patient's end of participation (RFPENDTC).
PARTICIPATION_DATES = (
    ("consents", "consent_date"), ("adverse_events", "onset_date"), ("adverse_events", "resolution_date"),
    ("marrow_assessments", "assessed_on"), ("off_study", "off_study_date"), ("deaths", "death_date"),
    ("lab_results", "collected_on"), ("follow_ups", "contact_date"),
)  # fmt: skip
SCREENING, TREATMENT, FOLLOW_UP = "SCREENING", "TREATMENT", "FOLLOW-UP"


@dataclass(frozen=True)
class Variable:
    """An SDTM variable: name, label (≤ 40 characters), type, and the role of a key variable (its order)."""

    name: str
    label: str
    type: str = CHAR
    key: int | None = None
    integer: bool = True  # a Num variable that only holds whole numbers


@dataclass(frozen=True)
class Domain:
    name: str
    label: str
    variables: tuple[Variable, ...]
    structure: str = ""


def _v(name, label, type_=CHAR, key=None, integer=True):
    return Variable(name, label, type_, key, integer)


SUPP_VARIABLES = (
    _v("STUDYID", "Study Identifier", key=1),
    _v("RDOMAIN", "Related Domain Abbreviation", key=2),
    _v("USUBJID", "Unique Subject Identifier", key=3),
    _v("IDVAR", "Identifying Variable", key=4),
    _v("IDVARVAL", "Identifying Variable Value", key=5),
    _v("QNAM", "Qualifier Variable Name", key=6),
    _v("QLABEL", "Qualifier Variable Label"),
    _v("QVAL", "Data Value"),
    _v("QORIG", "Origin"),
    _v("QEVAL", "Evaluator"),
)

# The identifier variables every domain starts with (SDTMIG 3.4 §4.1.2).
IDENTIFIERS = (
    _v("STUDYID", "Study Identifier", key=1),
    _v("DOMAIN", "Domain Abbreviation"),
    _v("USUBJID", "Unique Subject Identifier", key=2),
)

DM = Domain("DM", "Demographics", (
    *IDENTIFIERS,
    _v("SUBJID", "Subject Identifier for the Study"),
    _v("RFSTDTC", "Subject Reference Start Date/Time"),
    _v("RFENDTC", "Subject Reference End Date/Time"),
    _v("RFXSTDTC", "Date/Time of First Study Treatment"),
    _v("RFXENDTC", "Date/Time of Last Study Treatment"),
    _v("RFICDTC", "Date/Time of Informed Consent"),
    _v("RFPENDTC", "Date/Time of End of Participation"),
    _v("DTHDTC", "Date/Time of Death"),
    _v("DTHFL", "Subject Death Flag"),
    _v("SITEID", "Study Site Identifier"),
    _v("AGE", "Age", NUM),
    _v("AGEU", "Age Units"),
    _v("SEX", "Sex"),
    _v("ARMCD", "Planned Arm Code"),
    _v("ARM", "Description of Planned Arm"),
    _v("ACTARMCD", "Actual Arm Code"),
    _v("ACTARM", "Description of Actual Arm"),
    _v("ARMNRS", "Reason Arm and/or Actual Arm is Null"),
    _v("COUNTRY", "Country"),
), "One record per subject")  # fmt: skip

EX = Domain("EX", "Exposure", (
    *IDENTIFIERS,
    _v("EXSEQ", "Sequence Number", NUM),
    _v("EXTRT", "Name of Treatment", key=3),
    _v("EXDOSE", "Dose", NUM, integer=False),
    _v("EXDOSU", "Dose Units"),
    _v("EXROUTE", "Route of Administration"),
    _v("EXADJ", "Reason for Dose Adjustment"),
    _v("EXSTDTC", "Start Date/Time of Treatment", key=4),
    _v("EXENDTC", "End Date/Time of Treatment"),
    _v("EPOCH", "Epoch"),
    _v("EXSTDY", "Study Day of Start of Treatment", NUM),
    _v("EXENDY", "Study Day of End of Treatment", NUM),
), "One record per constant-dosing interval per subject")  # fmt: skip

AE = Domain("AE", "Adverse Events", (
    *IDENTIFIERS,
    _v("AESEQ", "Sequence Number", NUM),
    _v("AESPID", "Sponsor-Defined Identifier"),
    _v("AETERM", "Reported Term for the Adverse Event"),
    _v("AELLT", "Lowest Level Term"),
    _v("AELLTCD", "Lowest Level Term Code", NUM),
    _v("AEDECOD", "Dictionary-Derived Term", key=3),
    _v("AEBODSYS", "Body System or Organ Class"),
    _v("AESOC", "Primary System Organ Class"),
    _v("AESER", "Serious Event"),
    _v("AEACN", "Action Taken with Study Treatment"),
    _v("AEREL", "Causality"),
    _v("AEOUT", "Outcome of Adverse Event"),
    _v("AESCONG", "Congenital Anomaly or Birth Defect"),
    _v("AESDISAB", "Persist or Signif Disability/Incapacity"),
    _v("AESDTH", "Results in Death"),
    _v("AESHOSP", "Requires or Prolongs Hospitalization"),
    _v("AESLIFE", "Is Life Threatening"),
    _v("AESMIE", "Other Medically Important Serious Event"),
    _v("AETOXGR", "Standard Toxicity Grade"),
    _v("EPOCH", "Epoch"),
    _v("AESTDTC", "Start Date/Time of Adverse Event", key=4),
    _v("AEENDTC", "End Date/Time of Adverse Event"),
    _v("AESTDY", "Study Day of Start of Adverse Event", NUM),
    _v("AEENDY", "Study Day of End of Adverse Event", NUM),
), "One record per adverse event per subject")  # fmt: skip

RS = Domain("RS", "Disease Response and Clin Classification", (
    *IDENTIFIERS,
    _v("RSSEQ", "Sequence Number", NUM),
    _v("RSTESTCD", "Assessment Short Name", key=3),
    _v("RSTEST", "Assessment Name"),
    _v("RSORRES", "Result or Finding in Original Units"),
    _v("RSSTRESC", "Character Result/Finding in Std Format"),
    _v("RSDRVFL", "Derived Flag"),
    _v("EPOCH", "Epoch"),
    _v("RSDTC", "Date/Time of Assessment", key=4),
    _v("RSDY", "Study Day of Assessment", NUM),
), "One record per response assessment per time point per subject")  # fmt: skip

DS = Domain("DS", "Disposition", (
    *IDENTIFIERS,
    _v("DSSEQ", "Sequence Number", NUM),
    _v("DSTERM", "Reported Term for the Disposition Event"),
    _v("DSDECOD", "Standardized Disposition Term", key=3),
    _v("DSCAT", "Category for Disposition Event"),
    _v("EPOCH", "Epoch"),
    _v("DSSTDTC", "Start Date/Time of Disposition Event", key=4),
    _v("DSSTDY", "Study Day of Start of Disposition Event", NUM),
), "One record per disposition status or protocol milestone per subject")  # fmt: skip

LB = Domain("LB", "Laboratory Test Results", (
    *IDENTIFIERS,
    _v("LBSEQ", "Sequence Number", NUM),
    _v("LBTESTCD", "Lab Test or Examination Short Name", key=3),
    _v("LBTEST", "Lab Test or Examination Name"),
    _v("LBORRES", "Result or Finding in Original Units"),
    _v("LBORRESU", "Original Units"),
    _v("LBORNRLO", "Reference Range Lower Limit in Orig Unit"),
    _v("LBORNRHI", "Reference Range Upper Limit in Orig Unit"),
    _v("LBSTRESC", "Character Result/Finding in Std Format"),
    _v("LBSTRESN", "Numeric Result/Finding in Standard Units", NUM, integer=False),
    _v("LBSTRESU", "Standard Units"),
    _v("LBSTNRLO", "Reference Range Lower Limit-Std Units", NUM, integer=False),
    _v("LBSTNRHI", "Reference Range Upper Limit-Std Units", NUM, integer=False),
    _v("LBNRIND", "Reference Range Indicator"),
    _v("LBTOXGR", "Standard Toxicity Grade"),
    _v("EPOCH", "Epoch"),
    _v("LBDTC", "Date/Time of Specimen Collection", key=4),
    _v("LBDY", "Study Day of Specimen Collection", NUM),
), "One record per lab test per time point per subject")  # fmt: skip

SUPPDM = Domain("SUPPDM", "Supplemental Qualifiers for DM", SUPP_VARIABLES, "One record per supplemental qualifier")
SUPPAE = Domain("SUPPAE", "Supplemental Qualifiers for AE", SUPP_VARIABLES, "One record per supplemental qualifier")

DOMAINS: dict[str, Domain] = {d.name: d for d in (DM, SUPPDM, EX, AE, SUPPAE, RS, DS, LB)}

# Controlled terminology (CDISC CT codelists ROUTE, OUT, ACN, NY, LBTESTCD, NCOMPLT) for the system's own codes.
ROUTES = {
    Route.IV: "INTRAVENOUS", Route.CIV: "INTRAVENOUS", Route.PO: "ORAL", Route.SC: "SUBCUTANEOUS",
    Route.IT: "INTRATHECAL", Route.OMMAYA: "INTRAVENTRICULAR",
}  # fmt: skip
OUTCOMES = {
    AEOutcome.RECOVERED: "RECOVERED/RESOLVED", AEOutcome.RECOVERED_WITH_SEQUELAE: "RECOVERED/RESOLVED WITH SEQUELAE",
    AEOutcome.RECOVERING: "RECOVERING/RESOLVING", AEOutcome.NOT_RECOVERED: "NOT RECOVERED/NOT RESOLVED",
    AEOutcome.FATAL: "FATAL", AEOutcome.UNKNOWN: "UNKNOWN",
}  # fmt: skip
ACTIONS = {
    ActionTaken.NONE: "DOSE NOT CHANGED", ActionTaken.DOSE_REDUCED: "DOSE REDUCED",
    ActionTaken.DOSE_HELD: "DRUG INTERRUPTED", ActionTaken.DRUG_WITHDRAWN: "DRUG WITHDRAWN",
    ActionTaken.NOT_APPLICABLE: "NOT APPLICABLE",
}  # fmt: skip
# Sponsor-defined causality terms, least related first (AEREL has no CDISC codelist).
CAUSALITY = {
    Attribution.UNRELATED: "NOT RELATED", Attribution.UNLIKELY: "UNLIKELY RELATED",
    Attribution.POSSIBLE: "POSSIBLY RELATED", Attribution.PROBABLE: "PROBABLY RELATED",
    Attribution.DEFINITE: "RELATED",
}  # fmt: skip
CAUSALITY_RANK = list(CAUSALITY)
SERIOUSNESS = {
    SAECriterion.CONGENITAL_ANOMALY: "AESCONG", SAECriterion.DISABILITY: "AESDISAB", SAECriterion.DEATH: "AESDTH",
    SAECriterion.HOSPITALISATION: "AESHOSP", SAECriterion.LIFE_THREATENING: "AESLIFE",
    SAECriterion.IMPORTANT_MEDICAL_EVENT: "AESMIE",
}  # fmt: skip
LAB_TEST_CODES = {
    "platelets": "PLAT", "neutrophils": "NEUT", "wbc": "WBC", "lymphocytes": "LYM", "cd4": "CD4",
    "haemoglobin": "HGB", "potassium": "K", "sodium": "SODIUM", "calcium": "CA", "ionized_calcium": "CAION",
    "magnesium": "MG", "glucose": "GLUC", "albumin": "ALB", "cholesterol": "CHOL", "triglycerides": "TRIG",
    "alt": "ALT", "ast": "AST", "alp": "ALP", "ggt": "GGT", "ldh": "LDH", "cpk": "CK", "lipase": "LIPASE",
    "amylase": "AMYLASE", "bilirubin": "BILI", "creatinine": "CREAT", "uric_acid": "URATE", "haptoglobin": "HAPTOG",
    "fibrinogen": "FIBRINO", "inr": "INR", "aptt": "APTT", "ph": "PH",
}  # fmt: skip
RESPONSE_CODES = {ResponseCategory.CR: "CR", ResponseCategory.CRP: "CRP", ResponseCategory.CRI: "CRI",
                  ResponseCategory.NO_RESPONSE: "NR"}  # fmt: skip
RELAPSE = "RELAPSE"
DISPOSITION_TERMS = {
    OffStudyReason.COMPLETED: "COMPLETED", OffStudyReason.TRANSPLANT: "OTHER",
    OffStudyReason.NO_RESPONSE: "LACK OF EFFICACY", OffStudyReason.RELAPSE: "PROGRESSIVE DISEASE",
    OffStudyReason.TOXICITY: "ADVERSE EVENT", OffStudyReason.PATIENT_CHOICE: "WITHDRAWAL BY SUBJECT",
    OffStudyReason.DEATH: "DEATH", OffStudyReason.LOST: "LOST TO FOLLOW-UP", OffStudyReason.OTHER: "OTHER",
}  # fmt: skip
SEXES = {"female": "F", "male": "M"}
NOT_ASSIGNED = {PatientStatus.SCREEN_FAILED: "SCREEN FAILURE", PatientStatus.SCREENING: "NOT ASSIGNED"}


def study_day(day: date | None, reference: date | None) -> int | None:
    """SDTM study day: day 1 is the reference start date, the day before it is day -1 (there is no day 0)."""
    if day is None or reference is None:
        return None
    delta = (day - reference).days
    return delta + 1 if delta >= 0 else delta


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date()
    return value


def iso(value) -> str:
    """ISO 8601 as SDTM writes it: a date, or a local date and time to the minute."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


def yes_no(flag) -> str:
    return "Y" if flag else "N"


def number(value):
    return None if value is None else float(value)


def _text(value) -> str:
    return "" if value is None else f"{value.normalize():f}" if hasattr(value, "normalize") else str(value)


@dataclass
class Subject:
    """What the other domains need of a patient: ids as written, the reference start, and the date offset."""

    subject_id: str
    usubjid: str
    subjid: str
    reference_start: date | None = None
    key: tuple[str, int] | None = None
    treatment_end: date | None = None  # going off study, else the last exposure
    death: date | None = None

    def epoch(self, day) -> str:
        """SCREENING before the first exposure, TREATMENT up to going off study (or the last exposure),
        FOLLOW-UP after it."""
        day = _day(day)
        if day is None or self.reference_start is None or day < self.reference_start:
            return SCREENING if day is not None else ""
        return TREATMENT if self.treatment_end is None or day <= self.treatment_end else FOLLOW_UP


class Reader:
    """Reads the datasets for one export: the user's sites, de-identified or not, and reports rows read."""

    def __init__(self, user, *, study: str, deidentified: bool, keys: dict | None, progress: Callable | None):
        self.user = user
        self.study = study
        self.deidentified = deidentified
        self.keys = keys or {}
        self._progress = progress
        self.subjects: dict[str, Subject] = {}

    def read(self, dataset: str, *fields: str, queryset=None) -> Iterator[dict]:
        """``dataset``'s rows (the user's sites) as dicts of ``fields``, reporting each chunk of rows read."""
        rows = queryset if queryset is not None else DATASETS[dataset].rows(self.user)
        count = 0
        for row in rows.values(*fields).iterator(chunk_size=READ_CHUNK):
            count += 1
            if count % READ_CHUNK == 0:
                self.report(READ_CHUNK)
            yield row
        self.report(count % READ_CHUNK)

    def report(self, rows: int) -> None:
        """Tell the caller's ``progress`` that ``rows`` more source rows were read."""
        if self._progress and rows:
            self._progress(rows)

    def last_dates(self) -> dict[str, date]:
        """subject id → the last date of any of their records (one aggregate query per dataset)."""
        last: dict[str, date] = {}
        for dataset, field in PARTICIPATION_DATES:
            subject = DATASETS[dataset].column("subject_id").lookup
            rows = DATASETS[dataset].rows(self.user).order_by().values(subject).annotate(last=Max(field))
            for row in rows:
                day = _day(row["last"])
                if day is not None and (row[subject] not in last or day > last[row[subject]]):
                    last[row[subject]] = day
        return last

    def date(self, dataset: str, column: str, value, subject: Subject):
        """A date or date-time as written: moved by the patient's offset in a de-identified export."""
        if value is None or not self.deidentified:
            return value
        return transform(DATASETS[dataset].column(column), value, subject.key)

    def dtc(self, dataset: str, column: str, value, subject: Subject) -> str:
        return iso(self.date(dataset, column, value, subject))

    def free_text(self, value) -> str:
        """Free text is written only in an identified export."""
        return "" if self.deidentified else (value or "")


def _supp(study, rdomain, subject: Subject, idvar, idvarval, qnam, qlabel, qval, qorig="CRF"):
    return {"STUDYID": study, "RDOMAIN": rdomain, "USUBJID": subject.usubjid, "IDVAR": idvar,
            "IDVARVAL": str(idvarval), "QNAM": qnam, "QLABEL": qlabel, "QVAL": qval, "QORIG": qorig,
            "QEVAL": ""}  # fmt: skip


def _numbered(records: list[dict], seq: str, order: Callable) -> list[dict]:
    """Sorts by subject then ``order`` and numbers each subject's records 1, 2, … in ``seq``."""
    records.sort(key=lambda r: (r["USUBJID"], *order(r)))
    previous, n = None, 0
    for r in records:
        n = n + 1 if r["USUBJID"] == previous else 1
        previous = r["USUBJID"]
        r[seq] = n
    return records


def given_administrations(user):
    """The administrations given (with their time), of the user's sites: the exposure."""
    return DATASETS["administrations"].rows(user).filter(status=AdministrationStatus.GIVEN, given_at__isnull=False)


def exposure_end(row) -> date:
    """The last day of an administration: its day, or the last day of a dose given over several days."""
    span = max((row["last_day"] or row["day"]) - row["day"], 0)
    return _day(row["given_at"]) + timedelta(days=span)


def demographics(reader: Reader) -> tuple[list[dict], list[dict]]:
    """DM and SUPPDM; fills ``reader.subjects``, which every other domain needs."""
    study, patients = reader.study, DATASETS["patients"]
    exposure: dict[str, list] = {}
    fields = ("course__patient__subject_id", "given_at", "day", "last_day")
    for row in reader.read("administrations", *fields, queryset=given_administrations(reader.user)):
        exposure.setdefault(row["course__patient__subject_id"], []).append((row["given_at"], exposure_end(row)))
    consent: dict[str, date] = {}
    for row in reader.read("consents", "patient__subject_id", "consent_date"):
        sid = row["patient__subject_id"]
        consent[sid] = min(consent.get(sid, row["consent_date"]), row["consent_date"])
    off = {r["patient__subject_id"]: r["off_study_date"] for r in reader.read("off_study", "patient__subject_id",
                                                                               "off_study_date")}  # fmt: skip
    died = {r["patient__subject_id"]: r["death_date"] for r in reader.read("deaths", "patient__subject_id",
                                                                            "death_date")}  # fmt: skip
    last_dates = reader.last_dates()
    dm, supp = [], []
    fields = ("subject_id", "site__code", "status", "protocol_version__code", "protocol_version__name",
              "registration_date", "sex", "date_of_birth")  # fmt: skip
    for row in reader.read("patients", *fields):
        sid = row["subject_id"]
        key = reader.keys.get(sid) if reader.deidentified else None
        subjid = transform(patients.column("subject_id"), sid, key) if reader.deidentified else sid
        given = exposure.get(sid, [])
        first = min((start for start, _ in given), default=None)
        last = max((end for _, end in given), default=None)
        subject = Subject(sid, f"{study}-{subjid}", subjid, _day(first), key, off.get(sid) or last, died.get(sid))
        reader.subjects[sid] = subject
        age = patients.column("age_at_registration").derive(row)
        if reader.deidentified and age is not None and age >= AGE_CEILING:
            age = AGE_CEILING
            supp.append(_supp(study, "DM", subject, "", "", "AGEGE90", "Age 90 or Over (Safe Harbor)", "Y",
                              "Derived"))  # fmt: skip
        arm = row["protocol_version__code"] or ""
        end = off.get(sid) or last
        participation = max((d for d in (last_dates.get(sid), last) if d), default=None)
        dm.append({
            "STUDYID": study, "DOMAIN": "DM", "USUBJID": subject.usubjid, "SUBJID": subjid,
            "RFSTDTC": reader.dtc("administrations", "given_at", first, subject),
            "RFENDTC": reader.dtc("off_study", "off_study_date", end, subject),
            "RFXSTDTC": reader.dtc("administrations", "given_at", first, subject),
            "RFXENDTC": reader.dtc("administrations", "planned_date", last, subject),
            "RFICDTC": reader.dtc("consents", "consent_date", consent.get(sid), subject),
            "RFPENDTC": reader.dtc("off_study", "off_study_date", participation, subject),
            "DTHDTC": reader.dtc("deaths", "death_date", died.get(sid), subject),
            "DTHFL": "Y" if sid in died else "",
            "SITEID": row["site__code"], "AGE": age, "AGEU": "YEARS" if age is not None else "",
            "SEX": SEXES.get(row["sex"], "U"),
            "ARMCD": arm.upper()[:20], "ARM": row["protocol_version__name"] or "",
            "ACTARMCD": arm.upper()[:20] if first else "",
            "ACTARM": (row["protocol_version__name"] or "") if first else "",
            "ARMNRS": NOT_ASSIGNED.get(row["status"], "") if not arm else "",
            "COUNTRY": COUNTRY,
        })  # fmt: skip
        if arm and not first:
            dm[-1]["ARMNRS"] = "ASSIGNED, NOT TREATED"
    dm.sort(key=lambda r: r["USUBJID"])
    return dm, supp


def exposure(reader: Reader) -> list[dict]:
    drugs = drug_names()
    records = []
    fields = ("course__patient__subject_id", "drug__code", "dose_given", "dose_unit", "route", "route_given",
              "given_at", "day", "last_day", "deviation_reason")  # fmt: skip
    for row in reader.read("administrations", *fields, queryset=given_administrations(reader.user)):
        subject = reader.subjects.get(row["course__patient__subject_id"])
        if subject is None:
            continue
        start = row["given_at"]
        end = exposure_end(row)
        records.append({
            "STUDYID": reader.study, "DOMAIN": "EX", "USUBJID": subject.usubjid,
            "EXTRT": drugs.get(row["drug__code"], row["drug__code"]).upper(),
            "EXDOSE": number(row["dose_given"]), "EXDOSU": row["dose_unit"],
            "EXROUTE": ROUTES.get(row["route_given"] or row["route"], ""),
            "EXADJ": reader.free_text(row["deviation_reason"])[:MAX_TEXT],
            "EXSTDTC": reader.dtc("administrations", "given_at", start, subject),
            "EXENDTC": reader.dtc("administrations", "planned_date", end, subject),
            "EPOCH": subject.epoch(start),
            "EXSTDY": study_day(_day(start), subject.reference_start),
            "EXENDY": study_day(end, subject.reference_start),
        })  # fmt: skip
    return _numbered(records, "EXSEQ", lambda r: (r["EXSTDTC"], r["EXTRT"]))


def adverse_events(reader: Reader) -> tuple[list[dict], list[dict]]:
    """AE and SUPPAE. AEREL is the most related attribution over all drugs; SUPPAE has one per drug
    (QNAM AEREL1, AEREL2 … in the order of the trial's drugs) and the rest of a verbatim term over 200 characters."""
    drugs = list(drug_names().items())
    drug_qnam = {code: (f"AEREL{i}", f"Causality to {name}"[:40]) for i, (code, name) in enumerate(drugs, 1)}
    attributions: dict[int, dict[str, str]] = {}
    for row in reader.read("ae_attributions", "adverse_event_id", "drug__code", "attribution"):
        attributions.setdefault(row["adverse_event_id"], {})[row["drug__code"]] = row["attribution"]
    fields = ("id", "patient__subject_id", "verbatim", "term__term", "term__meddra_code", "term__soc", "grade",
              "serious", "sae_criteria", "action_taken", "outcome", "onset_date", "resolution_date")  # fmt: skip
    records, supp = [], []
    for row in reader.read("adverse_events", *fields):
        subject = reader.subjects.get(row["patient__subject_id"])
        if subject is None:
            continue
        verbatim = reader.free_text(row["verbatim"]) or row["term__term"]
        related = attributions.get(row["id"], {})
        worst = max(related.values(), key=CAUSALITY_RANK.index, default=None)
        criteria = set(row["sae_criteria"] or ())
        # A fatal event ends with the death (SDTMIG AE assumption 9) when no resolution date was recorded.
        ended = row["resolution_date"] or (subject.death if row["outcome"] == AEOutcome.FATAL else None)
        record = {
            "STUDYID": reader.study, "DOMAIN": "AE", "USUBJID": subject.usubjid, "AESPID": str(row["id"]),
            "AETERM": verbatim[:MAX_TEXT], "AELLT": row["term__term"], "AELLTCD": number(row["term__meddra_code"]),
            "AEDECOD": row["term__term"], "AEBODSYS": row["term__soc"], "AESOC": row["term__soc"],
            "AESER": yes_no(row["serious"]), "AEACN": ACTIONS.get(row["action_taken"], ""),
            "AEREL": CAUSALITY.get(worst, ""), "AEOUT": OUTCOMES.get(row["outcome"], ""),
            "AETOXGR": _text(row["grade"]),
            "AESTDTC": reader.dtc("adverse_events", "onset_date", row["onset_date"], subject),
            "AEENDTC": reader.dtc("adverse_events", "resolution_date", ended, subject),
            "EPOCH": subject.epoch(row["onset_date"]),
            "AESTDY": study_day(row["onset_date"], subject.reference_start),
            "AEENDY": study_day(ended, subject.reference_start),
        }  # fmt: skip
        for criterion, variable in SERIOUSNESS.items():
            record[variable] = yes_no(criterion in criteria) if row["serious"] else ""
        records.append(record)
        for code, attribution in sorted(related.items()):
            if code in drug_qnam:
                qnam, qlabel = drug_qnam[code]
                value = CAUSALITY[attribution]
                supp.append(_supp(reader.study, "AE", subject, "AESPID", row["id"], qnam, qlabel, value))
        if len(verbatim) > MAX_TEXT:
            supp.append(_supp(reader.study, "AE", subject, "AESPID", row["id"], "AETERM1",
                              "Reported Term for the Adverse Event 1", verbatim[MAX_TEXT:2 * MAX_TEXT]))  # fmt: skip
    return _numbered(records, "AESEQ", lambda r: (r["AESTDTC"], r["AEDECOD"], int(r["AESPID"]))), supp


def responses(reader: Reader) -> list[dict]:
    """RS: the response derived from each marrow assessment (responses.selectors.history_of, the protocol
    version's definitions): CR, CRp, CRi or no response, and the first relapse after a response."""
    patients = with_assessments(DATASETS["patients"].rows(reader.user))
    readings = ProtocolReadings()
    records = []
    for patient in patients.iterator(chunk_size=500):
        subject = reader.subjects.get(patient.subject_id)
        if subject is None:
            continue
        history = history_of(patient, readings)
        reader.report(len(history))
        for outcome in history:
            assessed = outcome.evaluation.assessed_on
            result = RELAPSE if outcome.relapse else RESPONSE_CODES[outcome.category]
            records.append({
                "STUDYID": reader.study, "DOMAIN": "RS", "USUBJID": subject.usubjid,
                "RSTESTCD": "OVRLRESP", "RSTEST": "Overall Response",
                "RSORRES": "Relapse" if outcome.relapse else ResponseCategory(outcome.category).label,
                "RSSTRESC": result, "RSDRVFL": "Y", "EPOCH": subject.epoch(assessed),
                "RSDTC": reader.dtc("marrow_assessments", "assessed_on", assessed, subject),
                "RSDY": study_day(assessed, subject.reference_start),
            })  # fmt: skip
    return _numbered(records, "RSSEQ", lambda r: (r["RSDTC"],))


def disposition(reader: Reader) -> list[dict]:
    """DS: informed consent (protocol milestone), going off study and death (disposition events)."""
    records = []

    def add(sid, term, decod, cat, dataset, column, day):
        subject = reader.subjects.get(sid)
        if subject is not None:
            records.append({
                "STUDYID": reader.study, "DOMAIN": "DS", "USUBJID": subject.usubjid, "DSTERM": term,
                "DSDECOD": decod, "DSCAT": cat, "EPOCH": subject.epoch(day),
                "DSSTDTC": reader.dtc(dataset, column, day, subject),
                "DSSTDY": study_day(day, subject.reference_start),
            })  # fmt: skip

    for row in reader.read("consents", "patient__subject_id", "consent_date"):
        add(row["patient__subject_id"], "INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED",
            "PROTOCOL MILESTONE", "consents", "consent_date", row["consent_date"])  # fmt: skip
    off_for_death = set()
    for row in reader.read("off_study", "patient__subject_id", "off_study_date", "reason"):
        if row["reason"] == OffStudyReason.DEATH:
            off_for_death.add(row["patient__subject_id"])
        add(row["patient__subject_id"], OffStudyReason(row["reason"]).label.upper(),
            DISPOSITION_TERMS[row["reason"]], "DISPOSITION EVENT", "off_study", "off_study_date",
            row["off_study_date"])  # fmt: skip
    for row in reader.read("deaths", "patient__subject_id", "death_date"):
        if row["patient__subject_id"] not in off_for_death:  # one DEATH disposition per subject
            add(row["patient__subject_id"], "DEATH", "DEATH", "DISPOSITION EVENT", "deaths", "death_date",
                row["death_date"])  # fmt: skip
    return _numbered(records, "DSSEQ", lambda r: (r["DSSTDTC"], r["DSCAT"] != "PROTOCOL MILESTONE", r["DSDECOD"]))


def _range_indicator(value, low, high) -> str:
    if low is not None and value < low:
        return "LOW"
    if high is not None and value > high:
        return "HIGH"
    return "NORMAL" if low is not None or high is not None else ""


def labs(reader: Reader) -> list[dict]:
    """LB: each lab value as collected; the standard result is the collected value in the unit it was entered in
    (the system keeps one unit per value and does not convert)."""
    names = lab_analyte_names()
    records = []
    fields = ("patient__subject_id", "lab_test", "unit", "value", "lower_limit_normal", "upper_limit_normal",
              "grade", "collected_on")  # fmt: skip
    for row in reader.read("lab_results", *fields):
        subject = reader.subjects.get(row["patient__subject_id"])
        if subject is None:
            continue
        code = row["lab_test"]
        value, low, high = row["value"], row["lower_limit_normal"], row["upper_limit_normal"]
        records.append({
            "STUDYID": reader.study, "DOMAIN": "LB", "USUBJID": subject.usubjid,
            "LBTESTCD": LAB_TEST_CODES.get(code, code.upper().replace("_", "")[:8]),
            "LBTEST": names.get(code, code)[:40], "LBORRES": _text(value), "LBORRESU": row["unit"],
            "LBORNRLO": _text(low), "LBORNRHI": _text(high), "LBSTRESC": _text(value), "LBSTRESN": number(value),
            "LBSTRESU": row["unit"], "LBSTNRLO": number(low), "LBSTNRHI": number(high),
            "LBNRIND": _range_indicator(value, low, high), "LBTOXGR": _text(row["grade"]),
            "EPOCH": subject.epoch(row["collected_on"]),
            "LBDTC": reader.dtc("lab_results", "collected_on", row["collected_on"], subject),
            "LBDY": study_day(row["collected_on"], subject.reference_start),
        })  # fmt: skip
    return _numbered(records, "LBSEQ", lambda r: (r["LBDTC"], r["LBTESTCD"]))


def domain_records(reader: Reader) -> Iterator[tuple[Domain, list[dict]]]:
    """Each domain with its records, DM (and SUPPDM) first: the others need its subjects."""
    dm, suppdm = demographics(reader)
    yield DM, dm
    yield SUPPDM, suppdm
    yield EX, exposure(reader)
    ae, suppae = adverse_events(reader)
    yield AE, ae
    yield SUPPAE, suppae
    yield RS, responses(reader)
    yield DS, disposition(reader)
    yield LB, labs(reader)
