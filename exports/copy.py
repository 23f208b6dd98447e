"""Datasets as CSV straight from PostgreSQL: ``COPY (SELECT …) TO STDOUT WITH (FORMAT csv, HEADER)``.

The SELECT is the dataset's own query (``Dataset.rows(user).values_list(...)``, the user's sites, in record order),
wrapped so that each column is turned into text by the database exactly as :func:`exports.datasets.as_text` writes
it, and de-identified as :func:`exports.deidentify.transform` does: the patient's key (pseudonym and date offset,
made before the file starts) is joined from ``exports_subjectkey``, withheld columns are not selected, dates move by
the offset, an age of 90 or over is ``90+``. NULL and the empty text are both written as an empty field, as the
Python writer does. ``exports/tests/test_copy.py`` holds the two paths to byte-identical files.

psycopg2's ``copy_expert`` writes the whole result into a file object and returns only at the end, so it runs in a
thread of its own that writes into a bounded queue, and the streaming generator takes chunks off the queue as they
arrive: the first chunk goes out as soon as the database has sent ``CHUNK_BYTES``, and at most ``QUEUED_CHUNKS``
chunks wait in memory however large the file. (The other way, reading COPY's messages incrementally, needs psycopg
3; the project's driver is psycopg2.) The connection is used by that thread only while the generator waits for it;
a download cut short cancels the statement on the server (``connection.cancel()``), and the transaction is rolled
back as it would be on the Python path.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models

from .datasets import AGE, DATE, SUBJECT, Column, Dataset
from .deidentify import AGE_CEILING, kept

CHUNK_BYTES = 256 * 1024
QUEUED_CHUNKS = 8  # at most this many chunks between the database and the response: about 2 MB
KEY_LOOKUPS = ("subject_key__pseudonym", "subject_key__date_offset_days")  # the patient's exports.SubjectKey
SORT_ALIAS = "record_order"
# The rows go out in record order. Left to itself, PostgreSQL joins a large dataset's rows and sorts them all before
# the first leaves (seconds at a million); told to avoid sorting (for the COPY only), it walks the primary key and
# looks the rest up, so the first row leaves at once, in about the same total time.
UNSORTED = "off"

# JSON as json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) writes it. jsonb's own text
# has blanks after "," and ":" and orders keys by length first; this orders them by code point (UTF-8 byte order,
# COLLATE "C") as Python's sort does. A function in the session's temporary schema, made by the export itself.
JSON_TEXT = "pg_temp.export_json_text"
JSON_TEXT_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.export_json_text(value jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RETURN CASE jsonb_typeof(value)
    WHEN 'object' THEN '{' || coalesce((
      SELECT string_agg(to_jsonb(key)::text || ':' || pg_temp.export_json_text(item), ',' ORDER BY key COLLATE "C")
      FROM jsonb_each(value) AS member(key, item)), '') || '}'
    WHEN 'array' THEN '[' || coalesce((
      SELECT string_agg(pg_temp.export_json_text(item), ',' ORDER BY position)
      FROM jsonb_array_elements(value) WITH ORDINALITY AS element(item, position)), '') || ']'
    ELSE value::text
  END;
END
$$
"""
DATETIME_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS'  # then ".US" unless the microseconds are 0, then "+00:00" (UTC)
FORMATTED_TYPES = {"text", "integer", "decimal", "date", "datetime", "boolean", "list"}


def expresses(dataset: Dataset) -> bool:
    """Whether the COPY path writes this dataset: every column has a type it formats (a computed column, its SQL),
    and no decimal is a float (whose text differs between Python and PostgreSQL); a dataset read table by table (the
    audit trail, the signatures) is not one query."""
    if type(dataset) is not Dataset:
        return False
    for c in dataset.columns:
        if c.type not in FORMATTED_TYPES or (c.derive is not None and not c.derive_sql):
            return False
        if c.type == "decimal" and isinstance(_field(c), models.FloatField):
            return False
    return True


def _field(column: Column):
    """The model field a column reads (``source`` is app.Model.field), or None for a derived one."""
    app, model, name = (column.source.split(".") + ["", "", ""])[:3]
    try:
        return apps.get_model(app, model)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


def _text(column: Column, value: str) -> str:
    """SQL for one column's text: ``value`` is the SQL of its raw value (the key's columns are ``q.pseudonym``
    and ``q.offset_days``)."""
    kind = column.type
    if kind == "boolean":
        return f"CASE WHEN {value} THEN 'true' WHEN NOT {value} THEN 'false' END"
    if kind == "date":
        return f"to_char({value}, 'YYYY-MM-DD')"
    if kind == "datetime":  # ``value`` is the UTC time without its zone (see _expression)
        return (
            f"to_char({value}, '{DATETIME_FORMAT}') || CASE to_char({value}, 'US') WHEN '000000' THEN '' "
            f"ELSE '.' || to_char({value}, 'US') END || '+00:00'"
        )
    if kind == "list":
        # A JSON string on its own is written as its text, JSON null as nothing (as as_text does). Without a '"'
        # anywhere, the value is numbers, booleans and nulls in lists (an object's keys are strings), whose jsonb
        # text only needs its blanks after "," taken out: that saves the function call on most rows.
        return (
            f"CASE jsonb_typeof({value}) WHEN 'string' THEN nullif({value} #>> '{{}}', '') WHEN 'null' THEN NULL "
            f"WHEN 'array' THEN CASE WHEN strpos(({value})::text, '\"') = 0 THEN replace(({value})::text, ', ', ',') "
            f"ELSE {JSON_TEXT}({value}) END "
            f"WHEN 'object' THEN {JSON_TEXT}({value}) ELSE ({value})::text END"
        )
    return f"nullif(({value})::text, '')"


def _expression(column: Column, raw: dict[str, str], *, deidentified: bool) -> str:
    """SQL for a column as the file has it; ``raw`` maps the dataset's read columns to their SQL."""
    value = column.derive_sql.format(**raw) if column.derive is not None else raw[column.name]
    if deidentified and column.identifying == SUBJECT:
        return "q.pseudonym"
    if column.type == "datetime":  # written in UTC, as Django reads it (USE_TZ)
        value = f"({value} AT TIME ZONE 'UTC')"
    if deidentified and column.identifying == DATE:
        days = "q.offset_days" if column.type == "date" else "q.offset_days * interval '1 day'"
        return _text(column, f"({value} + {days})")
    if deidentified and column.identifying == AGE:
        return f"CASE WHEN ({value}) >= {AGE_CEILING} THEN '{AGE_CEILING}+' ELSE ({value})::text END"
    return _text(column, value)


def dataset_query(dataset: Dataset, user, *, deidentified: bool, cursor) -> tuple[str, list[str]]:
    """The dataset's own query for ``user`` as SQL with its values bound, and the names its columns get: ``c0``…
    for the columns read, ``record_order``, and (de-identified) the patient key's ``pseudonym`` and
    ``offset_days``."""
    read = [c for c in dataset.columns if c.derive is None]
    lookups = [c.lookup for c in read] + ["pk"]
    aliases = [f"c{i}" for i in range(len(read))] + [SORT_ALIAS]
    if deidentified:
        to_patient = f"{dataset.patient_lookup}__" if dataset.patient_lookup else ""
        lookups += [to_patient + lookup for lookup in KEY_LOOKUPS]
        aliases += ["pseudonym", "offset_days"]
    sql, params = dataset.rows(user).values_list(*lookups).query.sql_with_params()
    return cursor.mogrify(sql, params).decode(), aliases


def copy_statement(dataset: Dataset, user, *, deidentified: bool, cursor) -> str:
    """The ``COPY (SELECT …) TO STDOUT`` of the dataset's CSV file for ``user``."""
    inner, aliases = dataset_query(dataset, user, deidentified=deidentified, cursor=cursor)
    read = [c for c in dataset.columns if c.derive is None]
    raw = {c.name: f"q.{alias}" for c, alias in zip(read, aliases, strict=False)}
    columns = [c for c in dataset.columns if not deidentified or kept(c)]
    select = ", ".join(f'{_expression(c, raw, deidentified=deidentified)} AS "{c.name}"' for c in columns)
    # The outer ORDER BY is the inner one's, which PostgreSQL knows the subquery already gives: no second sort.
    # Every piece is the code's own (names of columns, SQL of types) or the query Django built, values mogrified.
    return (
        f"COPY (SELECT {select} FROM ({inner}) AS q({', '.join(aliases)}) ORDER BY q.{SORT_ALIAS}) "  # noqa: S608
        "TO STDOUT WITH (FORMAT csv, HEADER)"
    )


class _Pipe:
    """The file ``copy_expert`` writes into: what it is given goes into ``chunks`` in pieces of ``CHUNK_BYTES``;
    once ``stopped`` is set (the download went away), it is dropped."""

    def __init__(self, chunks: queue.Queue, stopped: threading.Event):
        self.chunks, self.stopped = chunks, stopped
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> None:
        if self.stopped.is_set():
            return
        self.parts.append(data)
        self.size += len(data)
        if self.size >= CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.parts and not self.stopped.is_set():
            self.chunks.put(b"".join(self.parts))
        self.parts.clear()
        self.size = 0


_DONE = object()


def copy_chunks(dataset: Dataset, user, *, deidentified: bool, written) -> Iterator[bytes]:
    """The dataset's CSV file in chunks, from COPY, inside the caller's transaction (``exports.stream.snapshot``);
    ``written`` (an ``exports.stream.Written``) gets the rows and SHA-256 as they go."""
    cursor = connection.cursor()
    if any(c.type == "list" for c in dataset.columns):
        cursor.execute(JSON_TEXT_FUNCTION)
    statement = copy_statement(dataset, user, deidentified=deidentified, cursor=cursor)
    cursor.execute(f"SELECT current_setting('enable_sort'), set_config('enable_sort', '{UNSORTED}', true)")
    sorting = cursor.fetchone()[0]
    chunks: queue.Queue = queue.Queue(maxsize=QUEUED_CHUNKS)
    stopped = threading.Event()
    outcome = {}

    def run():
        pipe = _Pipe(chunks, stopped)
        try:
            cursor.copy_expert(statement, pipe)
            pipe.flush()
            outcome["rows"] = cursor.rowcount
        except BaseException as error:  # handed to the generator, which raises it (or expected it: a cancel)
            outcome["error"] = error
        finally:
            chunks.put(_DONE)

    copier = threading.Thread(target=run, name=f"copy-{dataset.name}", daemon=True)
    copier.start()
    finished = False
    try:
        while (chunk := chunks.get()) is not _DONE:
            written.digest.update(chunk)
            yield chunk
        finished = True
    finally:
        if not finished:  # the download went away: stop the statement, let the copier end, then roll back
            stopped.set()
            connection.connection.cancel()
            while chunks.get() is not _DONE:
                pass
        copier.join()
        cursor.close()
    if "error" in outcome:
        raise outcome["error"]
    with connection.cursor() as restore:
        restore.execute("SELECT set_config('enable_sort', %s, true)", [sorting])
    written.rows = outcome["rows"]
