"""What the reference-data loaders (the protocol's, the CTCAE dictionary's) share.

A loader

1. reads its files (:func:`read_yaml`, :func:`read_csv`): a missing or malformed file is reported by name;
2. validates each item against its pydantic :class:`Schema` (:func:`validate`, :func:`validate_items`) and runs
   its own cross-checks, collecting every problem in an :class:`Errors` as ``<file>: <item>: <field>: <message>``;
   if there is any, it raises its :class:`DataLoadError` with all of them and writes nothing;
3. describes what the database must hold as a list of :class:`Table` (model, natural key, rows) and calls
   :func:`load_tables`, which checks the rows against the models' fields, then creates, updates (with the file and
   its checksum as the reason for change) and deletes rows by natural key through the audited helpers, in one
   transaction, leaving unchanged rows alone: loading the same files twice writes nothing, not even history rows.

What was done is a :class:`DataLoadReport`. Why pydantic: see docs/data-loading.md.
"""

from .files import DataFile, DataLoadError, Errors, read_bytes, read_csv, read_yaml
from .report import DataLoadReport, ModelCounts
from .schema import (
    Code,
    Date,
    Flag,
    Matching,
    Number,
    NumberOrBlank,
    RequiredText,
    Schema,
    Text,
    WholeNumber,
    WholeNumberText,
    schema_errors,
    validate,
    validate_items,
)
from .tables import Source, Table, check_tables, describe, load_tables

__all__ = [
    "Code",
    "DataFile",
    "DataLoadError",
    "DataLoadReport",
    "Date",
    "Errors",
    "Flag",
    "Matching",
    "ModelCounts",
    "Number",
    "NumberOrBlank",
    "RequiredText",
    "Schema",
    "Source",
    "Table",
    "Text",
    "WholeNumber",
    "WholeNumberText",
    "check_tables",
    "describe",
    "load_tables",
    "read_bytes",
    "read_csv",
    "read_yaml",
    "schema_errors",
    "validate",
    "validate_items",
]
