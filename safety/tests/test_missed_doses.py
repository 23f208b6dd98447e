"""DEV-14: a planned dose not recorded as given, held or omitted by the last day of its window plus the protocol's
``missed_dose_grace_days`` (3) is a missed-dose deviation — raised the day after, not on the last day of grace.

Data recorded through the services (course_start, dose_record, death_record, off_study_record), then
``safety.services.patient_evaluate`` at a chosen day; assertions read the Flag rows.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from dosing.choices import AdministrationStatus
from dosing.services import course_start, dose_record
from patients.services.outcomes import death_record, off_study_record
from safety.choices import ACTIVE_STATUSES, FlagStatus
from safety.models import Flag
from safety.services import CONDITION_GONE, patient_evaluate
from safety.tests.helpers import START, at
from trial.models import ProtocolVersion
from trial.selectors import parameter_value

GRACE = 3  # missed_dose_grace_days of both protocol versions


def begin(nurse, patient):
    return course_start(actor=nurse, patient=patient, start_date=START, height_cm=Decimal(170), weight_kg=Decimal(70))


def missed(patient, on):
    """Evaluate on ``on``; the patient's active DEV-14 flags."""
    patient_evaluate(patient_id=patient.pk, now=at(on))
    return list(Flag.objects.filter(patient=patient, rule_code="DEV-14", status__in=ACTIVE_STATUSES))


def vincristine_day_8(course):
    """A dose without a window: its last allowed day is its planned day (course day 8)."""
    a = course.administrations.get(drug__code="vincristine", day=8)
    assert (a.window_before_days, a.window_after_days) == (0, 0)
    return a


def keep_only(course, administration):
    """Record every other dose of the course as given on its day, so only ``administration`` can be missed."""
    for a in course.administrations.exclude(pk=administration.pk).filter(status=AdministrationStatus.PENDING):
        dose_record(
            actor=course.started_by, administration=a, status="given", given_at=at(a.planned_date),
            dose_given=a.planned_dose,
        )  # fmt: skip


@pytest.mark.django_db
def test_grace_is_a_parameter_of_both_protocol_versions(trial):
    for code in ("original", "amended-2017"):
        assert parameter_value(ProtocolVersion.objects.get(code=code), "missed_dose_grace_days") == Decimal(GRACE)


@pytest.mark.parametrize(("after_grace", "raised"), [(0, False), (1, True)])
def test_dose_without_a_window_is_missed_the_day_after_its_grace(nurse_a, make_patient, after_grace, raised):
    patient = make_patient()
    course = begin(nurse_a, patient)
    vincristine = vincristine_day_8(course)
    keep_only(course, vincristine)
    found = missed(patient, vincristine.planned_date + timedelta(days=GRACE + after_grace))
    assert bool(found) is raised
    if raised:
        [flag] = found
        missed_on = vincristine.planned_date + timedelta(days=GRACE + 1)
        assert flag.message == (
            f"Vincristine (IV) of course 1, day 8, planned on {vincristine.planned_date}, is not recorded as "
            f"given, held or omitted: missed since {missed_on} (window to {vincristine.planned_date}, then 3 days "
            "to record it)."
        )
        assert flag.evidence["administration"] == vincristine.pk
        assert (flag.evidence["drug"], flag.evidence["course_number"], flag.evidence["day"]) == ("vincristine", 1, 8)
        assert flag.evidence["missed_from"] == str(missed_on)
        assert (flag.window_start, flag.window_end) == (vincristine.planned_date, vincristine.planned_date)


@pytest.mark.parametrize(("after_grace", "raised"), [(0, False), (1, True)])
def test_dose_with_a_window_is_missed_after_its_last_allowed_day_plus_grace(nurse_a, make_patient, after_grace, raised):
    patient = make_patient()
    course = begin(nurse_a, patient)
    peg = course.administrations.get(drug__code="pegfilgrastim", day=4)
    assert peg.window_after_days == 2
    last_allowed = peg.planned_date + timedelta(days=2)
    keep_only(course, peg)
    found = missed(patient, last_allowed + timedelta(days=GRACE + after_grace))
    assert bool(found) is raised
    if raised:
        assert found[0].evidence["window_end"] == str(last_allowed)
        assert found[0].window_end == last_allowed


def test_one_flag_per_missed_dose_and_stable_on_re_evaluation(nurse_a, make_patient):
    patient = make_patient()
    course = begin(nurse_a, patient)
    day = START + timedelta(days=40)
    first = missed(patient, day)
    pending = [
        a
        for a in course.administrations.filter(status=AdministrationStatus.PENDING)
        if a.planned_dose is not None or a.last_day is None
    ]
    assert {f.evidence["administration"] for f in first} == {
        a.pk for a in pending if a.planned_date + timedelta(days=a.window_after_days + GRACE) < day
    }
    assert len(first) == len({f.evidence["administration"] for f in first})
    again = missed(patient, day + timedelta(days=1))
    assert sorted(f.pk for f in again) == sorted(f.pk for f in first)


def test_doses_given_as_clinically_indicated_are_never_missed(nurse_a, make_patient):
    patient = make_patient()
    course = begin(nurse_a, patient)
    as_indicated = [a for a in course.administrations.all() if a.planned_dose is None and a.last_day is not None]
    assert as_indicated, "the regimen has supportive care given as clinically indicated"
    flagged = {f.evidence["administration"] for f in missed(patient, START + timedelta(days=90))}
    assert flagged and not flagged & {a.pk for a in as_indicated}


@pytest.mark.parametrize("status", ["given", "held", "omitted"])
def test_recording_the_dose_resolves_the_flag(nurse_a, make_patient, status):
    patient = make_patient()
    course = begin(nurse_a, patient)
    vincristine = vincristine_day_8(course)
    late = vincristine.planned_date + timedelta(days=GRACE + 1)
    [flag] = [f for f in missed(patient, late) if f.evidence["administration"] == vincristine.pk]
    if status == "given":
        dose_record(
            actor=nurse_a, administration=vincristine, status="given", given_at=at(late),
            dose_given=vincristine.planned_dose, reason="Given late: not charted on the day",
        )  # fmt: skip
    else:
        dose_record(actor=nurse_a, administration=vincristine, status=status, reason="Neuropathy grade 3")
    assert vincristine.pk not in {f.evidence["administration"] for f in missed(patient, late)}
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert flag.resolution.startswith(CONDITION_GONE.split("(")[0])
    if status == "given":  # given four days late: now a dose given outside its window instead
        assert Flag.objects.filter(
            patient=patient, rule_code="DEV-05", evidence__administration=vincristine.pk
        ).exists()


@pytest.mark.parametrize(
    ("ended", "raised"),
    [(-1, False), (0, False), (1, True)],
    ids=["ended-before-planned-day", "ended-on-last-allowed-day", "ended-after-last-allowed-day"],
)
@pytest.mark.parametrize("how", ["death", "off_study"])
def test_not_missed_when_the_patient_died_or_came_off_study_by_its_last_allowed_day(
    nurse_a, make_patient, how, ended, raised
):
    patient = make_patient()
    course = begin(nurse_a, patient)
    vincristine = vincristine_day_8(course)
    on = vincristine.planned_date + timedelta(days=ended)
    if how == "death":
        death_record(actor=nurse_a, patient=patient, death_date=on, cause="infection")
    else:
        off_study_record(actor=nurse_a, patient=patient, off_study_date=on, reason="toxicity")
    found = missed(patient, vincristine.planned_date + timedelta(days=30))
    assert (vincristine.pk in {f.evidence["administration"] for f in found}) is raised
