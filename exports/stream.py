"""Datasets written as CSV in constant memory, from one snapshot of the database.

On PostgreSQL the database writes the file itself (``COPY … TO STDOUT``, :mod:`exports.copy`); on SQLite, and for
a dataset COPY cannot express, the rows are read in chunks through the ORM (``values_list().iterator()``) and
written here. Both give the same bytes. On PostgreSQL the whole file is read in one REPEATABLE READ transaction, so
a write during a long export cannot give a half-changed study. The file's SHA-256 and row count are kept on the
export's record when the last row is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from core.audit.writes import audited_update

from .copy import copy_chunks, expresses
from .datasets import SUBJECT, Dataset, as_text
from .deidentify import kept, transform
from .models import ExportStatus

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
    for values in dataset.values(user, CHUNK_ROWS):
        row = dict(zip((c.name for c in read), values, strict=True))
        for c in derived:
            row[c.name] = c.derive(row)
        if deidentified:
            key = (keys or {}).get(row[subject])
            yield [as_text(transform(c, row[c.name], key)) for c in columns]
        else:
            yield [as_text(row[c.name]) for c in columns]


@contextmanager
def snapshot():
    """One transaction whose reads all see the database as it was at its first read: REPEATABLE READ on PostgreSQL
    when the export begins the transaction (inside an enclosing one, a test's or a job's, that one's holds)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


@dataclass
class Written:
    """What a file held once written: its rows (the header not counted) and SHA-256."""

    rows: int = 0
    digest: object = field(default_factory=hashlib.sha256)  # a hashlib SHA-256

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


def encode_csv(lines: Iterator[list[str]], written: Written) -> Iterator[bytes]:
    """CSV lines (the first is the header) as UTF-8 chunks of about ``CHUNK_ROWS`` rows, counted and hashed into
    ``written`` as they go."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> bytes:
        chunk = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        written.digest.update(chunk)
        return chunk

    count = -1  # the header is not a row
    for line in lines:
        writer.writerow(line)
        count += 1
        if count and count % CHUNK_ROWS == 0:
            yield flush()
    written.rows = max(count, 0)
    yield flush()


def dataset_csv(dataset: Dataset, user, *, deidentified: bool, keys, written: Written) -> Iterator[bytes]:
    """The dataset's CSV file in chunks, counted and hashed into ``written``, inside the caller's snapshot: COPY on
    PostgreSQL when it expresses the dataset (de-identified, it reads the keys ``subject_keys`` made from their
    table), else written here from ``rows``."""
    if connection.vendor == "postgresql" and expresses(dataset):
        return copy_chunks(dataset, user, deidentified=deidentified, written=written)
    return encode_csv(rows(dataset, user, deidentified=deidentified, keys=keys), written)


def finish(export, written: Written) -> None:
    """The export's record gets its rows and SHA-256 (a download cut short never gets here: both stay empty)."""
    audited_update(export, actor=export.exported_by, reason="Export finished", rows=written.rows,
                   sha256=written.sha256, status=ExportStatus.DONE, finished_at=timezone.now())  # fmt: skip


def hashed(chunks: Iterator[bytes], written: Written) -> Iterator[bytes]:
    """``chunks`` as they are, hashed into ``written``."""
    for chunk in chunks:
        written.digest.update(chunk)
        yield chunk


def finished_before_last(chunks: Iterator[bytes], export, written: Written, *, rows=None) -> Iterator[bytes]:
    """``chunks``, with ``export`` (when given) finished with ``written``'s rows (or ``rows()``) and SHA-256 once all
    but the last chunk are out, so a download cut short is never marked finished and a finished one has its last
    chunk sent."""
    pending = None
    for chunk in chunks:
        if pending is not None:
            yield pending
        pending = chunk
    if rows is not None:
        written.rows = rows()
    if export is not None:
        finish(export, written)
    yield pending or b""


def csv_chunks(dataset: Dataset, user, *, deidentified: bool, keys=None, export=None) -> Iterator[bytes]:
    """The dataset's CSV file in chunks, read from one snapshot; ``export``, when given, is finished with the file's
    rows and SHA-256 before its last chunk goes out (in the same transaction)."""
    written = Written()
    with snapshot(), closing(dataset_csv(dataset, user, deidentified=deidentified, keys=keys, written=written)) as file:
        yield from finished_before_last(file, export, written)
