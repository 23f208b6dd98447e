"""The datasets a statistician exports: one flat table per record type, with its data dictionary.

Columns and dictionary come from the models (field, label, type, unit, allowed values), never written twice. Every
column has an identifying class. The de-identified mode reads it: identifiers and free text are left out, dates
move by the patient's offset, and the subject id becomes the study pseudonym (``exports.deidentify``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models

from adverse_events.models import AdverseEvent, AEAttribution, ClinicalObservation, LabResult
from core.units import unit_of
from dosing.models import Course, DoseOverride, PlannedAdministration
from patients.models import (
    PHI_FIELDS,
    Baseline,
    Consent,
    Death,
    EligibilityAssessment,
    FollowUp,
    OffStudy,
    Patient,
    Transplant,
)
from responses.models import MarrowAssessment
from safety.models import Flag

# Identifying classes of a column (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)).
IDENTIFIER = "identifier"  # names, record numbers, full dates of birth: never in a de-identified file
FREE_TEXT = "free text"  # may hold anything a person typed, a name included: never in a de-identified file
DATE = "date"  # moved by the patient's offset in a de-identified file
SUBJECT = "subject"  # the study subject id: the pseudonym in a de-identified file
AGE = "age"  # 90 and over reported as "90+" in a de-identified file
NOT_IDENTIFYING = ""

BOOKKEEPING = {"created_at", "updated_at"}
TYPES = [
    (models.BooleanField, "boolean"),
    (models.DateTimeField, "datetime"),
    (models.DateField, "date"),
    (models.DecimalField, "decimal"),
    (models.FloatField, "decimal"),
    (models.IntegerField, "integer"),
    (models.BigAutoField, "integer"),
    (models.AutoField, "integer"),
    (models.JSONField, "list"),
]


@dataclass(frozen=True)
class Column:
    """One variable of a dataset and its entry in the data dictionary."""

    name: str
    lookup: str  # the ORM path its value is read through
    label: str
    type: str  # text, integer, decimal, date, datetime, boolean, list
    source: str  # app.Model.field
    identifying: str = NOT_IDENTIFYING
    unit: str = ""
    allowed: tuple[tuple[str, str], ...] = ()  # (code, label) for a coded variable
    derive: Callable | None = field(default=None, compare=False)  # value from the row (a computed column)
    derive_sql: str = ""  # the same in SQL, over the row's other columns by name ({registration_date}): for COPY

    @property
    def allowed_values(self) -> str:
        return "; ".join(f"{code} = {label}" for code, label in self.allowed)


@dataclass(frozen=True)
class Dataset:
    """A record type as a flat table: its rows (scoped to the user's sites), its columns, and its patient."""

    name: str
    label: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    patient_lookup: str  # the ORM path from a row to its patient
    description: str = ""

    def rows(self, user):
        """The rows the user may export: their sites' records, in a stable order."""
        return self.model.objects.for_user(user).order_by("pk")

    def count(self, user) -> int:
        return self.rows(user).count()

    def values(self, user, chunk_size: int) -> Iterator[tuple]:
        """The values of the columns read from the database (not derived), row by row."""
        lookups = [c.lookup for c in self.columns if c.derive is None]
        return self.rows(user).values_list(*lookups).iterator(chunk_size=chunk_size)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _type(f) -> str:
    for cls, name in TYPES:
        if isinstance(f, cls):
            return name
    return "text"


def _label(f) -> str:
    text = str(f.verbose_name)
    return text[:1].upper() + text[1:]


def _source(model, name: str) -> str:
    return f"{model._meta.app_label}.{model.__name__}.{name}"


def model_columns(model, *, patient_path: str = "patient", coded: tuple[str, ...] = (), skip: tuple[str, ...] = ()):
    """The columns of ``model``'s concrete fields, classified.

    A foreign key becomes the related record's code (site, protocol version), the subject id (patient), the
    username (a user) or its id. A text field without choices, and a list, counts as free text unless it is
    named in ``coded`` (values from a fixed list, an id, a version label)."""
    columns = []
    for f in model._meta.concrete_fields:
        if f.name in BOOKKEEPING or f.name in skip:
            continue
        source = _source(model, f.name)
        if f.is_relation:
            related = f.related_model
            if related is Patient:
                columns.append(
                    Column("subject_id", f"{f.name}__subject_id", "Study subject ID", "text", source, SUBJECT)
                )
            elif related._meta.label_lower == "trial.user":
                columns.append(Column(f.name, f"{f.name}__username", _label(f), "text", source))
            elif any(rf.name == "code" for rf in related._meta.concrete_fields):
                columns.append(Column(f.name, f"{f.name}__code", _label(f), "text", source))
            else:
                columns.append(Column(f"{f.name}_id", f.attname, f"{_label(f)} (record id)", "integer", source))
            continue
        kind = _type(f)
        if model is Patient and f.name == "subject_id":
            identifying = SUBJECT
        elif model is Patient and f.name in PHI_FIELDS:
            identifying = IDENTIFIER
        elif kind in ("date", "datetime"):
            identifying = DATE
        elif f.name == "id" or f.choices or kind not in ("text", "list") or f.name in coded:
            identifying = NOT_IDENTIFYING
        else:
            identifying = FREE_TEXT
        name = "record_id" if f.name == "id" else f.name
        label = "Record id" if f.name == "id" else _label(f)
        columns.append(
            Column(
                name, f.name, label, kind, source, identifying, unit_of(f),
                tuple((str(code), str(text)) for code, text in (f.choices or ())),
            )
        )  # fmt: skip
    return tuple(columns)


def _age_at_registration(row: dict):
    born, registered = row.get("date_of_birth"), row.get("registration_date")
    if born is None or registered is None:
        return None
    return registered.year - born.year - ((registered.month, registered.day) < (born.month, born.day))


AGE_COLUMN = Column(
    "age_at_registration",
    "",
    "Age at registration",
    "integer",
    "derived from patients.Patient.date_of_birth and registration_date",
    AGE,
    "years",
    derive=_age_at_registration,
    derive_sql="(extract(year from {registration_date}) - extract(year from {date_of_birth})"
    " - (to_char({registration_date}, 'MMDD') < to_char({date_of_birth}, 'MMDD'))::integer)::integer",
)


def _dataset(name, label, model, *, patient_lookup="patient", description="", extra=(), **kwargs) -> Dataset:
    """A dataset of ``model``'s columns; one that reaches its patient through another record (a dose through its
    course) starts with the subject id too."""
    columns = model_columns(model, **kwargs) + tuple(extra)
    if not any(c.identifying == SUBJECT for c in columns):
        subject = Column(
            "subject_id", f"{patient_lookup}__subject_id", "Study subject ID", "text", "patients.Patient.subject_id",
            SUBJECT,
        )  # fmt: skip
        columns = (subject, *columns)
    return Dataset(name, label, model, columns, patient_lookup, description)


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        _dataset(
            "patients", "Patients and registration", Patient, patient_lookup="", extra=(AGE_COLUMN,),
            description="One row per patient screened: site, status, protocol version, registration, sex.",
        ),
        _dataset("consents", "Consents", Consent, coded=("form_version",)),
        _dataset("eligibility", "Eligibility assessments", EligibilityAssessment, coded=("answers", "failed_criteria")),
        _dataset("baseline", "Baseline characteristics", Baseline),
        _dataset("courses", "Courses", Course, coded=("inotuzumab_dose_level",)),
        _dataset(
            "administrations", "Planned and given administrations", PlannedAdministration,
            patient_lookup="course__patient", coded=("hold_days",),
        ),
        _dataset("dose_overrides", "Dose overrides", DoseOverride, patient_lookup="administration__course__patient"),
        _dataset("marrow_assessments", "Marrow assessments, MRD and response", MarrowAssessment),
        _dataset("transplants", "Allogeneic stem-cell transplants", Transplant, coded=("conditioning_agents",)),
        _dataset("follow_ups", "Follow-up contacts", FollowUp),
        _dataset("off_study", "Off study", OffStudy),
        _dataset("deaths", "Deaths", Death),
        _dataset("adverse_events", "Adverse events", AdverseEvent, coded=("sae_criteria",)),
        _dataset(
            "ae_attributions", "Adverse-event attributions", AEAttribution, patient_lookup="adverse_event__patient"
        ),
        _dataset("lab_results", "Lab values", LabResult, coded=("lab_test", "lab_term", "unit")),
        _dataset("clinical_observations", "Clinical observations", ClinicalObservation),
        _dataset("flags", "Safety flags", Flag, coded=("rule_code", "title")),
    ]
}  # fmt: skip


# --- The audit trail and the signatures, over the records of the datasets above ------------------------------------

RECORD_DATASETS = tuple(DATASETS.values())
ACTIONS = (("created", "Created"), ("changed", "Changed"), ("deleted", "Deleted (withdrawn)"))
_ACTION_OF = {"+": "created", "~": "changed", "-": "deleted"}


def _scoped_history(dataset: Dataset, user):
    """The history rows of ``dataset``'s records of the user's sites (withdrawn records' rows included, while their
    patient is there), with the path from a history row to its subject id."""
    history = dataset.model.history.model.objects
    if not dataset.patient_lookup:
        return history.filter(id__in=Patient.objects.for_user(user).values("pk")), "subject_id"
    first = dataset.patient_lookup.split("__")[0]
    parent = dataset.model._meta.get_field(first).related_model
    return history.filter(**{f"{first}__in": parent.objects.for_user(user).values("pk")}), (
        f"{dataset.patient_lookup}__subject_id"
    )


class AuditTrailDataset(Dataset):
    """One row per audited change of a record of the datasets above: who, when, why, which variables."""

    def rows(self, user):
        raise NotImplementedError("The audit trail is read table by table: see values().")

    def values(self, user, chunk_size: int) -> Iterator[tuple]:
        for dataset in RECORD_DATASETS:
            history, subject = _scoped_history(dataset, user)
            variables = [c for c in dataset.columns if c.derive is None and c.name != "record_id"]
            fields = [c.lookup for c in variables]
            read = ("id", "history_id", "history_type", "history_date", "history_user__username",
                    "history_change_reason", subject, *fields)  # fmt: skip
            previous_id, previous = None, None
            for row in history.order_by("id", "history_id").values_list(*read).iterator(chunk_size=chunk_size):
                record_id, history_id, kind, at, by, reason, subject_id, *current = row
                if record_id != previous_id:
                    previous = None
                if kind == "~" and previous is not None:
                    changed = [c.name for c, old, new in zip(variables, previous, current, strict=True) if old != new]
                else:
                    changed = []
                yield (subject_id, dataset.name, record_id, history_id, _ACTION_OF[kind], at, by, reason, changed)
                previous_id, previous = record_id, current

    def count(self, user) -> int:
        return sum(_scoped_history(d, user)[0].count() for d in RECORD_DATASETS)


class SignatureDataset(Dataset):
    """The electronic signatures on records of the datasets above."""

    def rows(self, user):
        raise NotImplementedError("Signatures are read record type by record type: see values().")

    def _signatures(self, dataset: Dataset, user):
        from django.contrib.contenttypes.models import ContentType
        from django.db.models import CharField, OuterRef, Subquery
        from django.db.models.functions import Cast

        from core.models import Signature

        records = dataset.model.objects.for_user(user).annotate(key=Cast("pk", output_field=CharField()))
        subject = "subject_id" if not dataset.patient_lookup else f"{dataset.patient_lookup}__subject_id"
        content_type = ContentType.objects.get_for_model(dataset.model, for_concrete_model=False)
        return Signature.objects.filter(content_type=content_type, object_id__in=records.values("key")).annotate(
            subject=Subquery(records.filter(key=OuterRef("object_id")).values(subject)[:1])
        )

    def values(self, user, chunk_size: int) -> Iterator[tuple]:
        fields = [c.lookup for c in self.columns if c.lookup not in ("subject", "record_type")]
        for dataset in RECORD_DATASETS:
            signatures = self._signatures(dataset, user).order_by("pk").values_list("subject", *fields)
            for subject_id, *values in signatures.iterator(chunk_size=chunk_size):
                yield (subject_id, dataset.name, *values)

    def count(self, user) -> int:
        return sum(self._signatures(d, user).count() for d in RECORD_DATASETS)


def _signature_columns() -> tuple[Column, ...]:
    from core.models import Signature

    source = "core.Signature"
    own = model_columns(Signature, skip=("content_type", "object_id"), coded=("printed_name", "record_digest"))
    return (
        Column("subject_id", "subject", "Study subject ID", "text", "patients.Patient.subject_id", SUBJECT),
        Column("record_type", "record_type", "Dataset of the signed record", "text", source,
               allowed=tuple((d.name, d.label) for d in RECORD_DATASETS)),
        Column("signed_record_id", "object_id", "Record id of the signed record", "integer", f"{source}.object_id"),
        *own,
    )  # fmt: skip


AUDIT_TRAIL = AuditTrailDataset(
    "audit_trail", "Audit trail", Patient,
    (
        Column("subject_id", "subject", "Study subject ID", "text", "patients.Patient.subject_id", SUBJECT),
        Column("record_type", "record_type", "Dataset of the record", "text", "the record's dataset",
               allowed=tuple((d.name, d.label) for d in RECORD_DATASETS)),
        Column("record_id", "id", "Record id", "integer", "history of the record: id"),
        Column("history_id", "history_id", "Audit-history id", "integer", "history of the record: history_id"),
        Column("action", "history_type", "Action", "text", "history of the record: history_type", allowed=ACTIONS),
        Column("changed_at", "history_date", "When (UTC)", "datetime", "history of the record: history_date", DATE),
        Column("changed_by", "history_user", "By (username)", "text", "history of the record: history_user"),
        Column("reason", "history_change_reason", "Reason for the change", "text",
               "history of the record: history_change_reason", FREE_TEXT),
        Column("changed_variables", "changed", "Variables changed (a change; empty for a creation or deletion)",
               "list", "the record's values compared with its previous history row"),
    ),
    patient_lookup="", description="One row per audited creation, change or withdrawal of a record above.",
)  # fmt: skip
SIGNATURES = SignatureDataset(
    "signatures", "Electronic signatures", Patient, _signature_columns(), patient_lookup="",
    description="One row per electronic signature on a record above (valid or voided by a later change).",
)  # fmt: skip
DATASETS[AUDIT_TRAIL.name] = AUDIT_TRAIL
DATASETS[SIGNATURES.name] = SIGNATURES


def as_text(value) -> str:
    """A value as the CSV writes it: ISO dates, decimals with the digits stored (never an exponent), JSON lists and
    objects compact with sorted keys and characters as they are (UTF-8, not \\u escapes), empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
