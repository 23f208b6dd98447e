"""Export jobs: the whole study in one of the standard formats, written by a worker into a file.

A request makes the job's record (audited) and queues it once the transaction commits; the worker reads the
study from one snapshot, writes the file under ``EXPORTS_DIR``, and finishes the record with its rows, SHA-256,
size and manifest. While it runs, the rows read so far are kept in the cache (not in the audited record: a history
row per chunk would drown the trail), so the page and the API show progress. On the embedded default (no broker)
the job runs in the request, once it commits.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.audit.integrity import newest_history_ids
from core.audit.writes import audited_create, audited_update
from patients.selectors import patient_list
from trial.selectors import trial_by_nct_id

from .datasets import DATASETS
from .deidentify import subject_keys
from .formats import FORMATS
from .models import Export, ExportStatus
from .stream import snapshot

logger = logging.getLogger(__name__)

EXPORT_RECORDS = frozenset({"exports"})  # an export's own record and keys are not study data
PROGRESS_EVERY_SECONDS = 0.5
PROGRESS_KEPT_SECONDS = 24 * 3600
NOT_QUEUED = "The export could not be queued (the job queue is not answering). Start it again in a few minutes."


def exports_dir() -> Path:
    path = Path(settings.EXPORTS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _progress_key(export_id: int) -> str:
    return f"exports:progress:{export_id}"


def progress_of(export: Export) -> tuple[int, int | None]:
    """(source rows read, total) of a job: from the cache while it runs, from the record once finished."""
    if export.status == ExportStatus.DONE:
        return export.total or 0, export.total
    read, total = cache.get(_progress_key(export.pk), (0, export.total))
    return read, total


def sites_of(actor) -> str:
    return ",".join(sorted(actor.sites.values_list("code", flat=True)))


class _Queue:
    """The on-commit callback that queues a job; a broker that does not answer fails the job, not the request."""

    def __init__(self, export_id: int):
        self.export_id = export_id

    def __call__(self):
        from .tasks import run_export

        try:
            run_export.delay(self.export_id)
        except Exception:
            logger.warning("Could not queue export %s.", self.export_id, exc_info=True)
            export = Export.objects.get(pk=self.export_id)
            if export.status == ExportStatus.QUEUED:
                audited_update(export, actor=export.exported_by, reason="Export not queued",
                               status=ExportStatus.FAILED, error=NOT_QUEUED)  # fmt: skip


@transaction.atomic
def export_job_start(*, actor, export_format: str, deidentified: bool) -> Export:
    """Record (audited) an export of the whole study in ``export_format`` and queue it after commit; it is
    de-identified if asked, and always for an actor who may not see PHI."""
    from .services import deidentified_for

    fmt = FORMATS[export_format]
    deidentified = deidentified_for(actor, asked=deidentified)
    export = audited_create(
        Export(exported_by=actor, dataset="study", format=fmt.code, deidentified=deidentified, sites=sites_of(actor)),
        actor=actor,
    )
    transaction.on_commit(_Queue(export.pk))
    return export


class _Progress:
    """Counts source rows read and tells the cache at most every half second."""

    def __init__(self, export_id: int, total: int):
        self.key = _progress_key(export_id)
        self.total = total
        self.read = 0
        self._told = 0.0
        self.tell()

    def __call__(self, rows: int) -> None:
        self.read += rows
        now = time.monotonic()
        if now - self._told >= PROGRESS_EVERY_SECONDS:
            self.tell()

    def tell(self) -> None:
        self._told = time.monotonic()
        cache.set(self.key, (min(self.read, self.total), self.total), PROGRESS_KEPT_SECONDS)


def manifest_of(export: Export, *, study: str, history: dict, cut_off) -> dict:
    """What every export file says of itself (its files, rows and SHA-256 are added once written)."""
    return {
        "study": study,
        "export_id": export.pk,
        "format": export.format,
        "exported_by": export.exported_by.get_username(),
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "data_cut_off": cut_off.isoformat(timespec="seconds"),
        "sites": export.sites.split(",") if export.sites else [],
        "deidentified": export.deidentified,
        "last_audit_history_id": history,
    }


def _source_rows(user, names) -> int:
    return sum(DATASETS[name].count(user) for name in names if name in DATASETS)


def export_job_run(export_id: int) -> Export:
    """Write the job's file from one snapshot and finish its record; a failure is kept on the record."""
    export = Export.objects.select_related("exported_by").get(pk=export_id)
    if export.status not in (ExportStatus.QUEUED, ExportStatus.RUNNING):  # done or failed: a redelivery
        return export
    user = export.exported_by
    fmt = FORMATS[export.format]
    audited_update(export, actor=user, reason="Export started", status=ExportStatus.RUNNING)
    directory = exports_dir()
    name = f"{export.pk}-{secrets.token_hex(8)}.{fmt.extension}"
    partial = directory / f"{name}.part"
    try:
        keys = subject_keys(patient_list(user), actor=user) if export.deidentified else None
        digest = hashlib.sha256()
        counts: dict[str, int] = {}
        with snapshot():
            history = newest_history_ids(leave_out_apps=EXPORT_RECORDS)
            cut_off = timezone.now()
            total = _source_rows(user, fmt.datasets_read)
            progress = _Progress(export.pk, total)
            manifest = manifest_of(export, study=trial_by_nct_id().nct_id, history=history, cut_off=cut_off)
            extra = {"export": export} if fmt.embeds_manifest else {}  # it writes its own copy of the manifest
            with open(partial, "wb") as out:
                chunks = fmt.writer(
                    user, study=manifest["study"], deidentified=export.deidentified, keys=keys, progress=progress,
                    counts=counts, **extra,
                )  # fmt: skip
                for chunk in chunks:
                    out.write(chunk)
                    digest.update(chunk)
        os.replace(partial, directory / name)
        progress.read = total
        progress.tell()
        size = (directory / name).stat().st_size
        manifest["files"] = [
            {"file": download_name(export, study=manifest["study"]), "sha256": digest.hexdigest(), "bytes": size,
             "rows": counts}
        ]  # fmt: skip
        audited_update(
            export, actor=user, reason="Export finished", status=ExportStatus.DONE, rows=sum(counts.values()),
            sha256=digest.hexdigest(), total=total, file_name=name, size=size,
            manifest=manifest, data_cut_off=cut_off, finished_at=timezone.now(),
        )  # fmt: skip
    except Exception as exc:
        logger.exception("Export %s failed.", export.pk)
        partial.unlink(missing_ok=True)
        export.refresh_from_db()
        audited_update(export, actor=user, reason="Export failed", status=ExportStatus.FAILED,
                       error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now())  # fmt: skip
    return export


def export_file(export: Export) -> Path | None:
    """The finished job's file, if it is still there."""
    if export.status != ExportStatus.DONE or not export.file_name:
        return None
    path = exports_dir() / export.file_name
    return path if path.is_file() else None


def download_name(export: Export, *, study: str | None = None) -> str:
    """``NCT01371630-odm-deidentified.xml`` and the like."""
    fmt = FORMATS[export.format]
    suffix = "-deidentified" if export.deidentified else ""
    study = study or (export.manifest or {}).get("study") or trial_by_nct_id().nct_id
    return f"{study}-{fmt.code}{suffix}.{fmt.extension}"
