"""Datasets written as CSV, row by row, in constant memory, from one snapshot of the database.

The rows are read in chunks through the ORM (``values_list().iterator()``); on PostgreSQL the whole file is read in
one REPEATABLE READ transaction, so a write during a long export cannot give a half-changed study. The file's
SHA-256 and row count are kept on the export's record when the last row is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator

from django.db import connection, transaction

from core.audit.writes import audited_update

from .datasets import SUBJECT, Dataset, as_text
from .deidentify import kept, transform

CHUNK_ROWS = 2000


def columns_of(dataset: Dataset, *, deidentified: bool):
    return [c for c in dataset.columns if not deidentified or kept(c)]


def rows(dataset: Dataset, user, *, deidentified: bool, keys: dict | None = None) -> Iterator[list[str]]:
    """The header, then one list of texts per record of the user's sites."""
    columns = columns_of(dataset, deidentified=deidentified)
    read = [c for c in dataset.columns if c.derive is None]
    derived = [c for c in dataset.columns if c.derive is not None]
    subject = next(c.name for c in dataset.columns if c.identifying == SUBJECT)
    yield [c.name for c in columns]
    for values in dataset.rows(user).values_list(*(c.lookup for c in read)).iterator(chunk_size=CHUNK_ROWS):
        row = dict(zip((c.name for c in read), values, strict=True))
        for c in derived:
            row[c.name] = c.derive(row)
        if deidentified:
            key = (keys or {}).get(row[subject])
            yield [as_text(transform(c, row[c.name], key)) for c in columns]
        else:
            yield [as_text(row[c.name]) for c in columns]


def _repeatable_read(outermost: bool):
    """Make the transaction just begun read the database as it was at its first read (PostgreSQL; call first).
    Inside an enclosing transaction (a test, a job that began one) the enclosing transaction's isolation holds."""
    if outermost and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def csv_chunks(dataset: Dataset, user, *, deidentified: bool, keys=None, export=None) -> Iterator[bytes]:
    """The CSV file in chunks of about ``CHUNK_ROWS`` rows (UTF-8), read in one transaction; ``export``, when
    given, gets the row count and SHA-256 once the last chunk is out (a download cut short leaves them empty)."""
    digest = hashlib.sha256()
    count = -1  # the header is not a row
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> bytes:
        chunk = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        digest.update(chunk)
        return chunk

    outermost = not connection.in_atomic_block
    with transaction.atomic():
        _repeatable_read(outermost)
        for row in rows(dataset, user, deidentified=deidentified, keys=keys):
            writer.writerow(row)
            count += 1
            if count and count % CHUNK_ROWS == 0:
                yield flush()
        last = flush()
        if export is not None:
            audited_update(export, actor=export.exported_by, reason="Export finished", rows=count,
                           sha256=digest.hexdigest())  # fmt: skip
    yield last
