"""Run CDISC CORE (``cdisc-rules-engine``) on a folder of SDTM transport files (``*.xpt``), offline; write its
findings as JSON.

This file runs under the validator's own Python 3.12 environment (``.venv-core``, made by
``scripts/cdisc-core-venv.sh``), never inside the project: it imports the engine and nothing of Django. The engine's
PyPI package has no command line of its own, so this is the few lines that wire its parts together: the rules of
the standard from the shipped cache (``core_cache/``), a data service over the files, one engine, each rule on all
datasets. No CDISC Library metadata or controlled-terminology package is loaded (none is shipped), so rules that
need them report an error status of their own; the report keeps every rule's status so the caller can tell.

Usage: python core_run.py DATA_DIR REPORT.json [--standard sdtmig] [--version 3-4] [--define define.xml]

The report: {"standard", "version", "rules_run", "elapsed_seconds", "results": [{"rule", "dataset", "status",
"message", "errors", "first_error"}]}, one entry per rule and dataset the engine answered for; ``errors`` counts
the records it flagged (0 for a rule that passed) and ``first_error`` shows the first.
"""

import argparse
import json
import os
import pickle
import sys
import time
import warnings
from pathlib import Path

CACHE = Path(__file__).resolve().parent / "core_cache"


def load_rules(standard: str, version: str) -> list[dict]:
    with open(CACHE / "rules.pkl", "rb") as f:
        rules = pickle.load(f)  # noqa: S301 - the cache shipped in this folder, not user input
    with open(CACHE / "rules_dictionary.pkl", "rb") as f:
        by_standard = pickle.load(f)  # noqa: S301 - as above
    return [rules[core_id] for core_id in by_standard.get(f"{standard}/{version}", [])]


def findings(rule: dict, per_dataset: dict) -> list[dict]:
    """One entry per dataset the rule answered for: its status, message and number of flagged records."""
    entries = []
    for name, outcomes in per_dataset.items():
        for outcome in outcomes:
            errors = outcome.get("errors") or []
            entries.append(
                {
                    "rule": rule["core_id"],
                    "dataset": outcome.get("dataset") or outcome.get("domain") or name,
                    "status": outcome.get("executionStatus"),
                    "message": outcome.get("message") or "",
                    "errors": len(errors),
                    "first_error": errors[0] if errors else None,
                }
            )
    return entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("report")
    parser.add_argument("--standard", default="sdtmig")
    parser.add_argument("--version", default="3-4")
    parser.add_argument("--define", help="a define.xml describing the datasets (Define-XML 2.1)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    from cdisc_rules_engine.models.library_metadata_container import LibraryMetadataContainer
    from cdisc_rules_engine.rules_engine import RulesEngine
    from cdisc_rules_engine.services import logger
    from cdisc_rules_engine.services.cache import InMemoryCacheService

    logger.disabled = True
    paths = sorted(
        str(Path(args.data_dir) / name) for name in os.listdir(args.data_dir) if name.lower().endswith(".xpt")
    )
    if not paths:
        print(f"core_run: no .xpt dataset in {args.data_dir}", file=sys.stderr)
        return 2
    rules = load_rules(args.standard, args.version)
    engine = RulesEngine(
        cache=InMemoryCacheService(),
        standard=args.standard,
        standard_version=args.version,
        library_metadata=LibraryMetadataContainer(),
        max_dataset_size=max(os.path.getsize(p) for p in paths),
        dataset_paths=paths,
        ct_packages=[],
        define_xml_path=args.define,
    )
    start = time.monotonic()
    results = []
    for rule in rules:
        results.extend(findings(rule, engine.validate_single_rule(rule)))
    report = {
        "standard": args.standard,
        "version": args.version,
        "rules_run": len(rules),
        "elapsed_seconds": round(time.monotonic() - start, 1),
        "results": results,
    }
    Path(args.report).write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
