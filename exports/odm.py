"""The whole study as one CDISC ODM 1.3.2 file, written as it goes (``lxml.etree.xmlfile``).

What the file holds, in the order the ODM schema requires:

- ``Study``: the trial (``GlobalVariables``: short title, title, NCT id), the units of the data dictionary
  (``BasicDefinitions``) and one ``MetaDataVersion`` made from the data dictionary (``exports.datasets``): each dataset
  is a ``FormDef`` holding one ``ItemGroupDef``, each of its columns an ``ItemDef`` (ODM data type from the
  dictionary's type, ``MeasurementUnitRef`` for its unit, a ``CodeList`` for its allowed values; the protocol
  version's code list comes from the loaded protocol versions). The subject id and the record id are not items:
  they are the ``SubjectKey`` and the ``ItemGroupRepeatKey``.
- ``AdminData``: every person who changed or signed an exported record (``User``), the user's sites (``Location``)
  and one ``SignatureDef`` per signature meaning.
- ``ClinicalData``: per patient a ``SubjectData`` (``SiteRef`` to their site) with one ``StudyEventData`` and, per
  dataset with records for the patient, a ``FormData`` whose ``ItemGroupData`` are the records.

One study event, "Study" (type Common, not repeating), holds every form. The datasets are flat tables keyed by
record, and most records (adverse events, marrow assessments, labs, follow-up) belong to no single course or visit,
so events per course would put many records nowhere or in an arbitrary course. "Common" is the ODM event type (and
OpenClinica's) for data not tied to a visit. odmlib reads the file and resolves every OID in it (the tests load it),
and the ItemGroupData of a dataset are then exactly its CSV rows.

It is a Snapshot file: each record appears once, in its current state. The ODM schema allows one ``AuditRecord`` and
one ``Signature`` per ItemGroupData. Its ``AuditRecord`` is the record's latest change (who, site, when, reason,
and in ``SourceID`` the history table and row). The ``AuditRecords`` and ``Signatures`` containers of ClinicalData
are only referenced from typed ItemData (``AuditRecordID``), which few consumers read, and giving every earlier
version means a Transactional file. The full trail is the audit-trail dataset's to give. The ``Signature`` is
the record's latest valid signature, with an ``ID`` (optional in the schema, required by odmlib). A void signature
no longer attests the record, so it is left out; its voiding is in the audit trail.

De-identified, the file follows ``exports.deidentify`` as the CSV does. Withheld columns are absent from the data
and from the metadata. ``SubjectKey`` is the pseudonym. Dates, the audit records' and signatures' times included,
move by the patient's offset. An age of 90 or more is "90+", so that item is text. The reason for change is free
text, so it is left out. Staff are kept (login name, printed name): HIPAA's identifiers are the patient's, and a
signature needs its signer.

Rows are read a batch of patients at a time (at most ``CHUNK_PATIENTS`` patients and about ``CHUNK_ROWS`` rows,
from one grouped count per dataset made first): for each dataset one query for the rows, one for their latest
history rows and one for their signatures. Each record's elements are built and written one record at a time.
Memory grows with the rows of a batch, not of the study. The whole file is read from one snapshot
(``exports.stream.snapshot``).
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, Max
from django.db.models.functions import Cast
from django.utils import timezone
from lxml import etree

from core.choices import SignatureMeaning, SignatureStatus
from core.models import Signature
from patients.selectors import patient_list
from trial.selectors import sites_for_user, trial_by_nct_id

from .datasets import AGE, DATASETS, DATE, RECORD_DATASETS, Column, Dataset
from .deidentify import transform
from .stream import columns_of, rows, snapshot

NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ODM_VERSION = "1.3.2"
# The datasets of records, each one model's rows (a plain Dataset). A dataset made from other records' histories or
# signatures (a Dataset of its own kind) is not an item group: the file gives those as AuditRecord and Signature.
DATASETS_READ = tuple(d.name for d in RECORD_DATASETS)
CHUNK_PATIENTS = 100
CHUNK_ROWS = 20_000
FLUSH_RECORDS = 200  # records written between two looks at the file's size
CHUNK_BYTES = 64 * 1024

METADATA_VERSION_OID = "MDV.1"
STUDY_EVENT_OID = "SE.STUDY"
SYSTEM_USER_OID = "USR.SYSTEM"  # history rows written by the system (loaders, tasks) have no user
KEY_COLUMNS = ("subject_id", "record_id")  # SubjectKey and ItemGroupRepeatKey, not items
PROTOCOL_VERSION_COLUMN = "protocol_version"
LEGAL_REASON = (
    "Electronic signature (21 CFR Part 11, 11.50, 11.70 and 11.200): the signer re-entered their password; any "
    "change to the record after signing voids the signature."
)
ODM_TYPES = {
    "text": "text",
    "integer": "integer",
    "decimal": "float",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
    "list": "text",  # JSON, as in the CSV
}
# When a record was changed or signed is a date of the patient's: moved by their offset when de-identified.
EVENT_TIME = Column("event_time", "", "Time of the change or signature", "datetime", "", DATE)


def _tag(name: str) -> str:
    return f"{{{NS}}}{name}"


def _root(name: str, **attrib) -> etree._Element:
    """An element written on its own, declaring the ODM namespace once for its subtree."""
    return etree.Element(_tag(name), attrib, nsmap={None: NS})


def _add(parent, name: str, text: str | None = None, **attrib) -> etree._Element:
    element = etree.SubElement(parent, _tag(name), attrib)
    if text is not None:
        element.text = text
    return element


def _translated(parent, name: str, text: str) -> etree._Element:
    element = _add(parent, name)
    _add(element, "TranslatedText", text).set(XML_LANG, "en")
    return element


def group_oid(dataset: Dataset) -> str:
    return f"IG.{dataset.name.upper()}"


def form_oid(dataset: Dataset) -> str:
    return f"F.{dataset.name.upper()}"


def item_oid(dataset: Dataset, column: Column) -> str:
    return f"IT.{dataset.name.upper()}.{column.name.upper()}"


def codelist_oid(dataset: Dataset, column: Column) -> str:
    return f"CL.{dataset.name.upper()}.{column.name.upper()}"


def location_oid(site_code: str) -> str:
    return f"LOC.{site_code}"


def user_oid(user_id: int | None) -> str:
    return SYSTEM_USER_OID if user_id is None else f"USR.{user_id}"


def signature_def_oid(meaning: str) -> str:
    return f"SD.{meaning.upper()}"


def items_of(dataset: Dataset, *, deidentified: bool) -> list[Column]:
    """The columns written as ItemData: those of the file but the two keys."""
    return [c for c in columns_of(dataset, deidentified=deidentified) if c.name not in KEY_COLUMNS]


def data_type(column: Column, *, deidentified: bool) -> str:
    if deidentified and column.identifying == AGE:
        return "text"  # "90+"
    return ODM_TYPES[column.type]


# Characters XML 1.0 cannot carry (control characters but tab, newline and carriage return): typed text may hold one.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _value(text: str, odm_type: str) -> str:
    """A value as the CSV writes it, but a decimal in plain notation (``0E-8`` is not an ODM float) and without the
    characters XML cannot carry (each becomes U+FFFD)."""
    if odm_type == "float" and "E" in text.upper():
        return format(Decimal(text), "f")
    return NOT_XML.sub("\ufffd", text)


def _repeating(dataset: Dataset) -> str:
    """No for one record per patient (the patient, their baseline, their death), Yes otherwise."""
    if not dataset.patient_lookup:
        return "No"
    if "__" in dataset.patient_lookup:
        return "Yes"
    return "No" if dataset.model._meta.get_field(dataset.patient_lookup).one_to_one else "Yes"


def _study(trial, versions, *, deidentified: bool) -> etree._Element:
    """``Study`` with its metadata: the trial, the units, and the datasets as forms, item groups and items."""
    study = _root("Study", OID=trial.nct_id)
    globals_ = _add(study, "GlobalVariables")
    _add(globals_, "StudyName", trial.short_title)
    _add(globals_, "StudyDescription", trial.title)
    _add(globals_, "ProtocolName", trial.nct_id)

    datasets = RECORD_DATASETS
    units: dict[str, str] = {}
    for dataset in datasets:
        for column in items_of(dataset, deidentified=deidentified):
            if column.unit and column.unit not in units:
                units[column.unit] = f"MU.{len(units) + 1}"
    basic = _add(study, "BasicDefinitions")
    for unit, oid in units.items():
        _translated(_add(basic, "MeasurementUnit", OID=oid, Name=unit), "Symbol", unit)

    described = "; ".join(f"{v.name} ({v.code}), effective {v.effective_date.isoformat()}" for v in versions)
    mdv = _add(
        study, "MetaDataVersion", OID=METADATA_VERSION_OID, Name="Datasets and data dictionary",
        Description=f"The datasets of the export, one form each. Protocol versions: {described or 'none loaded'}.",
    )  # fmt: skip
    protocol = _add(mdv, "Protocol")
    _translated(protocol, "Description", f"{trial.nct_id}. Protocol versions: {described or 'none loaded'}.")
    _add(protocol, "StudyEventRef", StudyEventOID=STUDY_EVENT_OID, OrderNumber="1", Mandatory="Yes")
    event = _add(mdv, "StudyEventDef", OID=STUDY_EVENT_OID, Name="Study", Repeating="No", Type="Common")
    _translated(event, "Description", "Every record of the patient, one form per dataset.")
    for number, dataset in enumerate(datasets, 1):
        _add(event, "FormRef", FormOID=form_oid(dataset), OrderNumber=str(number), Mandatory="No")
    for dataset in datasets:
        form = _add(mdv, "FormDef", OID=form_oid(dataset), Name=dataset.label, Repeating="No")
        _add(form, "ItemGroupRef", ItemGroupOID=group_oid(dataset), Mandatory="No")
    for dataset in datasets:
        group = _add(mdv, "ItemGroupDef", OID=group_oid(dataset), Name=dataset.name, Repeating=_repeating(dataset))
        _translated(group, "Description", dataset.description or dataset.label)
        for number, column in enumerate(items_of(dataset, deidentified=deidentified), 1):
            _add(group, "ItemRef", ItemOID=item_oid(dataset, column), OrderNumber=str(number), Mandatory="No")
        _add(group, "Alias", Context="source", Name=f"{dataset.model._meta.app_label}.{dataset.model.__name__}")
    codelists = []
    version_codes = tuple((v.code, v.name) for v in versions)
    for dataset in datasets:
        for column in items_of(dataset, deidentified=deidentified):
            odm_type = data_type(column, deidentified=deidentified)
            item = _add(mdv, "ItemDef", OID=item_oid(dataset, column), Name=column.name, DataType=odm_type)
            _translated(item, "Description", column.label)
            if column.unit:
                _add(item, "MeasurementUnitRef", MeasurementUnitOID=units[column.unit])
            allowed = column.allowed or (version_codes if column.name == PROTOCOL_VERSION_COLUMN else ())
            if allowed:
                _add(item, "CodeListRef", CodeListOID=codelist_oid(dataset, column))
                codelists.append((dataset, column, "integer" if odm_type == "integer" else "text", allowed))
            _add(item, "Alias", Context="source", Name=column.source)
    for dataset, column, odm_type, allowed in codelists:
        codelist = _add(mdv, "CodeList", OID=codelist_oid(dataset, column), Name=column.name, DataType=odm_type)
        for code, label in allowed:
            _translated(_add(codelist, "CodeListItem", CodedValue=code), "Decode", label)
    return study


def _scoped(dataset: Dataset, user):
    """The ids of the dataset's records the user may export (a subquery)."""
    return dataset.rows(user).order_by().values("pk")


def _as_object_ids(records):
    """Record ids as the text a signature's generic ``object_id`` holds (a subquery)."""
    return records.order_by().annotate(object_key=Cast("pk", CharField())).values("object_key")


def _valid_signatures(dataset: Dataset, records):
    content_type = ContentType.objects.get_for_model(dataset.model)
    return Signature.objects.filter(
        content_type=content_type, object_id__in=_as_object_ids(records), status=SignatureStatus.VALID
    )


def _people(user) -> list:
    """Everyone who changed or validly signed a record of the user's sites, once (for ``AdminData``)."""
    ids = set()
    for dataset in RECORD_DATASETS:
        history = dataset.model.history.filter(id__in=_scoped(dataset, user)).order_by()
        ids.update(history.values_list("history_user_id", flat=True).distinct())
        ids.update(_valid_signatures(dataset, _scoped(dataset, user)).order_by().values_list("signer_id", flat=True))
    ids.discard(None)
    return list(get_user_model().objects.filter(pk__in=ids).order_by("pk"))


def _admin_data(user, study: str, versions) -> etree._Element:
    admin = _root("AdminData", StudyOID=study)
    system = _add(admin, "User", OID=SYSTEM_USER_OID, UserType="Other")
    _add(system, "DisplayName", "System (loaders and scheduled tasks)")
    for person in _people(user):
        entry = _add(admin, "User", OID=user_oid(person.pk))
        _add(entry, "LoginName", person.get_username())
        _add(entry, "FullName", person.signature_name)
    effective = min((v.effective_date for v in versions), default=timezone.now().date())
    for site in sites_for_user(user).order_by("code"):
        location = _add(admin, "Location", OID=location_oid(site.code), Name=site.name, LocationType="Site")
        _add(
            location, "MetaDataVersionRef", StudyOID=study, MetaDataVersionOID=METADATA_VERSION_OID,
            EffectiveDate=effective.isoformat(),
        )  # fmt: skip
    for meaning in SignatureMeaning:
        signature_def = _add(admin, "SignatureDef", OID=signature_def_oid(meaning.value), Methodology="Electronic")
        _add(signature_def, "Meaning", meaning.label)
        _add(signature_def, "LegalReason", LEGAL_REASON)
    return admin


def _latest_changes(dataset: Dataset, records) -> dict[int, tuple]:
    """record id → (history id, when, user id, reason) of the record's newest history row."""
    history = dataset.model.history
    newest = history.filter(id__in=records.order_by().values("pk")).order_by().values("id")
    newest = newest.annotate(newest=Max("history_id")).values("newest")
    read = ("id", "history_id", "history_date", "history_user_id", "history_change_reason")
    return {row[0]: row[1:] for row in history.filter(history_id__in=newest).order_by().values_list(*read)}


def _signatures(dataset: Dataset, records) -> dict[int, tuple]:
    """record id → (signature id, signer id, meaning, when) of the record's latest valid signature."""
    signatures = _valid_signatures(dataset, records).order_by("signed_at", "pk")
    read = ("object_id", "pk", "signer_id", "meaning", "signed_at")
    return {int(row[0]): row[1:] for row in signatures.values_list(*read)}  # the latest signature wins


class _Chunk:
    """What one chunk of patients holds: per subject and dataset, the rows as the CSV writes them, and per dataset
    the records' latest changes and signatures."""

    def __init__(self):
        self.rows: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
        self.changes: dict[str, dict[int, tuple]] = {}
        self.signatures: dict[str, dict[int, tuple]] = {}
        self.read = 0


@dataclass(frozen=True)
class _Narrowed(Dataset):
    """A dataset over a few patients' records only: what ``exports.stream.rows`` reads for one chunk of patients."""

    patient_ids: tuple[int, ...] = ()

    @classmethod
    def of(cls, dataset: Dataset, patient_ids) -> _Narrowed:
        return cls(**{f.name: getattr(dataset, f.name) for f in fields(Dataset)}, patient_ids=tuple(patient_ids))

    def rows(self, user):
        lookup = f"{self.patient_lookup}__in" if self.patient_lookup else "pk__in"
        return super().rows(user).filter(**{lookup: self.patient_ids})


def _read_chunk(user, patient_ids: list[int], *, deidentified: bool, keys) -> _Chunk:
    chunk = _Chunk()
    for dataset in RECORD_DATASETS:
        narrowed = _Narrowed.of(dataset, patient_ids)
        lines = rows(narrowed, user, deidentified=deidentified, keys=keys)
        header = next(lines)
        for line in lines:
            row = dict(zip(header, line, strict=True))
            chunk.rows[row["subject_id"]][dataset.name].append(row)
            chunk.read += 1
        chunk.changes[dataset.name] = _latest_changes(dataset, narrowed.rows(user))
        chunk.signatures[dataset.name] = _signatures(dataset, narrowed.rows(user))
    return chunk


def _time(moment, key, *, deidentified: bool) -> str:
    if deidentified:
        moment = transform(EVENT_TIME, moment, key)
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class _Layout:
    """How a dataset's records are written: its OIDs, its history table, and its items (name, OID, ODM type)."""

    dataset: Dataset
    group_oid: str
    form_oid: str
    history_table: str
    items: tuple[tuple[str, str, str], ...]

    @classmethod
    def of(cls, dataset: Dataset, *, deidentified: bool) -> _Layout:
        items = tuple(
            (c.name, item_oid(dataset, c), data_type(c, deidentified=deidentified))
            for c in items_of(dataset, deidentified=deidentified)
        )
        table = dataset.model.history.model._meta.db_table
        return cls(dataset, group_oid(dataset), form_oid(dataset), table, items)


ITEM_DATA = _tag("ItemData")


def _item_group(layout: _Layout, row, chunk: _Chunk, site: str, key, *, deidentified: bool, parent) -> None:
    name, record_id = layout.dataset.name, row["record_id"]
    group = _add(parent, "ItemGroupData", ItemGroupOID=layout.group_oid, ItemGroupRepeatKey=record_id)
    change = chunk.changes[name].get(int(record_id))
    if change is not None:
        history_id, changed_at, changed_by, reason = change
        audit = _add(group, "AuditRecord")
        _add(audit, "UserRef", UserOID=user_oid(changed_by))
        _add(audit, "LocationRef", LocationOID=location_oid(site))
        _add(audit, "DateTimeStamp", _time(changed_at, key, deidentified=deidentified))
        if reason and not deidentified:  # free text
            _add(audit, "ReasonForChange", reason)
        _add(audit, "SourceID", f"{layout.history_table}:{history_id}")
    signature = chunk.signatures[name].get(int(record_id))
    if signature is not None:
        signature_id, signer, meaning, signed_at = signature
        signed = _add(group, "Signature", ID=f"SIG.{signature_id}")
        _add(signed, "UserRef", UserOID=user_oid(signer))
        _add(signed, "LocationRef", LocationOID=location_oid(site))
        _add(signed, "SignatureRef", SignatureOID=signature_def_oid(meaning))
        _add(signed, "DateTimeStamp", _time(signed_at, key, deidentified=deidentified))
    for column, oid, odm_type in layout.items:
        text = row[column]
        if text != "":  # an empty value is an absent ItemData
            etree.SubElement(group, ITEM_DATA, ItemOID=oid, Value=_value(text, odm_type))


def _write_subject(xf, subject_key: str, site: str, key, chunk: _Chunk, layouts, *, deidentified: bool, counts):
    """One ``SubjectData``, written record by record: only one record's elements are ever built at a time."""
    with xf.element(_tag("SubjectData"), SubjectKey=subject_key):
        xf.write(_root("SiteRef", LocationOID=location_oid(site)))
        with xf.element(_tag("StudyEventData"), StudyEventOID=STUDY_EVENT_OID):
            by_dataset = chunk.rows.pop(subject_key, {})
            for layout in layouts:
                records = by_dataset.get(layout.dataset.name)
                if not records:
                    continue
                with xf.element(_tag("FormData"), FormOID=layout.form_oid):
                    for row in records:
                        holder = _root("Holder")
                        _item_group(layout, row, chunk, site, key, deidentified=deidentified, parent=holder)
                        xf.write(holder[0])
                        yield
                counts[layout.dataset.name] = counts.get(layout.dataset.name, 0) + len(records)


def _patient_rows(user) -> dict[int, int]:
    """patient id → rows of all the record datasets, one grouped count per dataset."""
    rows: dict[int, int] = defaultdict(int)
    for dataset in RECORD_DATASETS:
        patient = dataset.patient_lookup or "pk"
        for patient_id, n in dataset.rows(user).order_by().values_list(patient).annotate(n=Count("pk")):
            rows[patient_id] += n
    return rows


def _batches(user) -> Iterator[list[tuple]]:
    """The user's patients (id, subject id, site code) in batches of at most ``CHUNK_PATIENTS`` patients and about
    ``CHUNK_ROWS`` rows (a patient with more rows than that is a batch alone), so memory is bounded by the rows of a
    batch however the rows are spread over the patients."""
    sizes = _patient_rows(user)
    patients = patient_list(user).order_by("pk").values_list("pk", "subject_id", "site__code")
    batch, rows = [], 0
    for patient in patients.iterator(chunk_size=CHUNK_PATIENTS):
        n = sizes.get(patient[0], 0)
        if batch and (len(batch) >= CHUNK_PATIENTS or rows + n > CHUNK_ROWS):
            yield batch
            batch, rows = [], 0
        batch.append(patient)
        rows += n
    if batch:
        yield batch


def _write_subjects(xf, user, *, deidentified: bool, keys, progress, counts) -> Iterator[None]:
    """Every ``SubjectData`` of the user's sites, read a batch of patients at a time (``_batches``); yields after
    each record written, so the caller can hand the file on as it grows."""
    subject_column = DATASETS["patients"].column("subject_id")
    layouts = [_Layout.of(d, deidentified=deidentified) for d in RECORD_DATASETS]
    for batch in _batches(user):
        chunk = _read_chunk(user, [pk for pk, _, _ in batch], deidentified=deidentified, keys=keys)
        for _, subject_id, site in batch:
            key = (keys or {}).get(subject_id)
            subject_key = transform(subject_column, subject_id, key) if deidentified else subject_id
            yield from _write_subject(xf, subject_key, site, key, chunk, layouts, deidentified=deidentified,
                                      counts=counts)  # fmt: skip
        if progress is not None:
            progress(chunk.read)


def odm_chunks(
    user,
    *,
    study: str,
    deidentified: bool,
    keys: dict | None,
    progress: Callable[[int], None] | None = None,
    counts: dict | None = None,
) -> Iterator[bytes]:
    """The user's sites' study as one ODM 1.3.2 file, in UTF-8 chunks of about ``CHUNK_BYTES``.

    ``study`` is the trial's NCT id; ``keys`` (subject id → (pseudonym, offset days), from
    ``exports.deidentify.subject_keys``) is needed when ``deidentified``. ``progress(n)`` is told the source rows
    read since its last call, once per chunk of patients; ``counts`` gets the rows written per dataset name."""
    counts = {} if counts is None else counts
    buffer = io.BytesIO()

    def take() -> bytes:
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data

    with snapshot():
        trial = trial_by_nct_id(study)
        versions = list(trial.protocol_versions.order_by("effective_date"))
        now = timezone.now().astimezone(UTC)
        attributes = {
            "FileType": "Snapshot", "FileOID": f"{study}.ODM.{now:%Y%m%dT%H%M%S%fZ}",
            "CreationDateTime": now.isoformat(), "AsOfDateTime": now.isoformat(), "ODMVersion": ODM_VERSION,
            "Description": f"{'De-identified (HIPAA Safe Harbor)' if deidentified else 'Identified'} export of "
            f"{study} for {user.get_username()}",
            "SourceSystem": f"{study} trial data system",
        }  # fmt: skip
        with etree.xmlfile(buffer, encoding="UTF-8") as xf:
            xf.write_declaration()
            with xf.element(_tag("ODM"), attributes, nsmap={None: NS}):
                xf.write(_study(trial, versions, deidentified=deidentified))
                xf.flush()
                yield take()  # the metadata goes out before anything is read
                xf.write(_admin_data(user, study, versions))
                with xf.element(_tag("ClinicalData"), StudyOID=study, MetaDataVersionOID=METADATA_VERSION_OID):
                    records = _write_subjects(xf, user, deidentified=deidentified, keys=keys, progress=progress,
                                              counts=counts)  # fmt: skip
                    for written, _ in enumerate(records, start=1):
                        if written % FLUSH_RECORDS == 0:
                            xf.flush()
                            if buffer.tell() >= CHUNK_BYTES:
                                yield take()
        yield take()
