"""Fixtures of the safety tests: a treated patient and a helper to record a given dose."""

from decimal import Decimal

import pytest

from dosing.services import course_start, dose_record
from safety.tests.helpers import START, at


@pytest.fixture
def give():
    def give(nurse, administration, dose=None, when=None, **kw):
        return dose_record(
            actor=nurse,
            administration=administration,
            status="given",
            given_at=when or at(administration.planned_date),
            dose_given=administration.planned_dose if dose is None else dose,
            **kw,
        )

    return give


@pytest.fixture
def start_course():
    def start(nurse, patient, when=START, **kw):
        return course_start(
            actor=nurse, patient=patient, start_date=when, height_cm=Decimal(170), weight_kg=Decimal(70), **kw
        )

    return start
