"""Writes of the exports: the record of each export (who, what, when, which sites, de-identified or not)."""

from core.audit.writes import audited_create
from patients.selectors import patient_list

from .datasets import Dataset
from .deidentify import subject_keys
from .models import Export, ExportFormat
from .stream import csv_chunks

PHI_PERMISSION = "trial.view_phi"


def deidentified_for(user, *, asked: bool) -> bool:
    """De-identified unless the user may see identifying data and did not ask for de-identified."""
    return asked or not user.has_perm(PHI_PERMISSION)


def dataset_export_csv(*, actor, dataset: Dataset, deidentified: bool):
    """Start an export of ``dataset`` over the actor's sites: the audited record, the de-identification keys it
    needs, and the CSV chunks to stream (the record gets the rows and SHA-256 when the last chunk is out)."""
    sites = ",".join(sorted(actor.sites.values_list("code", flat=True)))
    export = audited_create(
        Export(exported_by=actor, dataset=dataset.name, format=ExportFormat.CSV, deidentified=deidentified,
               sites=sites),
        actor=actor,
    )  # fmt: skip
    keys = subject_keys(patient_list(actor), actor=actor) if deidentified else None
    return export, csv_chunks(dataset, actor, deidentified=deidentified, keys=keys, export=export)
