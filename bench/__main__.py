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
N_COURSES = int(os.environ.get("BENCH_COURSES", "50"))


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

    # Courses: plan and save a first mini-Hyper-CVD course (about 40 planned doses) per patient.
    from datetime import date
    from decimal import Decimal

    from core.audit.writes import audited_update
    from dosing.models import Course
    from dosing.services import course_start
    from patients.models import Patient
    from patients.services.baseline import baseline_record
    from trial.models import ProtocolVersion

    amended = ProtocolVersion.objects.get(code="amended-2017")
    patients = list(Patient.objects.filter(site=site).order_by("id")[:N_COURSES])
    for number, patient in enumerate(patients, 1):
        audited_update(
            patient,
            actor=nurse,
            reason="bench",
            status="registered",
            sequence_number=number,
            registration_date=date(2024, 1, 2),
            protocol_version=amended,
        )
        baseline_record(actor=nurse, patient=patient, cd20_percent=Decimal(30), cns_disease_at_start=False)
    start = time.perf_counter()
    for patient in patients:
        course_start(
            actor=nurse, patient=patient, start_date=date(2024, 1, 3), height_cm=Decimal(170), weight_kg=Decimal(70)
        )
    elapsed = time.perf_counter() - start
    print(f"course_start x{N_COURSES:<21} {elapsed:8.3f} s  ({1000 * elapsed / N_COURSES:.1f} ms per course planned)")
    course = Course.objects.first()

    client = Client()
    client.force_login(nurse)
    for label, url in [
        ("API patients, first page of 100", "/api/v1/patients/"),
        ("API patients, page of 1000", "/api/v1/patients/?page_size=1000"),
        ("patient list page (all rows)", "/patients/"),
        ("trial home page", "/"),
        ("course calendar page", f"/dosing/courses/{course.pk}/"),
        (f"worklist ({N_COURSES} patients' doses)", "/dosing/worklist/"),
        ("API administrations, page of 100", "/api/v1/administrations/"),
    ]:
        assert client.get(url).status_code == 200, url
        median, low, high = timed(lambda url=url: client.get(url))
        print(f"{label:34} {1000 * median:8.1f} ms (min {1000 * low:.1f}, max {1000 * high:.1f}) over {RUNS} runs")


if __name__ == "__main__":
    sys.exit(main())
