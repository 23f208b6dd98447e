"""Benchmarks: `make bench`. Timings live here, never in the test suite.

Builds a throw-away database (SQLite in memory by default, or BENCH_DATABASE_URL), loads the protocol,
screens N patients through the audited service, then times the pages and API lists a nurse uses.
Prints medians over several runs; compare runs on the same machine only.
"""

import os
import statistics
import sys
import time

N_PATIENTS = int(os.environ.get("BENCH_PATIENTS", "2000"))
RUNS = int(os.environ.get("BENCH_RUNS", "15"))


def timed(fn, runs=RUNS):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples), max(samples)


def main():
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "sqlite://:memory:")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    call_command("load_protocol", verbosity=0)
    print(f"load_protocol (first load)        {time.perf_counter() - start:8.3f} s")
    median, low, high = timed(lambda: call_command("load_protocol", verbosity=0), runs=3)
    print(f"load_protocol (unchanged reload)  {median:8.3f} s  (min {low:.3f}, max {high:.3f})")

    from patients.services import patient_screen
    from trial.choices import Role
    from trial.models import Site, Trial
    from trial.services import user_create

    trial = Trial.objects.get()
    site = Site.objects.create(trial=trial, code="BEN", name="Bench site")
    nurse = user_create(
        actor=None, username="bench", password="bench-pass-123", roles=[Role.RESEARCH_NURSE], sites=[site]
    )
    start = time.perf_counter()
    for _ in range(N_PATIENTS):
        patient_screen(actor=nurse, site=site, sex="female", family_name="Bench")
    elapsed = time.perf_counter() - start
    print(
        f"patient_screen x{N_PATIENTS:<17} {elapsed:8.3f} s  ({1000 * elapsed / N_PATIENTS:.2f} ms per audited create)"
    )

    client = Client()
    client.force_login(nurse)
    for label, url in [
        ("API patients, first page of 100", "/api/v1/patients/"),
        ("API patients, page of 1000", "/api/v1/patients/?page_size=1000"),
        ("patient list page (all rows)", "/patients/"),
        ("trial home page", "/"),
    ]:
        assert client.get(url).status_code == 200, url
        median, low, high = timed(lambda url=url: client.get(url))
        print(f"{label:34} {1000 * median:8.1f} ms (min {1000 * low:.1f}, max {1000 * high:.1f}) over {RUNS} runs")


if __name__ == "__main__":
    sys.exit(main())
