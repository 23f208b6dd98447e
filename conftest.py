"""Fixtures shared by every app's tests: the trial, two sites, and a user of every role at each.

Test data are made through the services (``user_create``, ``patient_screen``, ``baseline_record``, ``course_start``…),
never by saving models directly, so every test record has its audit trail. The project has no factory_boy
factories: its model factories save rows directly, and wrapping each service in one would add a layer
without adding a check. ``make_patient`` is the one shortcut: it writes a registered patient through the audited
write path with the protocol version the test names, skipping consent and eligibility on purpose (tests of
procedures before consent rely on it).
"""

import os
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core.audit.writes import audited_create
from patients.choices import PatientStatus
from patients.models import Patient
from patients.services.baseline import baseline_record
from trial.choices import Role
from trial.models import ProtocolVersion, Site, Trial
from trial.services import user_create

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def forget_cached_reference_data():
    """Lab-grading rules and lab tests are kept per process once read, and finished reports in the cache; what a
    rolled-back test loaded (a changed plausible range, a report of its patients) must not outlive it."""
    yield
    from django.core.cache import cache

    cache.clear()
    from adverse_events.plausibility import clear_lab_test_cache
    from adverse_events.selectors import clear_lab_rules_cache

    clear_lab_rules_cache()
    clear_lab_test_cache()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the protocol and the CTCAE dictionary once per test database (as production does after migrate)."""
    with django_db_blocker.unblock():
        call_command("load_protocol", verbosity=0)
        call_command("load_ctcae", verbosity=0)


@pytest.fixture
def protocol_reloaded(transactional_db):
    """Transactional tests empty the tables after each test: load the protocol and CTCAE data again first."""
    call_command("load_protocol", verbosity=0)
    call_command("load_ctcae", verbosity=0)


@pytest.fixture
def trial(db):
    return Trial.objects.get(nct_id="NCT01371630")


@pytest.fixture
def site_a(trial):
    return Site.objects.get_or_create(trial=trial, code="SA", defaults={"name": "Site A hospital"})[0]


@pytest.fixture
def site_b(trial):
    return Site.objects.get_or_create(trial=trial, code="SB", defaults={"name": "Site B hospital"})[0]


@pytest.fixture
def make_user(db):
    def make(role, *sites, username=None):
        name = username or f"{role}_{'_'.join(s.code.lower() for s in sites) or 'nosite'}"
        return user_create(
            actor=None,
            username=name,
            password=PASSWORD,
            roles=[role],
            sites=list(sites),
            first_name=name.split("_")[0].title(),
            last_name="Tester",
        )

    return make


@pytest.fixture
def nurse_a(make_user, site_a):
    return make_user(Role.RESEARCH_NURSE, site_a)


@pytest.fixture
def nurse_b(make_user, site_b):
    return make_user(Role.RESEARCH_NURSE, site_b)


@pytest.fixture
def investigator_a(make_user, site_a):
    return make_user(Role.INVESTIGATOR, site_a)


@pytest.fixture
def investigator_b(make_user, site_b):
    return make_user(Role.INVESTIGATOR, site_b)


@pytest.fixture
def monitor_a(make_user, site_a):
    return make_user(Role.MONITOR, site_a)


@pytest.fixture
def statistician_a(make_user, site_a):
    return make_user(Role.STATISTICIAN, site_a)


@pytest.fixture
def data_manager_a(make_user, site_a):
    return make_user(Role.DATA_MANAGER, site_a)


@pytest.fixture
def make_patient(nurse_a, site_a):
    """A registered patient (registered 2 Jan 2024) with a baseline; ``nurse``/``site`` pick another site."""
    counter = iter(range(1, 1000))

    def make(version="amended-2017", cd20="10", cns=False, *, nurse=None, site=None, registered=date(2024, 1, 2)):
        nurse, site = nurse or nurse_a, site or site_a
        number = next(counter)
        patient = audited_create(
            Patient(
                site=site,
                subject_id=f"{site.code}-T{number}",
                sequence_number=number,
                status=PatientStatus.REGISTERED,
                registration_date=registered,
                protocol_version=ProtocolVersion.objects.get(code=version),
            ),
            actor=nurse,
        )
        baseline_record(actor=nurse, patient=patient, cd20_percent=Decimal(cd20), cns_disease_at_start=cns)
        return patient

    return make


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def password():
    return PASSWORD


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def page(live_server):
    """A Playwright page in Debian's Chromium, against the live server; ``page.script_errors`` collects
    uncaught script errors and Content-Security-Policy violations."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium not installed (scripts/ensure-chromium.sh)")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda exc: script_errors.append(str(exc)))
        page.on("console", lambda msg: "Content Security Policy" in msg.text and script_errors.append(msg.text))
        page.script_errors = script_errors
        yield page
        browser.close()
