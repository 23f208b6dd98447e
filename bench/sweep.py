"""Benchmark of the safety sweep over the reference cohort (110 patients) plus the demo patients: `make bench`.

Builds the cohort in a throw-away database (SQLite in memory unless BENCH_DATABASE_URL is set), then times
the nightly sweep twice (first: flags raised; second: nothing changes) and counts queries per patient.
"""

import io
import os
import statistics
import sys
import time


def main():
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or "sqlite://:memory:"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from bench.dashboards import ensure_database

    ensure_database(os.environ["DATABASE_URL"])  # its own database: the first bench registers patients in the other
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("load_protocol", verbosity=0)
    call_command("load_ctcae", verbosity=0)
    start = time.perf_counter()
    call_command("reference_cohort", verbosity=0, stdout=io.StringIO())
    print(f"reference cohort (110 patients)      {time.perf_counter() - start:8.2f} s")
    call_command("demo_setup", stdout=io.StringIO())
    call_command("demo_dosing", stdout=io.StringIO())

    from patients.models import Patient
    from safety.models import Flag
    from safety.services import findings_for
    from safety.tasks import active_patient_ids, nightly_sweep

    print(f"patients (cohort + demo)              {Patient.objects.count():8d}")
    Flag.objects.all().delete()  # as if every per-patient message had been lost
    for label in ("sweep, first run (flags raised)", "sweep, second run (no change)"):
        start = time.perf_counter()
        totals = nightly_sweep()
        elapsed = time.perf_counter() - start
        print(
            f"{label:36} {elapsed:8.2f} s  ({1000 * elapsed / totals['patients']:.1f} ms per patient; "
            f"raised {totals['raised']}, resolved {totals['resolved']})"
        )
    print(f"flags after the sweep                 {Flag.objects.count():8d}")
    counts = []
    for patient_id in active_patient_ids():
        with CaptureQueriesContext(connection) as queries:
            findings_for(patient_id)
        counts.append(len(queries))
    print(
        f"queries per patient evaluation       min {min(counts)}, median {statistics.median(counts)}, max {max(counts)}"
    )


if __name__ == "__main__":
    sys.exit(main())
