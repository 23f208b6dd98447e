"""Fixtures of the dosing tests: registered patients with a baseline (CD20, CNS status) at site A or B."""

from datetime import date
from decimal import Decimal

import pytest

from patients.choices import PatientStatus
from patients.models import Patient
from patients.services.baseline import baseline_record
from trial.audit import audited_create
from trial.choices import Role
from trial.models import ProtocolVersion


@pytest.fixture
def investigator_b(make_user, site_b):
    return make_user(Role.INVESTIGATOR, site_b)


@pytest.fixture
def monitor_a(make_user, site_a):
    return make_user(Role.MONITOR, site_a)


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
