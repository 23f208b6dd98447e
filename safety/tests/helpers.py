"""Helpers shared by the safety tests: a treatment start date, times of day, and flags made as in production
(data recorded through the services, then ``safety.services.patient_evaluate``)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from adverse_events.models import CTCAETerm
from adverse_events.services import adverse_event_report
from dosing.services import course_start, dose_record
from responses.services import assessment_record
from safety.models import Flag
from safety.services import patient_evaluate

START = date(2024, 1, 3)
INO = "inotuzumab-ozogamicin"


def at(day, hour=10):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def flag_of(patient, rule_code) -> Flag:
    return Flag.objects.get(patient=patient, rule_code=rule_code)


def marrow_before_consent(nurse, patient, day=START):
    """DEV-13: the patient (registered by ``make_patient`` without a consent) has a marrow evaluation."""
    assessment_record(
        actor=nurse, patient=patient, assessed_on=day, marrow_blast_percent=2, neutrophils_1e9_per_l=2,
        platelets_1e9_per_l=150,
    )  # fmt: skip
    patient_evaluate(patient_id=patient.pk)
    return flag_of(patient, "DEV-13")


def give_inotuzumab(nurse, patient, start=START):
    """Course 1 from ``start`` with its first vincristine and inotuzumab doses given (opens the SOS window)."""
    course = course_start(actor=nurse, patient=patient, start_date=start, height_cm=Decimal(170), weight_kg=Decimal(70))
    for code in ("vincristine", INO):
        a = course.administrations.filter(drug__code=code).order_by("day").first()
        dose_record(
            actor=nurse, administration=a, status="given", given_at=at(a.planned_date), dose_given=a.planned_dose
        )
    return course


def sos_window(nurse, patient):
    """SOS-01, evaluated a few days after the first inotuzumab dose."""
    give_inotuzumab(nurse, patient)
    patient_evaluate(patient_id=patient.pk, now=at(START + timedelta(days=10)))
    return flag_of(patient, "SOS-01")


def sae_overdue(nurse, patient):
    """DEV-12 (urgent): a serious AE on a treated patient whose expedited report was never submitted."""
    give_inotuzumab(nurse, patient)
    adverse_event_report(
        actor=nurse, patient=patient, term=CTCAETerm.objects.get(term="Nausea"), grade=3,
        onset_date=START + timedelta(days=4), serious=True, sae_criteria=["hospitalisation"],
        sae_aware_at=at(START + timedelta(days=4)), attributions={"vincristine": "possible", INO: "unlikely"},
    )  # fmt: skip
    patient_evaluate(patient_id=patient.pk)
    return flag_of(patient, "DEV-12")
