"""Bringing the database in line with data files, one table of rows per model, through the audited helpers.

A loader describes what the files say the database must hold as a list of :class:`Table` (model, natural key,
rows, the saved rows the files cover), parents before children, and calls :func:`load_tables`, which

1. checks every row against its model's fields (lengths, choices, digits), reporting every problem before
   anything is written;
2. then, in one transaction, matches each row with the saved row of the same natural key: a new row is created,
   a row whose values differ is updated (``audited_update``: the reason names the file and its checksum, the
   report shows old → new), an unchanged row is left alone (no write, no history row), and saved rows no longer
   in the files are deleted last, children first (refused while other records refer to them).

A row refers to another loaded row by that row's natural key: ``{"drug": (trial_key, "vincristine")}``, where a
natural key is the tuple of the key fields' values, a relation given by the related row's natural key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError

from core.audit.writes import audited_bulk_create, audited_create, audited_delete, audited_update, changed_fields
from core.formatting import plain_number

from .files import DataFile, DataLoadError, Errors
from .report import DataLoadReport, ModelCounts

CANNOT_DELETE = "is no longer in the data files but cannot be removed: other records still refer to it ({refs})"
LISTED_TWICE = "is listed twice"


@dataclass(frozen=True)
class Source:
    """What rows were read from, as the audit trail's reasons quote it: what is loaded and the file(s)."""

    what: str  # e.g. "Protocol data"
    files: tuple[DataFile, ...]

    @property
    def name(self) -> str:
        """The file named in error messages."""
        return self.files[0].name

    @property
    def _files(self) -> str:
        return ", ".join(str(f) for f in self.files)

    @property
    def create_reason(self) -> str:
        return f"{self.what} load: {self._files}"

    @property
    def update_reason(self) -> str:
        return f"{self.what} reload: {self._files}"

    @property
    def delete_reason(self) -> str:
        return f"{self.what} reload: {self._files}: no longer in the file"


@dataclass
class Table:
    """One model's rows as the files give them, and the saved rows they replace.

    ``key``: the natural key's fields. ``rows``: field values, relations as the related row's natural key.
    ``existing``: the saved rows these files cover (those not matched by a row are deleted); their relations in
    ``key`` must point to rows of earlier tables. ``label(key, values)`` names a row in the report and in errors
    (``values``: the row's, or for a saved row no longer in the files its saved field values). ``source``: what
    the rows were read from, or a function of the natural key giving it. ``bulk_create``: create new rows in bulk
    (one history row each), for large tables.
    """

    model: type[models.Model]
    key: tuple[str, ...]
    rows: list[dict]
    existing: models.QuerySet
    label: Callable[[tuple, Mapping], str]
    source: Source | Callable[[tuple], Source]
    bulk_create: bool = False
    _relations: dict = field(init=False, repr=False)

    def __post_init__(self):
        self._relations = {f.name: f for f in self.model._meta.concrete_fields if f.is_relation}

    def key_of(self, row: Mapping) -> tuple:
        return tuple(row[name] for name in self.key)

    def source_of(self, key: tuple) -> Source:
        return self.source(key) if callable(self.source) else self.source


def describe(value) -> str:
    """A value as the report shows it in "old → new"."""
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, models.Model):
        return repr(value.code) if isinstance(getattr(value, "code", None), str) else str(value)
    if isinstance(value, str):  # on one line, long texts cut (a checksum is shown whole)
        text = " ".join(value.split())
        return repr(text if len(text) <= 80 else text[:77] + "...")
    return str(value)


def _saved_values(obj) -> dict:
    return {f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [f"{name}: {m}" if name != "__all__" else m for name, msgs in exc.message_dict.items() for m in msgs]
    return list(exc.messages)


def check_tables(tables: list[Table], errors: Errors) -> None:
    """Check every row against its model's fields (without the database), and that no natural key repeats."""
    for table in tables:
        seen = set()
        for row in table.rows:
            key = table.key_of(row)
            file, label = table.source_of(key).name, table.label(key, row)
            if key in seen:
                errors.add(file, label, LISTED_TWICE)
            seen.add(key)
            values = {name: value for name, value in row.items() if name not in table._relations}
            try:
                table.model(**values).clean_fields(
                    exclude=[f.name for f in table.model._meta.fields if f.name not in values]
                )
            except ValidationError as exc:
                for message in _messages(exc):
                    errors.add(file, label, message)


def load_tables(
    tables: list[Table], *, actor, report: DataLoadReport, error: type[DataLoadError] = DataLoadError
) -> dict[type, dict[tuple, models.Model]]:
    """Bring the database in line with ``tables`` (see the module's docstring), counting in ``report``.

    Raises ``error`` (nothing written) when a row is invalid or a row to delete is still referred to.
    Returns the saved rows by model and natural key.
    """
    errors = Errors()
    check_tables(tables, errors)
    if errors:
        raise error(errors.messages)
    with transaction.atomic():
        return _Load(actor, report, error).run(tables)


class _Load:
    def __init__(self, actor, report: DataLoadReport, error: type[DataLoadError]):
        self.actor, self.report, self.error = actor, report, error
        self.saved: dict[type, dict[tuple, models.Model]] = {}
        self.keys_by_pk: dict[type, dict[Any, tuple]] = {}

    def counts(self, model) -> ModelCounts:
        return self.report.counts.setdefault(model.__name__, ModelCounts())

    def run(self, tables: list[Table]):
        stale = []
        for table in tables:
            model = table.model
            existing = {self._saved_key(table, obj): obj for obj in table.existing}
            self.keys_by_pk[model] = {obj.pk: key for key, obj in existing.items()}
            saved = self.saved[model] = {}
            new = []
            for row in table.rows:
                key = table.key_of(row)
                values = self._resolve(table, row)
                obj = existing.pop(key, None)
                if obj is None:
                    new.append((key, row, values))
                else:
                    saved[key] = self._update(table, key, row, obj, values)
            for key, obj in self._create(table, new):
                saved[key] = obj
                self.keys_by_pk[model][obj.pk] = key
            stale.append((table, existing))
        for table, existing in reversed(stale):
            for key, obj in existing.items():
                self._delete(table, key, obj)
        return self.saved

    def _saved_key(self, table: Table, obj) -> tuple:
        parts = []
        for name in table.key:
            relation = table._relations.get(name)
            if relation is None:
                parts.append(getattr(obj, name))
                continue
            pk = getattr(obj, relation.attname)
            try:
                parts.append(None if pk is None else self.keys_by_pk[relation.related_model][pk])
            except KeyError:
                raise LookupError(
                    f"{table.model.__name__} {obj.pk}: its {name} is not among the saved rows of an earlier table"
                ) from None
        return tuple(parts)

    def _resolve(self, table: Table, row: Mapping) -> dict:
        values = dict(row)
        for name, relation in table._relations.items():
            value = row.get(name)
            if value is None or isinstance(value, models.Model):
                continue
            try:
                values[name] = self.saved[relation.related_model][value]
            except KeyError:
                raise LookupError(
                    f"{table.model.__name__} {table.key_of(row)}: {name} {value!r} is not a row loaded before it"
                ) from None
        return values

    def _failure(self, source: Source, label: str, exc: ValidationError) -> DataLoadError:
        return self.error([f"{source.name}: {label}: {m}" for m in _messages(exc)])

    def _update(self, table: Table, key, row, obj, values):
        counts = self.counts(table.model)
        differing = changed_fields(obj, values)
        if not differing:  # nothing written, not even a savepoint
            counts.unchanged += 1
            return obj
        # Related records as users read them (not ids), taken before the update replaces them.
        old_related = {name: getattr(obj, name) for name in differing if name in table._relations}
        source, label = table.source_of(key), table.label(key, row)
        try:
            obj, diff = audited_update(obj, actor=self.actor, reason=source.update_reason, **values)
        except ValidationError as exc:
            raise self._failure(source, label, exc) from exc
        counts.updated += 1
        shown = {
            name: (old_related[name], values[name]) if name in old_related else (old, new)
            for name, (old, new) in diff.items()
        }
        changes = "; ".join(f"{name} {describe(old)} → {describe(new)}" for name, (old, new) in shown.items())
        self.report.changes.append(f"{table.model.__name__} {label}: {changes}")
        return obj

    def _create(self, table: Table, new: list) -> list[tuple[tuple, models.Model]]:
        model, created = table.model, []
        if table.bulk_create:
            by_source: dict[Source, list] = {}
            for key, _row, values in new:
                by_source.setdefault(table.source_of(key), []).append((key, model(**values)))
            for source, pairs in by_source.items():
                try:
                    objs = audited_bulk_create(
                        model, [obj for _key, obj in pairs], actor=self.actor, reason=source.create_reason
                    )
                except ValidationError as exc:
                    raise self._failure(source, f"{len(pairs)} new rows", exc) from exc
                created += [(key, obj) for (key, _obj), obj in zip(pairs, objs, strict=True)]
        else:
            for key, row, values in new:
                source = table.source_of(key)
                try:
                    obj = audited_create(model(**values), actor=self.actor, reason=source.create_reason)
                except ValidationError as exc:
                    raise self._failure(source, table.label(key, row), exc) from exc
                created.append((key, obj))
        self.counts(model).created += len(created)
        return created

    def _delete(self, table: Table, key, obj):
        source, label = table.source_of(key), table.label(key, _saved_values(obj))
        try:
            audited_delete(obj, actor=self.actor, reason=source.delete_reason)
        except ProtectedError as exc:
            refs = ", ".join(sorted({f"{type(o).__name__} {o.pk}" for o in exc.protected_objects})[:5])
            raise self.error([f"{source.name}: {label}: {CANNOT_DELETE.format(refs=refs)}"]) from exc
        self.counts(table.model).deleted += 1
        self.report.deletions.append(f"{table.model.__name__} {label}")
