"""End to end with a real Celery worker on the local Redis: a saved dose that breaks a rule becomes a flag.

Skipped, saying why, only when no Redis broker is reachable (CI starts one).
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from config.celery import app as celery_app

BROKER = os.environ.get("E2E_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
WAIT_SECONDS = 90


def broker_reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=2, socket_timeout=2).ping())
    except Exception:
        return False


def use_broker(**conf):
    """Point this process's Celery app at a broker: drop connections cached under the earlier settings."""
    celery_app.conf.update(**conf)
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


def database_url_of_test_db() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{settings.get('HOST') or '127.0.0.1'}:{settings.get('PORT') or 5432}/{settings['NAME']}"


@pytest.fixture
def worker(transactional_db):
    if not broker_reachable():
        pytest.skip(f"No Redis broker reachable at {BROKER}: the end-to-end worker test needs one (CI starts it).")
    # A queue of this run's own, so that suites running at the same time on one Redis never take each other's tasks
    # (and nothing another run left in the broker is flushed or consumed here).
    queue = f"e2e-{uuid.uuid4().hex}"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url_of_test_db(),
        TEST_CELERY_BROKER_URL=BROKER,
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-n",
            f"{queue}@%h",
            "-Q",
            queue,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    previous = {
        "task_always_eager": celery_app.conf.task_always_eager,
        "broker_url": celery_app.conf.broker_url,
        "task_default_queue": celery_app.conf.task_default_queue,
    }
    use_broker(task_always_eager=False, broker_url=BROKER, task_default_queue=queue)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                if celery_app.control.ping(destination=[f"{queue}@{socket.gethostname()}"], timeout=1):
                    break
            except Exception:
                time.sleep(0.5)
        else:
            pytest.fail("The Celery worker did not start.")
        yield process
    finally:
        use_broker(**previous)
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        if os.environ.get("E2E_SHOW_WORKER_LOG"):
            print(output)


def test_a_saved_dose_that_breaks_a_rule_becomes_a_flag(worker, make_user, password):
    from core.audit.writes import audited_create
    from dosing.services import course_start, dose_record
    from patients.choices import PatientStatus
    from patients.models import Patient
    from patients.services.baseline import baseline_record
    from patients.services.registration import consent_record
    from safety.models import Flag
    from safety.tests.helpers import at
    from trial.choices import Role
    from trial.models import ProtocolVersion, Trial
    from trial.services import site_create

    call_command("load_protocol", verbosity=0)
    trial = Trial.objects.get(nct_id="NCT01371630")
    site = site_create(actor=None, trial=trial, code="E2E", name="Worker test site")
    nurse = make_user(Role.RESEARCH_NURSE, site)
    patient = audited_create(
        Patient(
            site=site,
            subject_id="E2E-0001",
            sequence_number=1,
            status=PatientStatus.REGISTERED,
            registration_date=date(2024, 1, 2),
            protocol_version=ProtocolVersion.objects.get(code="amended-2017"),
        ),
        actor=nurse,
    )
    consent_record(actor=nurse, patient=patient, consent_date=date(2024, 1, 1), form_version="v1")
    baseline_record(actor=nurse, patient=patient, cd20_percent=Decimal(5), cns_disease_at_start=False)
    course = course_start(
        actor=nurse, patient=patient, start_date=date(2024, 1, 3), height_cm=Decimal(170), weight_kg=Decimal(70)
    )
    vincristine = course.administrations.filter(drug__code="vincristine").order_by("day").first()
    # 1.5 mg instead of 2 mg (25% off the plan) with a reason but no recorded reduction: a deviation.
    dose_record(
        actor=nurse,
        administration=vincristine,
        status="given",
        given_at=at(vincristine.planned_date),
        dose_given=Decimal("1.5"),
        reason="Pharmacy dispensed 1.5 mg",
    )
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if Flag.objects.filter(patient=patient, rule_code="DEV-02").exists():
            break
        time.sleep(0.5)
    flag = Flag.objects.filter(patient=patient, rule_code="DEV-02").first()
    assert flag is not None, "The worker did not raise the dose-deviation flag."
    assert flag.status == "open" and "1.5" in flag.message
