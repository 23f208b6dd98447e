"""The whole study in one ZIP, streamed: every dataset's CSV, its data dictionary, and a manifest.

The ZIP is written as it goes into a sink that keeps nothing once handed over; ``zipfile`` writes to an
unseekable stream with data descriptors, so memory stays flat. Everything is read from one snapshot
(:func:`exports.stream.snapshot`). The manifest gives, per file, its rows and SHA-256, and says who exported what,
when, over which sites, whether de-identified, and up to which audit-history row of each table the data go.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import closing

from django.utils import timezone

from core.audit.integrity import newest_history_ids

from .datasets import DATASETS
from .jobs import EXPORT_RECORDS, manifest_of
from .stream import Written, columns_of, dataset_csv, finished_before_last, hashed, snapshot

MANIFEST = "manifest.json"
DICTIONARY_COLUMNS = ["variable", "label", "type", "unit", "allowed_values", "source", "identifying"]


class StreamSink:
    """A write-only stream that hands over what was written since the last call of :meth:`take`."""

    def __init__(self):
        self._parts: list[bytes] = []
        self._position = 0

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def dictionary_csv(dataset, *, deidentified: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DICTIONARY_COLUMNS)
    for c in columns_of(dataset, deidentified=deidentified):
        writer.writerow([c.name, c.label, c.type, c.unit, c.allowed_values, c.source, c.identifying])
    return buffer.getvalue().encode()


def study_zip_chunks(user, *, study: str, deidentified: bool, keys, export, progress=None, counts=None):
    """The ZIP in chunks, read from one snapshot: every dataset's CSV and dictionary, then the manifest.
    ``progress(n)`` is told of the rows read as they go, ``counts`` gets the rows of each dataset."""
    sink = StreamSink()
    files = []
    counts = {} if counts is None else counts
    with snapshot():
        history = newest_history_ids(leave_out_apps=EXPORT_RECORDS)
        manifest = manifest_of(export, study=study, history=history, cut_off=timezone.now())
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for dataset in DATASETS.values():
                written = Written()
                file = dataset_csv(dataset, user, deidentified=deidentified, keys=keys, written=written)
                with archive.open(f"{dataset.name}.csv", "w") as member, closing(file):
                    for chunk in file:
                        member.write(chunk)
                        yield sink.take()
                if progress is not None:
                    progress(written.rows)  # a dataset's rows are counted once it is written
                archive.writestr(f"dictionary/{dataset.name}.csv", dictionary_csv(dataset, deidentified=deidentified))
                files.append(
                    {"dataset": dataset.name, "file": f"{dataset.name}.csv", "rows": written.rows,
                     "sha256": written.sha256, "dictionary": f"dictionary/{dataset.name}.csv"}
                )  # fmt: skip
                counts[dataset.name] = written.rows
            manifest["files"] = files
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
    yield sink.take()


def streamed_study_zip(user, *, study: str, deidentified: bool, keys, export) -> Iterator[bytes]:
    """The ZIP as a streamed download: ``export`` is finished with the total rows and the ZIP's SHA-256 before
    the last chunk goes out."""
    counts: dict[str, int] = {}
    whole = Written()
    with snapshot():
        chunks = study_zip_chunks(user, study=study, deidentified=deidentified, keys=keys, export=export, counts=counts)
        yield from finished_before_last(hashed(chunks, whole), export, whole, rows=lambda: sum(counts.values()))
