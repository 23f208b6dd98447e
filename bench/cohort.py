"""A large realistic cohort, fast: the reference cohort entered through the services, then cloned in bulk.

``grow_to(n)`` builds the 110-patient reference cohort once (``manage.py reference_cohort``: every record through
the audited services, so the templates are real data), then copies its patients until the trial has ``n``
registered patients. Each clone is a whole patient: every row that hangs off a patient (found from the models'
foreign keys, not listed by hand) is copied with ``bulk_create`` in dependency order, its foreign keys pointing at
the clone's own copies, with one history row per copied row (history tables only refuse UPDATE and DELETE).
Clones get new subject IDs, sequence numbers and MRNs, are spread over a few bench sites, and each has all its
dates shifted by a whole number of days so that registration periods vary (never past today).

Clones skip ``full_clean`` (their templates passed it) and the audited-write listeners (the safety engine is not
re-run: the templates' flags are cloned instead; the cache is cleared at the end). Works on PostgreSQL and SQLite;
prints rows per second. Run again on the same database, it only adds the patients that are missing.
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
from django.db import models, transaction
from django.db.models import F, Max
from django.db.models.base import ModelState
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
SEED = 12


class CloneError(RuntimeError):
    """A model hanging off a patient has a unique value the cloner does not know how to rewrite."""


@dataclass
class Relation:
    """How rows of one model hang off a patient: the lookup to the patient and the foreign keys to remap."""

    model: type[models.Model]
    owner_lookup: str  # from the model to its patient's id ("pk" for Patient, "course__patient" …)
    remapped: dict[str, type[models.Model]]  # attname of a foreign key to another cloned model -> that model
    attnames: list[str]
    shifted: list[str]  # date and datetime fields moved by the clone's shift (not the bookkeeping stamps)
    clinical_dates: list[str]  # the date-only fields among them (what "never past today" is checked on)
    audited: bool


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
            if model in owned or _is_history(model) or model._meta.proxy:
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
                remapped={f.attname: f.related_model for f in concrete if f.is_relation and f.related_model in owned},
                attnames=[f.attname for f in concrete if not f.primary_key],
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
                audited=_has_history(model),
            )
        )
    _check_unique_values(relations)
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
        copies, sources = [], []
        for clone in clones:
            for row in clone.template.rows[r.model]:
                copies.append(_copy(r, row, clone))
                sources.append((clone, row.pk))
        if not copies:
            continue
        manager = r.model._default_manager.all()
        if hasattr(manager, "_audited"):
            manager = manager._audited()  # the guard's bulk path: the history rows are written just below
        created = manager.bulk_create(copies, batch_size=BATCH_SIZE)
        if any(obj.pk is None for obj in created):
            raise CloneError("The database did not return primary keys; the clones' rows cannot be linked.")
        for (clone, old_pk), obj in zip(sources, created, strict=True):
            clone.new_ids.setdefault(r.model, {})[old_pk] = obj.pk
        if r.audited:
            get_history_manager_for_model(r.model).bulk_history_create(
                created, batch_size=BATCH_SIZE, default_change_reason=CLONE_REASON, default_date=now
            )
            stats.history_rows += len(created)
        stats.rows += len(created)
        label = r.model._meta.label
        stats.by_model[label] = stats.by_model.get(label, 0) + len(created)


def _copy(r: Relation, row: models.Model, clone: Clone) -> models.Model:
    obj = r.model.__new__(r.model)
    values = {name: row.__dict__[name] for name in r.attnames}
    for name, target in r.remapped.items():
        old = values[name]
        if old is not None:
            values[name] = clone.new_ids[target][old]
    for name in r.shifted:
        if values[name] is not None:
            values[name] = values[name] + clone.shift
    if r.model is Patient:
        values.update(
            site_id=clone.site.pk,
            subject_id=SUBJECT_ID_FORMAT.format(site_code=clone.site.code, number=clone.subject_number),
            sequence_number=clone.sequence_number,
            given_name="Bench",
            family_name=f"Clone of {clone.template.subject_id}",
            medical_record_number=f"{clone.site.code}{clone.sequence_number:07d}",
        )
    elif r.model._meta.label == "safety.Flag":  # dedup_key: "<rule>:<patient id>:<what it concerns>"
        rule, _patient, concerns = values["dedup_key"].split(":", 2)
        values["dedup_key"] = f"{rule}:{values['patient_id']}:{concerns}"
    values[r.model._meta.pk.attname] = None
    obj.__dict__.update(values)
    obj._state = ModelState()
    return obj
