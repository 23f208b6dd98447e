"""The formats a whole study is exported in, each run as a job into a file.

A format's writer turns the study, as one user may export it, into the chunks of one file:
``writer(user, *, study, deidentified, keys, progress, counts) -> Iterator[bytes]``. ``keys`` are the patients'
de-identification keys (None for an identified file), ``progress(n)`` is told of every ``n`` source rows read, and
``counts`` gets the rows written per dataset (or domain, or resource type) for the manifest. ``datasets_read``
names the datasets the writer reads, so a job knows its total before it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from .datasets import DATASETS
from .models import ExportFormat


@dataclass(frozen=True)
class Format:
    code: str  # an ExportFormat
    extension: str
    content_type: str
    description: str
    writer_path: str  # "module:function", imported when the job runs
    datasets_path: str = ""  # "module:CONSTANT" naming the datasets the writer reads; empty: every dataset
    embeds_manifest: bool = False  # a ZIP holds its manifest: the writer takes ``export=`` too, to write it

    @property
    def label(self) -> str:
        return ExportFormat(self.code).label

    @property
    def writer(self) -> Callable:
        module, name = self.writer_path.split(":")
        return getattr(import_module(module), name)

    @property
    def datasets_read(self) -> tuple[str, ...]:
        if not self.datasets_path:
            return tuple(DATASETS)
        module, name = self.datasets_path.split(":")
        return tuple(getattr(import_module(module), name))


FORMATS: dict[str, Format] = {
    f.code: f
    for f in [
        Format(
            ExportFormat.ZIP, "zip", "application/zip",
            "Every dataset as CSV, each one's data dictionary, and a manifest (rows and SHA-256 of each file).",
            "exports.bundle:study_zip_chunks", embeds_manifest=True,
        ),
        Format(
            ExportFormat.ODM, "xml", "application/xml",
            "Study metadata from the protocol and the data dictionary; every record of every patient with its latest "
            "audit record (who, when, why) and its signature.",
            "exports.odm:odm_chunks", "exports.odm:DATASETS_READ",
        ),
        Format(
            ExportFormat.SDTM, "zip", "application/zip",
            "SDTMIG 3.4 domains DM, EX, AE, RS, DS, LB with SUPPDM and SUPPAE, each as SAS XPORT v5 and CDISC "
            "Dataset-JSON 1.1, and a Define-XML 2.1 define.xml; checked by CDISC CORE.",
            "exports.sdtm:sdtm_zip_chunks", "exports.sdtm:DATASETS_READ",
        ),
        Format(
            ExportFormat.FHIR, "json", "application/fhir+json",
            "A Bundle of ResearchStudy, ResearchSubject, Patient, MedicationAdministration, AdverseEvent (MedDRA, "
            "CTCAE grade) and Observation (labs, marrow response) resources.",
            "exports.fhir:fhir_bundle_chunks", "exports.fhir:DATASETS_READ",
        ),
    ]
}  # fmt: skip
