"""CDISC Dataset-JSON 1.1 files of SDTM domains.

One JSON object per domain: the dataset's metadata (``datasetJSONVersion``, ``itemGroupOID``, ``records``, ``name``,
``label``), its ``columns`` (``itemOID``, ``name``, ``label``, ``dataType``, ``length`` of character variables,
``keySequence`` of key variables) and its ``rows``, one array of values per record in the order of the columns,
``null`` for a missing value. The OIDs follow the Define-XML convention ``IG.<domain>`` and ``IT.<domain>.<name>``.
"""

from __future__ import annotations

import json

from .domains import CHAR, Domain

VERSION = "1.1.0"
SOURCE_SYSTEM = {"name": "Trial data system (exports.sdtm)", "version": "1"}


def character_length(domain: Domain, records: list[dict], name: str) -> int:
    """The longest value's length in characters (at least 1), as the transport file has it."""
    return max((len(str(r[name])) for r in records if r.get(name) not in (None, "")), default=1)


def columns(domain: Domain, records: list[dict]) -> list[dict]:
    result = []
    for v in domain.variables:
        column = {"itemOID": f"IT.{domain.name}.{v.name}", "name": v.name, "label": v.label}
        if v.type == CHAR:
            column |= {"dataType": "string", "length": character_length(domain, records, v.name)}
        else:
            column["dataType"] = "integer" if v.integer else "double"
        if v.key:
            column["keySequence"] = v.key
        result.append(column)
    return result


def _value(variable, value):
    if value is None or value == "":
        return None
    if variable.type == CHAR:
        return str(value)
    return int(value) if variable.integer else float(value)


def dataset_json_bytes(domain: Domain, records: list[dict], *, study: str, created: str) -> bytes:
    """The domain as a Dataset-JSON 1.1 document; ``created`` is the export's time (ISO 8601 with offset)."""
    document = {
        "datasetJSONCreationDateTime": created,
        "datasetJSONVersion": VERSION,
        "fileOID": f"{study}.SDTM.{domain.name}",
        "originator": "exports.sdtm",
        "sourceSystem": SOURCE_SYSTEM,
        "studyOID": study,
        "metaDataVersionOID": "MDV.SDTMIG.3.4",
        "metaDataRef": "define.xml",
        "itemGroupOID": f"IG.{domain.name}",
        "records": len(records),
        "name": domain.name,
        "label": domain.label,
        "columns": columns(domain, records),
        "rows": [[_value(v, r.get(v.name)) for v in domain.variables] for r in records],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
