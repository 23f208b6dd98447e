"""Benchmark of the CSV export at 100,000 and 1,000,000 administrations on PostgreSQL: `make bench`,
`python -m bench.exports`.

In BENCH_DATABASE_URL (PostgreSQL only; created if missing, topped up when run again), BENCH_EXPORT_PATIENTS
patients of a bench site are registered and given a first course through the services (about 40 planned doses
each). Their courses are then cloned in SQL (``INSERT … SELECT … generate_series``: a course copied under a new
course number, its administrations with it, every other clone marked given at a time of day) until the site has
each size of BENCH_EXPORT_SIZES (default ``100000,1000000``). The clones get no audit-history rows: the CSV export
reads no history table, so they would only cost time to write.

At each size, in the same run:

- **plain COPY**: ``COPY (<the dataset's query>) TO STDOUT`` of the same rows and columns, raw values, through psql
  into /dev/null: what the database and the wire alone cost;
- **formatted COPY**: the export's own COPY statement (values formatted and de-identified), the same way;
- **export over HTTP**: ``GET /api/v1/exports/datasets/administrations/csv/`` with a statistician's token (a
  de-identified file), from a gunicorn server in its own process (one sync worker), fetched by curl into /dev/null:
  rows per second, time to first byte, and the worker's peak RSS (``VmHWM`` of /proc/<pid>/status).

The ratio is the export's rows per second over plain COPY's (target ≥ 0.5); the RSS growth is the worker's peak
after the largest size less its peak after the smallest (target ≤ 100 MB, flat in rows). Results are printed as a
table and written as JSON to BENCH_EXPORTS_JSON (default ``bench-exports.json``).

On the largest study, the ODM export job runs in a process of its own, as on a Celery worker: its time, rows per
second and the process's peak RSS (``ru_maxrss``), beside its RSS once Django is loaded.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

SIZES = sorted(int(s) for s in os.environ.get("BENCH_EXPORT_SIZES", "100000,1000000").split(",") if s.strip())
PATIENTS = int(os.environ.get("BENCH_EXPORT_PATIENTS", "40"))
RESULT_FILE = Path(os.environ.get("BENCH_EXPORTS_JSON", "bench-exports.json"))
TARGET_RATIO, TARGET_RSS_GROWTH_MB, TARGET_FIRST_BYTE_S = 0.5, 100, 1.0
SITE = "BEX"
STATISTICIAN = "bench-statistician"
DATASET = "administrations"
CSV_PATH = f"/api/v1/exports/datasets/{DATASET}/csv/"
ROOT = Path(__file__).resolve().parent.parent
PSQL, CURL = shutil.which("psql") or "psql", shutil.which("curl") or "curl"  # commands of the bench's own making


@dataclass
class Fetched:
    """One download from the server: its time, time to first byte, size, and the worker's peak RSS after it."""

    seconds: float
    first_byte_s: float
    megabytes: float
    peak_rss_mb: float


def seed(site_code: str, patients: int):
    """The bench site with ``patients`` registered patients, each with a first course planned (made once)."""
    from datetime import date
    from decimal import Decimal

    from core.audit.writes import audited_update
    from dosing.services import course_start
    from patients.models import Patient
    from patients.services import patient_screen
    from patients.services.baseline import baseline_record
    from trial.choices import Role
    from trial.models import ProtocolVersion, Site, Trial, User
    from trial.services import user_create

    site = Site.objects.filter(code=site_code).first()
    if site is None:
        site = Site.objects.create(trial=Trial.objects.get(), code=site_code, name="Export bench site")
        nurse = user_create(
            actor=None, username="bench-export-nurse", password="bench-pass-123", roles=[Role.RESEARCH_NURSE],
            sites=[site],
        )  # fmt: skip
        amended = ProtocolVersion.objects.get(code="amended-2017")
        for number in range(1, patients + 1):
            patient = patient_screen(actor=nurse, site=site, sex="female", family_name="Bench")
            audited_update(
                patient, actor=nurse, reason="bench", status="registered", sequence_number=number,
                registration_date=date(2024, 1, 2), protocol_version=amended,
            )  # fmt: skip
            baseline_record(actor=nurse, patient=patient, cd20_percent=Decimal(30), cns_disease_at_start=False)
            course_start(
                actor=nurse, patient=patient, start_date=date(2024, 1, 3), height_cm=Decimal(170),
                weight_kg=Decimal(70),
            )  # fmt: skip
        assert Patient.objects.filter(site=site).count() == patients
    statistician = User.objects.filter(username=STATISTICIAN).first() or user_create(
        actor=None, username=STATISTICIAN, password="bench-pass-123", roles=[Role.STATISTICIAN], sites=[site]
    )
    return site, statistician


def grow_to(site, rows: int) -> float:
    """Clone the site's first courses, with their administrations, until the site has ``rows`` administrations (the
    newest deleted if it has more); seconds taken."""
    from django.db import connection, transaction

    from dosing.models import Course, PlannedAdministration

    administrations = PlannedAdministration.objects.filter(course__patient__site=site)
    templates = Course.objects.filter(patient__site=site, course_number=1)
    per_round = administrations.filter(course__in=templates).count()
    missing = rows - administrations.count()
    start = time.perf_counter()
    done = Course.objects.filter(patient__site=site).order_by("-course_number").values_list("course_number", flat=True)
    first = done[0] + 1
    rounds = max(-(-missing // per_round), 0)  # whole rounds, then the surplus is deleted
    course_columns = [
        f.column for f in Course._meta.concrete_fields if not f.primary_key and f.column != "course_number"
    ]
    dose_columns = [
        f.column for f in PlannedAdministration._meta.concrete_fields
        if not f.primary_key and f.column not in ("course_id", "status", "given_at", "dose_given")
    ]  # fmt: skip
    template_ids = list(templates.values_list("pk", flat=True))
    step = 50  # rounds per statement: a few hundred thousand rows at a time
    with connection.cursor() as cursor:
        for offset in range(0, rounds, step):
            with transaction.atomic():
                cursor.execute(
                    f"""
                    WITH clone AS (
                        INSERT INTO dosing_course ({", ".join(course_columns)}, course_number)
                        SELECT {", ".join(f"c.{c}" for c in course_columns)}, g
                        FROM dosing_course c, generate_series(%s, %s) AS g WHERE c.id = ANY(%s)
                        RETURNING id, patient_id, course_number
                    )
                    INSERT INTO dosing_plannedadministration ({", ".join(dose_columns)}, course_id, status, given_at,
                        dose_given)
                    SELECT {", ".join(f"a.{c}" for c in dose_columns)}, clone.id,
                        CASE WHEN clone.course_number %% 2 = 0 THEN 'given' ELSE a.status END,
                        CASE WHEN clone.course_number %% 2 = 0
                            THEN a.planned_date + time '09:30' + (a.id %% 3600) * interval '1 second' END,
                        CASE WHEN clone.course_number %% 2 = 0 THEN a.planned_dose END
                    FROM clone
                    JOIN dosing_course t ON t.patient_id = clone.patient_id AND t.course_number = 1
                    JOIN dosing_plannedadministration a ON a.course_id = t.id
                    """,  # noqa: S608 (the columns are the models' own)
                    [first + offset, first + min(offset + step, rounds) - 1, template_ids],
                )
        surplus = administrations.count() - rows
        if surplus > 0:
            cursor.execute(
                "DELETE FROM dosing_plannedadministration WHERE id IN (SELECT a.id FROM dosing_plannedadministration a"
                " JOIN dosing_course c ON c.id = a.course_id JOIN patients_patient p ON p.id = c.patient_id"
                " WHERE p.site_id = %s ORDER BY a.id DESC LIMIT %s)",
                [site.pk, surplus],
            )
        cursor.execute("ANALYZE dosing_course; ANALYZE dosing_plannedadministration")
    return time.perf_counter() - start


def psql_copy(url: str, *statements: str) -> float:
    """Seconds psql takes to run ``statements`` (the last a ``COPY … TO STDOUT``) with its output into /dev/null."""
    commands = [arg for statement in statements for arg in ("-c", statement)]
    start = time.perf_counter()
    subprocess.run(  # noqa: S603 (the bench's own SQL)
        [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", url, *commands], check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


class Server:
    """gunicorn serving the project (one sync worker) in its own process, on a free local port."""

    def __init__(self, env: dict):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(  # noqa: S603 (the project's own server)
            [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--timeout", "1800", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")

    @property
    def worker(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def memory_mb(self, key: str) -> float:
        """VmRSS (now) or VmHWM (peak) of the worker, in MB."""
        for line in Path(f"/proc/{self.worker}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
        raise KeyError(key)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def fetch(server: Server, path: str, token: str) -> Fetched:
    """GET ``path`` from the server with curl into /dev/null."""
    out = subprocess.run(  # noqa: S603 (a local URL of the bench's making)
        [CURL, "-sS", "-o", "/dev/null", "-H", f"Authorization: Token {token}", "-w",
         "%{http_code} %{time_starttransfer} %{time_total} %{size_download}", f"http://127.0.0.1:{server.port}{path}"],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    assert out[0] == "200", (path, out)
    return Fetched(float(out[2]), float(out[1]), int(out[3]) / 1e6, server.memory_mb("VmHWM"))


JOB_FORMATS = ("odm",)  # export jobs measured on the largest study


def job_in_worker(code: str, username: str, *, env: dict) -> dict:
    """Run one export job of the whole study in a process of its own, as a Celery worker would: its time, rows,
    file size and the process's peak RSS (and its RSS before the job, once Django is loaded)."""
    out = subprocess.run(  # noqa: S603 (this module, run as the job's worker)
        [sys.executable, "-m", "bench.exports", "job", code, username], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def run_job(code: str, username: str) -> None:
    """The worker side of :func:`job_in_worker`: prints one JSON line."""
    import resource

    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from exports.jobs import export_file, export_job_start

    def peak_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    user = get_user_model().objects.get(username=username)
    before = peak_mb()
    start = time.perf_counter()
    export = export_job_start(actor=user, export_format=code, deidentified=True)  # run once it commits (no broker)
    export.refresh_from_db()
    seconds = time.perf_counter() - start
    assert export.status == "done", export.error
    size = export_file(export).stat().st_size
    export_file(export).unlink()
    print(json.dumps({"seconds": round(seconds, 1), "rows": export.rows, "megabytes": round(size / 1e6, 1),
                      "rss_before_mb": round(before, 1), "peak_rss_mb": round(peak_mb(), 1)}))  # fmt: skip


def main():
    if sys.argv[1:2] == ["job"]:
        run_job(*sys.argv[2:4])
        return 0
    url = os.environ.get("BENCH_DATABASE_URL") or ""
    if not url.startswith(("postgres://", "postgresql://")):
        print("exports bench: COPY is PostgreSQL's; set BENCH_DATABASE_URL=postgres://… to run it (skipped)")
        return 0
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from bench.dashboards import ensure_database

    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from exports.copy import JSON_TEXT_FUNCTION, copy_statement, dataset_query
    from exports.datasets import DATASETS
    from exports.models import Export

    call_command("migrate", verbosity=0)
    call_command("load_protocol", verbosity=0)
    call_command("load_ctcae", verbosity=0)
    start = time.perf_counter()
    site, statistician = seed(SITE, PATIENTS)
    print(f"exports bench on PostgreSQL: {PATIENTS} patients seeded through the services in "
          f"{time.perf_counter() - start:.1f} s; sizes {SIZES}")  # fmt: skip
    token = Token.objects.get_or_create(user=statistician)[0].key
    dataset = DATASETS[DATASET]
    server_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}
    server = Server(server_env)
    results = {
        "dataset": DATASET,
        "patients": PATIENTS,
        "sizes": [],
        "targets": {
            "ratio_min": TARGET_RATIO,
            "rss_growth_max_mb": TARGET_RSS_GROWTH_MB,
            "first_byte_max_s": TARGET_FIRST_BYTE_S,
        },
    }
    try:
        warm = fetch(server, "/api/v1/exports/datasets/", token)  # the worker's imports, before any export
        results["worker_rss_before_mb"] = warm.peak_rss_mb
        header = (f"{'rows':>9} {'plain COPY rows/s':>18} {'formatted COPY':>15} {'export rows/s':>14} {'ratio':>6} "
                  f"{'first byte s':>13} {'export s':>9} {'MB':>7} {'worker peak RSS MB':>19}")  # fmt: skip
        lines = []
        for size in SIZES:
            grown = grow_to(site, size)
            with connection.cursor() as cursor:
                # The keys the export makes: made first, so plain COPY joins them as the export does.
                fetch(server, "/api/v1/exports/datasets/patients/csv/", token)
                inner, _ = dataset_query(dataset, statistician, deidentified=True, cursor=cursor)
                formatted = copy_statement(dataset, statistician, deidentified=True, cursor=cursor)
            plain_s = psql_copy(url, f"COPY ({inner}) TO STDOUT WITH (FORMAT csv, HEADER)")
            # As the export runs it: its function made in psql's own session, sorting avoided (exports.copy).
            formatted_s = psql_copy(url, JSON_TEXT_FUNCTION, "SET enable_sort = off", formatted)
            export = fetch(server, CSV_PATH, token)
            written = Export.objects.filter(dataset=DATASET).order_by("-pk").values_list("rows", flat=True)[0]
            assert written == size, (written, size)
            row = {
                "rows": size, "grown_s": round(grown, 1), "plain_copy_s": round(plain_s, 2),
                "plain_copy_rows_per_s": round(size / plain_s), "formatted_copy_s": round(formatted_s, 2),
                "formatted_copy_rows_per_s": round(size / formatted_s), **asdict(export),
                "export_rows_per_s": round(size / export.seconds), "ratio": round(plain_s / export.seconds, 2),
            }  # fmt: skip
            results["sizes"].append(row)
            lines.append(
                f"{size:9d} {row['plain_copy_rows_per_s']:18,d} {row['formatted_copy_rows_per_s']:15,d} "
                f"{row['export_rows_per_s']:14,d} {row['ratio']:6.2f} {export.first_byte_s:13.3f} "
                f"{export.seconds:9.2f} {export.megabytes:7.1f} {export.peak_rss_mb:19.1f}"
            )
            print(f"{size} administrations ready (cloned in {grown:.1f} s); measured")
        for code in JOB_FORMATS:
            results[code] = job_in_worker(code, STATISTICIAN, env=server_env)
            print(f"{code} export job of the {SIZES[-1]:,}-administration study: measured")
    finally:
        server.stop()
    small, large = results["sizes"][0], results["sizes"][-1]
    growth = large["peak_rss_mb"] - small["peak_rss_mb"]
    results["rss_growth_mb"] = round(growth, 1)
    print("\n" + header)
    print("\n".join(lines))
    print(
        f"\ntargets: ratio ≥ {TARGET_RATIO} (lowest {min(r['ratio'] for r in results['sizes']):.2f}); first byte "
        f"< {TARGET_FIRST_BYTE_S:.0f} s (slowest {max(r['first_byte_s'] for r in results['sizes']):.3f} s); worker "
        f"peak RSS growth {small['rows']:,} → {large['rows']:,} rows ≤ {TARGET_RSS_GROWTH_MB} MB ({growth:.1f} MB)"
    )
    for code in JOB_FORMATS:
        job = results[code]
        print(
            f"{code} export job ({job['rows']:,} rows written, {job['megabytes']:,.0f} MB): {job['seconds']:.1f} s, "
            f"{job['rows'] / job['seconds']:,.0f} rows/s; worker peak RSS {job['peak_rss_mb']:.0f} MB "
            f"({job['peak_rss_mb'] - job['rss_before_mb']:+.0f} MB over the worker before the job)"
        )
    RESULT_FILE.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {RESULT_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
