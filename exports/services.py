"""Writes of the exports: the record of each export (who, what, when, which sites, de-identified or not)."""

from core.audit.writes import audited_create
from patients.selectors import patient_list
from trial.selectors import trial_by_nct_id

from .bundle import streamed_study_zip
from .datasets import Dataset
from .deidentify import subject_keys
from .jobs import sites_of
from .models import Export, ExportFormat, ExportStatus
from .stream import csv_chunks

STUDY = "study"

PHI_PERMISSION = "trial.view_phi"


def deidentified_for(user, *, asked: bool) -> bool:
    """De-identified unless the user may see identifying data and did not ask for de-identified."""
    return asked or not user.has_perm(PHI_PERMISSION)


def _start(actor, name: str, export_format: str, deidentified: bool):
    """The audited record of an export over the actor's sites, and the de-identification keys it needs (always
    de-identified for an actor who may not see PHI, whatever the caller asked)."""
    deidentified = deidentified_for(actor, asked=deidentified)
    export = audited_create(
        Export(exported_by=actor, dataset=name, format=export_format, deidentified=deidentified,
               sites=sites_of(actor), status=ExportStatus.RUNNING),
        actor=actor,
    )  # fmt: skip
    keys = subject_keys(patient_list(actor), actor=actor) if deidentified else None
    return export, keys


def dataset_export_csv(*, actor, dataset: Dataset, deidentified: bool):
    """Start an export of ``dataset``: its record and the CSV chunks to stream (the record gets the rows and
    SHA-256 when the last chunk is out)."""
    export, keys = _start(actor, dataset.name, ExportFormat.CSV, deidentified)
    return export, csv_chunks(dataset, actor, deidentified=deidentified, keys=keys, export=export)


def study_export_zip(*, actor, deidentified: bool):
    """Start an export of the whole study: its record and the ZIP chunks to stream."""
    export, keys = _start(actor, STUDY, ExportFormat.ZIP, deidentified)
    study = trial_by_nct_id().nct_id
    return export, streamed_study_zip(actor, study=study, deidentified=deidentified, keys=keys, export=export)
