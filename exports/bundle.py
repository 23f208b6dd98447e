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
from .stream import Written, columns_of, dataset_csv, finish, snapshot

MANIFEST = "manifest.json"
EXPORT_RECORDS = frozenset({"exports"})  # an export's own record and keys are not study data
DICTIONARY_COLUMNS = ["variable", "label", "type", "unit", "allowed_values", "source", "identifying"]


class _Sink:
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


def study_zip_chunks(user, *, study: str, deidentified: bool, keys, export) -> Iterator[bytes]:
    """The ZIP in chunks; ``export`` is finished with the total rows and the ZIP's SHA-256 before the last chunk."""
    sink = _Sink()
    whole = Written()
    files = []
    with snapshot():
        history = newest_history_ids(leave_out_apps=EXPORT_RECORDS)
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for dataset in DATASETS.values():
                written = Written()
                file = dataset_csv(dataset, user, deidentified=deidentified, keys=keys, written=written)
                with archive.open(f"{dataset.name}.csv", "w") as member, closing(file):
                    for chunk in file:
                        member.write(chunk)
                        data = sink.take()
                        whole.digest.update(data)
                        yield data
                dictionary = dictionary_csv(dataset, deidentified=deidentified)
                archive.writestr(f"dictionary/{dataset.name}.csv", dictionary)
                files.append(
                    {"dataset": dataset.name, "file": f"{dataset.name}.csv", "rows": written.rows,
                     "sha256": written.sha256, "dictionary": f"dictionary/{dataset.name}.csv"}
                )  # fmt: skip
                whole.rows += written.rows
            manifest = {
                "study": study,
                "exported_at": timezone.now().isoformat(timespec="seconds"),
                "exported_by": user.get_username(),
                "sites": export.sites.split(",") if export.sites else [],
                "deidentified": deidentified,
                "format": "csv",
                "export_id": export.pk,
                "last_audit_history_id": history,
                "files": files,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        last = sink.take()
        whole.digest.update(last)
        finish(export, whole)
    yield last
