"""SAS transport (XPORT) version 5 files of SDTM domains, written by pyreadstat.

pyreadstat writes a whole data frame to a file, so one domain is held in memory at a time (a ZIP member is
written from the file's bytes). Character variables get the length of their longest value (at least 1), as the
FDA's guide asks; numeric variables are 8-byte floats.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pyreadstat

from .domains import CHAR, Domain


def data_frame(domain: Domain, records: list[dict]) -> pd.DataFrame:
    """The domain as a data frame in the order of its variables: empty text for a missing character value,
    NaN for a missing number."""
    columns = {}
    for v in domain.variables:
        values = [r.get(v.name) for r in records]
        if v.type == CHAR:
            columns[v.name] = pd.Series(["" if x is None else str(x) for x in values], dtype=object)
        else:
            columns[v.name] = pd.Series([float("nan") if x is None else float(x) for x in values], dtype="float64")
    return pd.DataFrame(columns)


def xpt_bytes(domain: Domain, records: list[dict]) -> bytes:
    """The domain as an XPORT v5 file: dataset name and label, variable labels, character lengths from the data."""
    frame = data_frame(domain, records)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{domain.name.lower()}.xpt"
        pyreadstat.write_xport(
            frame,
            str(path),
            file_label=domain.label,
            column_labels=[v.label for v in domain.variables],
            table_name=domain.name,
            file_format_version=5,
        )
        return path.read_bytes()
