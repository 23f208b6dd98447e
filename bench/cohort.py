"""A large realistic cohort, fast: the reference cohort entered through the services, then cloned in bulk.

``grow_to(n)`` builds the 110-patient reference cohort once (``manage.py reference_cohort``: every record through
the audited services, so the templates are real data), then copies its patients until the trial has ``n``
registered patients. Each clone is a whole patient: every row that hangs off a patient (found from the models'
foreign keys, not listed by hand) is copied in dependency order, its foreign keys pointing at the clone's own
copies, with one history row per copied row (history tables only refuse UPDATE and DELETE). The copies go in as
multi-row INSERTs of the values the ORM would write (``get_db_prep_save``, prepared once per template row):
``bulk_create`` spends most of its time preparing each value again, and is four to five times slower.
Clones get new subject IDs, sequence numbers and MRNs, are spread over a few bench sites, and each has all its
dates shifted by a whole number of days so that registration periods vary (never past today).

Clones skip ``full_clean`` (their templates passed it) and the audited-write listeners (the safety engine is not
re-run: the templates' flags are cloned instead; the cache is cleared at the end). Records tied to a patient's rows
only through a generic relation (``core.Signature``) are not cloned; the reference cohort has none. Works on
PostgreSQL and SQLite; prints rows per second. Run again on the same database, it only adds the patients missing.
"""

from __future__ import annotations

import io
import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from graphlib import TopologicalSorter

from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, models, transaction
from django.db.models import F, Max
from django.utils import timezone
from simple_history.utils import get_history_manager_for_model

from core.audit.guard import AppendOnlyHistory
from patients.models import Patient
from patients.services.patient import SUBJECT_ID_FORMAT
from trial.models import Site, Trial
from trial.services import site_create

TRIAL = "NCT01371630"
TEMPLATE_SITE = "REF"  # the reference cohort's site (demo.management.commands.reference_cohort)
SITE_PREFIX = "BK"  # bench sites: BK1, BK2, …
MIN_SITES = 4
PATIENTS_PER_SITE = 9000  # subject IDs stay four digits (SUBJECT_ID_FORMAT)
SHIFT_DAYS = 3 * 365  # each clone's dates move by up to this many days, either way (never past today)
CHUNK_PATIENTS = 100  # clones written per transaction
BATCH_SIZE = 2000
CLONE_REASON = "Created (benchmark clone of a reference-cohort patient)"
# Apps whose per-patient rows are not trial data: an export's de-identification key is made at the first export.
NOT_CLONED_APPS = frozenset({"exports"})
SEED = 12


class CloneError(RuntimeError):
    """A model hanging off a patient has a unique value the cloner does not know how to rewrite."""


@dataclass
class Relation:
    """How rows of one model hang off a patient: the lookup to the patient, and how a copy's columns are made."""

    model: type[models.Model]
    owner_lookup: str  # from the model to its patient's id ("pk" for Patient, "course__patient" …)
    fields: list[models.Field]  # the columns written (every concrete field but the primary key)
    remapped: dict[str, type[models.Model]]  # attname of a foreign key to another cloned model -> that model
    shifted: list[str]  # date and datetime fields moved by the clone's shift (not the bookkeeping stamps)
    clinical_dates: list[str]  # the date-only fields among them (what "never past today" is checked on)
    history: tuple | None = None  # (table, columns, where each value comes from); None: the model keeps none

    def __post_init__(self):
        self.columns = [f.column for f in self.fields]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.remapped_at = [(self.index[name], target) for name, target in self.remapped.items()]
        self.shifted_at = [(self.index[name], self.fields[self.index[name]]) for name in self.shifted]
        self.stamps_at = [
            i for i, f in enumerate(self.fields) if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        self._now = None
        if _has_history(self.model):
            self.history = _history_spec(self.model, self.index)

    def prep_now(self, now):
        if self._now is None or self._now[0] != now:
            self._now = (now, models.DateTimeField().get_db_prep_save(now, connection))
        return self._now[1]


@dataclass
class CloneStats:
    patients: int = 0
    rows: int = 0
    history_rows: int = 0
    seconds: float = 0.0
    by_model: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return (self.rows + self.history_rows) / self.seconds if self.seconds else 0.0


def _is_history(model) -> bool:
    return issubclass(model, AppendOnlyHistory) or hasattr(model, "instance_type")


def _has_history(model) -> bool:
    try:
        get_history_manager_for_model(model)
    except Exception:  # noqa: BLE001 (simple-history raises NotHistoricalModelError, not exported everywhere)
        return False
    return True


def patient_relations() -> list[Relation]:
    """Every model whose rows belong to one patient (a required foreign key to Patient or to such a model),
    in dependency order (a row's targets before it)."""
    owned: dict[type, str] = {Patient: "pk"}
    changed = True
    while changed:
        changed = False
        for model in apps.get_models():
            if model in owned or _is_history(model) or model._meta.proxy or model._meta.app_label in NOT_CLONED_APPS:
                continue
            for f in model._meta.concrete_fields:
                if f.is_relation and not f.null and f.related_model in owned:
                    parent = owned[f.related_model]
                    owned[model] = f.name if parent == "pk" else f"{f.name}__{parent}"
                    changed = True
                    break
    graph = {
        model: {f.related_model for f in model._meta.concrete_fields if f.is_relation and f.related_model in owned}
        - {model}
        for model in owned
    }
    relations = []
    for model in TopologicalSorter(graph).static_order():
        concrete = model._meta.concrete_fields
        relations.append(
            Relation(
                model=model,
                owner_lookup=owned[model],
                fields=[f for f in concrete if not f.primary_key],
                remapped={f.attname: f.related_model for f in concrete if f.is_relation and f.related_model in owned},
                shifted=[
                    f.attname
                    for f in concrete
                    if isinstance(f, models.DateField) and not (getattr(f, "auto_now", False) or f.auto_now_add)
                ],
                clinical_dates=[
                    f.attname
                    for f in concrete
                    if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
                ],
            )
        )
    _check_unique_values(relations)
    for r in relations:
        if r.model._meta.many_to_many:
            raise CloneError(f"{r.model._meta.label} has many-to-many fields: teach bench.cohort to copy them.")
    return relations


# Unique values that are not made unique by a remapped foreign key, and how a clone rewrites them.
REWRITTEN = {("patients.Patient", "subject_id"), ("patients.Patient", "sequence_number"), ("safety.Flag", "dedup_key")}


def _check_unique_values(relations: list[Relation]) -> None:
    for r in relations:
        sets = [(f.attname,) for f in r.model._meta.concrete_fields if f.unique and not f.primary_key]
        sets += [
            tuple(r.model._meta.get_field(n).attname for n in c.fields) for c in r.model._meta.total_unique_constraints
        ]
        sets += [tuple(r.model._meta.get_field(n).attname for n in u) for u in r.model._meta.unique_together]
        for names in sets:
            if any(n in r.remapped for n in names) or all((r.model._meta.label, n) in REWRITTEN for n in names):
                continue
            raise CloneError(f"{r.model._meta.label} has unique {names}: teach bench.cohort how a clone rewrites it.")


@dataclass
class Template:
    """One reference patient and every row hanging off them, by model."""

    patient_id: int
    subject_id: str
    rows: dict[type, list[models.Model]]
    latest: date


def load_templates(relations: list[Relation], patient_ids: list[int]) -> list[Template]:
    by_patient = {pid: {r.model: [] for r in relations} for pid in patient_ids}
    for r in relations:
        lookup = r.owner_lookup
        qs = r.model._base_manager.filter(**{f"{lookup}__in": patient_ids}).annotate(bench_owner=F(lookup))
        for row in qs.order_by("pk"):
            by_patient[row.bench_owner][r.model].append(row)
    templates = []
    for pid in patient_ids:
        dates = [
            getattr(row, name)
            for r in relations
            for row in by_patient[pid][r.model]
            for name in r.clinical_dates
            if getattr(row, name) is not None
        ]
        patient = by_patient[pid][Patient][0]
        templates.append(Template(pid, patient.subject_id, by_patient[pid], max(dates, default=date.min)))
    return templates


def reference_cohort() -> list[int]:
    """The reference cohort's patient ids, entered through the services first if the database has none."""
    if not Patient.objects.filter(site__code=TEMPLATE_SITE).exists():
        started = time.perf_counter()
        call_command("reference_cohort", verbosity=0, stdout=io.StringIO())
        print(f"reference cohort (110 patients, audited services)  {time.perf_counter() - started:8.1f} s")
    return list(
        Patient.objects.filter(site__code=TEMPLATE_SITE).order_by("sequence_number").values_list("pk", flat=True)
    )


def bench_sites(trial: Trial, n_clones: int) -> list[Site]:
    wanted = max(MIN_SITES, math.ceil(n_clones / PATIENTS_PER_SITE))
    sites = []
    for number in range(1, wanted + 1):
        code = f"{SITE_PREFIX}{number}"
        site = Site.objects.filter(trial=trial, code=code).first()
        sites.append(site or site_create(actor=None, trial=trial, code=code, name=f"Bench site {number} (clones)"))
    return sites


def _last_subject_number(site: Site) -> int:
    prefix = SUBJECT_ID_FORMAT.format(site_code=site.code, number=0)[: len(site.code) + 1]
    ids = Patient.objects.filter(site=site, subject_id__startswith=prefix).values_list("subject_id", flat=True)
    return max((int(s[len(prefix) :]) for s in ids), default=0)


@dataclass
class Clone:
    template: Template
    sequence_number: int
    site: Site
    subject_number: int
    shift: timedelta
    new_ids: dict[type, dict[int, int]] = field(default_factory=dict)


def grow_to(n: int, *, seed: int = SEED, verbose: bool = True) -> CloneStats:
    """Clone reference-cohort patients until the trial has ``n`` registered patients."""
    template_ids = reference_cohort()
    trial = Trial.objects.get(nct_id=TRIAL)
    registered = Patient.objects.filter(site__trial=trial, sequence_number__isnull=False)
    missing = n - registered.count()
    stats = CloneStats()
    if missing <= 0:
        return stats
    started = time.perf_counter()
    relations = patient_relations()
    templates = load_templates(relations, template_ids)
    sites = bench_sites(trial, registered.exclude(site__code=TEMPLATE_SITE).count() + missing)
    next_subject = {site.pk: _last_subject_number(site) for site in sites}
    first_sequence = (registered.aggregate(top=Max("sequence_number"))["top"] or 0) + 1
    rng = random.Random(seed + first_sequence)
    today = timezone.localdate()
    clones = []
    for i in range(missing):
        template = templates[(first_sequence - 1 + i) % len(templates)]
        site = sites[i % len(sites)]
        next_subject[site.pk] += 1
        latest_shift = max(-SHIFT_DAYS, min(SHIFT_DAYS, (today - template.latest).days))
        shift = rng.randint(-SHIFT_DAYS, latest_shift)
        clones.append(Clone(template, first_sequence + i, site, next_subject[site.pk], timedelta(days=shift)))
    for start in range(0, len(clones), CHUNK_PATIENTS):
        _write_chunk(relations, clones[start : start + CHUNK_PATIENTS], stats)
        if verbose and (start // CHUNK_PATIENTS) % 20 == 19:
            elapsed = time.perf_counter() - started
            print(f"  cloned {start + CHUNK_PATIENTS:6d}/{missing} patients, {elapsed:6.1f} s")
    cache.clear()  # the clones skipped the audited-write listeners: drop whatever was derived from the data before
    stats.patients = missing
    stats.seconds = time.perf_counter() - started
    if verbose:
        print(
            f"cloned {missing} patients to {n}: {stats.rows} rows + {stats.history_rows} history rows in "
            f"{stats.seconds:.1f} s ({stats.rows_per_second:,.0f} rows/s)"
        )
    return stats


@transaction.atomic
def _write_chunk(relations: list[Relation], clones: list[Clone], stats: CloneStats) -> None:
    now = timezone.now()
    for r in relations:
        rows, sources = [], []
        for clone in clones:
            for row in clone.template.rows[r.model]:
                rows.append(_copy(r, row, clone, now))
                sources.append((clone, row.pk))
        if not rows:
            continue
        new_pks = _insert(r.model._meta.db_table, r.columns, rows, returning=r.model._meta.pk.column)
        if len(new_pks) != len(rows):
            raise CloneError("The database did not return primary keys; the clones' rows cannot be linked.")
        for (clone, old_pk), new_pk in zip(sources, new_pks, strict=True):
            clone.new_ids.setdefault(r.model, {})[old_pk] = new_pk
        if r.history is not None:
            table, columns, spec = r.history
            history_rows = [
                [values[i] if i >= 0 else (pk if i == PK else _history_value(i, r, now)) for i in spec]
                for values, pk in zip(rows, new_pks, strict=True)
            ]
            _insert(table, columns, history_rows)
            stats.history_rows += len(history_rows)
        stats.rows += len(rows)
        label = r.model._meta.label
        stats.by_model[label] = stats.by_model.get(label, 0) + len(rows)


# Where a history column's value comes from, when not from the copied row (a column index >= 0).
PK, HISTORY_DATE, HISTORY_REASON, HISTORY_TYPE, HISTORY_USER, HISTORY_HASH = -1, -2, -3, -4, -5, -6
HISTORY_COLUMNS = {
    "history_date": HISTORY_DATE,
    "history_change_reason": HISTORY_REASON,
    "history_type": HISTORY_TYPE,
    "history_user_id": HISTORY_USER,
    "history_hash": HISTORY_HASH,  # filled in by the audit chain once it exists
}


def _history_spec(model, columns_by_attname: dict[str, int]):
    """The history table, its columns and, for each, where its value comes from (see ``HISTORY_COLUMNS``)."""
    history = get_history_manager_for_model(model).model
    columns, spec = [], []
    for f in history._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.attname == model._meta.pk.attname:
            source = PK
        elif f.attname in columns_by_attname:
            source = columns_by_attname[f.attname]
        elif f.attname in HISTORY_COLUMNS:
            source = HISTORY_COLUMNS[f.attname]
        else:
            raise CloneError(f"{history._meta.label}.{f.attname}: teach bench.cohort what a clone's history row holds.")
        columns.append(f.column)
        spec.append(source)
    return history._meta.db_table, columns, spec


def _history_value(source: int, r: Relation, now):
    if source == HISTORY_DATE:
        return r.prep_now(now)
    return {HISTORY_REASON: CLONE_REASON, HISTORY_TYPE: "+", HISTORY_USER: None, HISTORY_HASH: ""}[source]


def _insert(table: str, columns: list[str], rows: list[list], *, returning: str | None = None) -> list:
    """INSERT db-ready ``rows`` in batches (one statement each); the new ``returning`` column values, in order."""
    quote = connection.ops.quote_name
    max_params = connection.features.max_query_params or 65535
    batch = max(1, min(BATCH_SIZE, max_params // len(columns)))
    # Only the models' own (quoted) table and column names go into the text; every value is a parameter.
    head = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES "  # noqa: S608
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    tail = f" RETURNING {quote(returning)}" if returning else ""
    new = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            cursor.execute(head + ", ".join([one] * len(part)) + tail, [v for row in part for v in row])
            if returning:
                new.extend(value for (value,) in cursor.fetchall())
    return new


def _copy(r: Relation, row: models.Model, clone: Clone, now) -> list:
    """The clone's copy of ``row``, as the database values of ``r.columns``."""
    base = row.__dict__.get("_bench_values")
    if base is None:  # the template's own values, prepared once
        base = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in r.fields]
        row.__dict__["_bench_values"] = base
    values = list(base)
    for i, target in r.remapped_at:
        if values[i] is not None:
            values[i] = clone.new_ids[target][values[i]]
    for i, f in r.shifted_at:
        value = getattr(row, f.attname)
        if value is not None:
            values[i] = f.get_db_prep_save(value + clone.shift, connection)
    stamp = r.prep_now(now)
    for i in r.stamps_at:
        values[i] = stamp
    at = r.index
    if r.model is Patient:
        values[at["site_id"]] = clone.site.pk
        values[at["subject_id"]] = SUBJECT_ID_FORMAT.format(site_code=clone.site.code, number=clone.subject_number)
        values[at["sequence_number"]] = clone.sequence_number
        values[at["given_name"]] = "Bench"
        values[at["family_name"]] = f"Clone of {clone.template.subject_id}"
        values[at["medical_record_number"]] = f"{clone.site.code}{clone.sequence_number:07d}"
    elif r.model._meta.label == "safety.Flag":  # dedup_key: "<rule>:<patient id>:<what it concerns>"
        rule, _patient, concerns = values[at["dedup_key"]].split(":", 2)
        values[at["dedup_key"]] = f"{rule}:{values[at['patient_id']]}:{concerns}"
    return values
