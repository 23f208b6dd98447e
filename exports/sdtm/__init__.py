"""The study as SDTM (SDTMIG 3.4): one ZIP of SAS transport v5 files, CDISC Dataset-JSON 1.1 files and a
Define-XML 2.1 ``define.xml``.

:func:`sdtm_zip_chunks` reads one snapshot of the database (:func:`exports.stream.snapshot`), builds each domain
(:mod:`exports.sdtm.domains`) for the user's sites, de-identified or not, and streams the ZIP as it is written
(the same unseekable sink as the study ZIP). A domain is held in memory while its two files are written, because
pyreadstat writes a whole data frame; only one domain is held at a time.

The files are checked by CDISC CORE (``exports/sdtm/core_run.py`` in the validator's own environment,
``make core-venv``); the findings the project accepts are listed, with the reason, in docs/exports.md ("SDTM").
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator

from django.utils import timezone

from ..bundle import StreamSink
from ..stream import snapshot
from .datasetjson import character_length, dataset_json_bytes
from .define import define_xml_bytes
from .domains import CHAR, DATASETS_READ, DOMAINS, Reader, domain_records
from .xpt import xpt_bytes

__all__ = ["DATASETS_READ", "DEFINE", "DOMAINS", "sdtm_zip_chunks"]

DEFINE = "define.xml"


def sdtm_zip_chunks(
    user,
    *,
    study: str,
    deidentified: bool,
    keys: dict | None,
    progress: Callable[[int], None] | None = None,
    counts: dict | None = None,
) -> Iterator[bytes]:
    """The SDTM ZIP in chunks: ``<domain>.xpt`` and ``<domain>.json`` per domain (lower-case names) that has
    records, and ``define.xml`` (Define-XML 2.1) describing them.

    ``keys`` maps subject id → (pseudonym, offset days) (:func:`exports.deidentify.subject_keys`; None when
    identified). ``progress(n)`` is called with the source rows read since its last call; ``counts`` gets the
    records written per domain."""
    sink = StreamSink()
    created = timezone.now().isoformat(timespec="seconds")
    written = []
    with snapshot():
        reader = Reader(user, study=study, deidentified=deidentified, keys=keys, progress=progress)
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for domain, records in domain_records(reader):
                if counts is not None:
                    counts[domain.name] = len(records)
                if not records:
                    continue  # an empty domain is not submitted (SDTMIG 3.4 §3.2.1)
                name = domain.name.lower()
                archive.writestr(f"{name}.xpt", xpt_bytes(domain, records))
                yield sink.take()
                archive.writestr(f"{name}.json", dataset_json_bytes(domain, records, study=study, created=created))
                yield sink.take()
                lengths = {
                    v.name: character_length(domain, records, v.name) for v in domain.variables if v.type == CHAR
                }
                written.append((domain, lengths))
            archive.writestr(DEFINE, define_xml_bytes(written, study=study, created=created))
    yield sink.take()
