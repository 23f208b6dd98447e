"""CDISC CORE on the SDTM export: the check the tests (and the reference-cohort test) call.

:func:`check_sdtm_with_core` exports the study as SDTM for a user, runs CORE on the transport files in its own
environment (``.venv-core``, ``make core-venv``) as a subprocess, and fails on any finding — a rule that reported
an issue on a dataset — that docs/exports.md does not list as accepted ("## SDTM", the table of accepted findings:
the doc is the one list). It also checks each Dataset-JSON file against the Dataset-JSON 1.1 schema that the
engine's wheel ships, and define.xml against the Define-XML 2.1 schema of ``odmlib`` (both in ``.venv-core``).
Without ``.venv-core`` the check is skipped, unless ``CDISC_CORE_REQUIRED=1`` (CI), then it fails.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tempfile
import zipfile
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings

from exports.deidentify import subject_keys
from exports.sdtm import sdtm_zip_chunks
from exports.services import deidentified_for
from patients.selectors import patient_list
from trial.selectors import trial_by_nct_id

ROOT = Path(settings.BASE_DIR)
CORE_VENV = ROOT / ".venv-core"
CORE_PYTHON = CORE_VENV / "bin" / "python"
CORE_RUN = ROOT / "exports" / "sdtm" / "core_run.py"
DOCS = ROOT / "docs" / "exports.md"
ISSUE = "issue reported"
ACCEPTED_ROW = re.compile(r"^\|\s*(CORE-\d+)\s*\|([^|]*)\|")


def core_python() -> Path:
    """The validator's Python; skips the calling test when it is missing, or fails it when CI requires it."""
    if not CORE_PYTHON.exists():
        message = f"{CORE_VENV} is missing: run `make core-venv`"
        if os.environ.get("CDISC_CORE_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return CORE_PYTHON


def accepted_findings(doc: Path = DOCS) -> set[tuple[str, str]]:
    """(rule id, dataset) pairs of the accepted-findings table in the doc's "## SDTM" section."""
    section = doc.read_text().split("\n## SDTM", 1)[1].split("\n## ", 1)[0]
    accepted = set()
    for line in section.splitlines():
        match = ACCEPTED_ROW.match(line)
        if match:
            accepted |= {(match[1], d.strip()) for d in match[2].split(",") if d.strip()}
    return accepted


def dataset_json_schema(python: Path) -> dict:
    """The Dataset-JSON 1.1 schema shipped in the engine's wheel (``resources/schema/dataset.schema.json``)."""
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    return json.loads((Path(site) / "resources" / "schema" / "dataset.schema.json").read_text())


DEFINE_SCHEMA_CHECK = """
import sys
from importlib.resources import files
from lxml import etree
schema = etree.XMLSchema(etree.parse(str(files("odmlib") / "schemas/define/2.1/define2-1-0.xsd")))
document = etree.fromstring(sys.stdin.buffer.read())
if not schema.validate(document):
    sys.exit("\\n".join(str(e) for e in schema.error_log))
"""


def check_define_xml(python: Path, data: bytes) -> None:
    """define.xml against the Define-XML 2.1 schema shipped in ``odmlib`` (in the CORE environment, with lxml)."""
    checked = subprocess.run([str(python), "-c", DEFINE_SCHEMA_CHECK], input=data, capture_output=True)
    assert checked.returncode == 0, checked.stderr.decode()


def run_core(python: Path, folder: Path) -> dict:
    """CORE's report on the transport files in ``folder`` (and its define.xml, when there)."""
    report = folder / "core-report.json"
    define = folder / "define.xml"
    command = [str(python), str(CORE_RUN), str(folder), str(report)] + (
        ["--define", str(define)] if define.exists() else []
    )
    subprocess.run(command, check=True, timeout=1800)
    return json.loads(report.read_text())


def export_sdtm(user, *, deidentified: bool | None = None) -> tuple[dict[str, bytes], dict]:
    """The user's SDTM export (de-identified unless the user may see PHI): ZIP member → bytes, and the counts."""
    deidentified = deidentified_for(user, asked=False) if deidentified is None else deidentified
    keys = subject_keys(patient_list(user), actor=user) if deidentified else None
    counts: dict = {}
    chunks = sdtm_zip_chunks(user, study=trial_by_nct_id().nct_id, deidentified=deidentified, keys=keys,
                             counts=counts)  # fmt: skip
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    return {name: archive.read(name) for name in archive.namelist()}, counts


def check_sdtm_with_core(user, *, deidentified: bool | None = None) -> dict:
    """Export the study as SDTM for ``user`` and validate it with CORE; returns the CORE report."""
    python = core_python()
    files, counts = export_sdtm(user, deidentified=deidentified)
    assert counts.get("DM"), "the export has no subjects"
    schema = dataset_json_schema(python)
    for name, data in files.items():
        if name.endswith(".json"):
            jsonschema.validate(json.loads(data), schema)
    check_define_xml(python, files["define.xml"])
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            if name.endswith(".xpt") or name == "define.xml":
                (Path(folder) / name).write_bytes(data)
        report = run_core(python, Path(folder))
    assert report["rules_run"] > 0
    accepted = accepted_findings()
    found = {(r["rule"], r["dataset"]): r for r in report["results"] if r["status"] == ISSUE}
    undocumented = {f"{rule} {dataset}": found[(rule, dataset)]["message"] for rule, dataset in found
                    if (rule, dataset) not in accepted}  # fmt: skip
    assert undocumented == {}, f"CORE findings not accepted in docs/exports.md: {undocumented}"
    return report
