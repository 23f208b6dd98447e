"""Fixtures of the safety tests: a treated patient and a helper to record a given dose."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from dosing.services import course_start, dose_record

START = date(2024, 1, 3)


def at(day, hour=10):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


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
