"""Course start, dose recording, reductions, cumulative inotuzumab and its override."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.audit.trail import record_history
from dosing.choices import AdministrationStatus
from dosing.selectors import cumulative_doses
from dosing.services import (
    DOSE_LEVEL_NEEDED,
    NEGATIVE_DOSE,
    course_recompute_bsa,
    course_start,
    dose_override_authorise,
    dose_record,
)

INO = "inotuzumab-ozogamicin"


def start(nurse, patient, when, **kwargs):
    return course_start(
        actor=nurse, patient=patient, start_date=when, height_cm=Decimal(170), weight_kg=Decimal(70), **kwargs
    )


def at(day: date, hour=10):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def give_all(nurse, course, drug_code):
    for a in course.administrations.filter(drug__code=drug_code).order_by("day"):
        dose_record(
            actor=nurse, administration=a, status="given", given_at=at(a.planned_date), dose_given=a.planned_dose
        )


def test_course_start_plans_doses_from_bsa(nurse_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    assert (course.course_number, course.course_type.code, course.bsa_m2) == (1, "mini-hcvd-odd", Decimal("1.82"))
    cyclo = course.administrations.filter(drug__code="cyclophosphamide")
    assert cyclo.count() == 6 and {a.planned_dose for a in cyclo} == {Decimal("273.00")}
    ino = course.administrations.filter(drug__code=INO).order_by("day")
    assert [(a.day, a.dose_per_m2, a.planned_dose) for a in ino] == [
        (2, Decimal("0.6"), Decimal("1.09")),
        (8, Decimal("0.3"), Decimal("0.55")),
    ]
    assert record_history(course)[0].reason == "Course 1 started"


def test_amended_cumulative_inotuzumab_is_2_7_after_four_courses(nurse_a, make_patient):
    patient = make_patient()
    for number, when in enumerate([date(2024, 1, 3), date(2024, 1, 31), date(2024, 2, 28), date(2024, 3, 27)], 1):
        course = start(nurse_a, patient, when)
        assert course.course_number == number
        give_all(nurse_a, course, INO)
    (ino,) = cumulative_doses(patient)
    assert ino["total_per_m2"] == Decimal("2.7") and ino["maximum_per_m2"] == Decimal("2.7")


def test_dose_past_the_maximum_needs_a_signed_override(nurse_a, investigator_a, make_patient, password):
    patient = make_patient()
    courses = [start(nurse_a, patient, d) for d in (date(2024, 1, 3), date(2024, 1, 31))]
    give_all(nurse_a, courses[0], INO)
    for c in courses[1:]:
        give_all(nurse_a, c, INO)
    extra = start(nurse_a, patient, date(2024, 2, 28))
    give_all(nurse_a, extra, INO)
    last = start(nurse_a, patient, date(2024, 3, 27))
    day2, day8 = last.administrations.filter(drug__code=INO).order_by("day")
    dose_record(
        actor=nurse_a, administration=day2, status="given", given_at=at(day2.planned_date), dose_given=day2.planned_dose
    )
    too_much = day8.planned_dose * 2
    with pytest.raises(ValidationError) as excinfo:
        dose_record(
            actor=nurse_a, administration=day8, status="given", given_at=at(day8.planned_date), dose_given=too_much,
            reason="Prescribed double",
        )  # fmt: skip
    assert "signed override" in excinfo.value.message_dict["dose_given"][0]
    day8.refresh_from_db()
    assert day8.status == AdministrationStatus.PENDING
    with pytest.raises(ValidationError):
        dose_override_authorise(actor=nurse_a, administration=day8, dose_given=too_much, reason="x", password=password)
    dose_override_authorise(
        actor=investigator_a, administration=day8, dose_given=too_much, reason="Slow response", password=password
    )
    dose_record(
        actor=nurse_a, administration=day8, status="given", given_at=at(day8.planned_date), dose_given=too_much,
        reason="Investigator override",
    )  # fmt: skip
    assert cumulative_doses(patient)[0]["total_per_m2"] == Decimal("3.0")


def test_original_version_needs_a_dose_level(nurse_a, make_patient):
    patient = make_patient(version="original")
    with pytest.raises(ValidationError) as excinfo:
        start(nurse_a, patient, date(2024, 1, 3))
    assert excinfo.value.message_dict == {"inotuzumab_dose_level": [DOSE_LEVEL_NEEDED]}
    course = start(nurse_a, patient, date(2024, 1, 3), inotuzumab_dose_level="lower")
    (ino,) = course.administrations.filter(drug__code=INO)
    assert (ino.day, ino.dose_per_m2) == (3, Decimal("1.3"))
    second = start(nurse_a, patient, date(2024, 1, 31))
    assert second.inotuzumab_dose_level == "lower"


def test_rituximab_only_with_cd20_at_least_20(nurse_a, make_patient):
    low = start(nurse_a, make_patient(cd20="19.9"), date(2024, 1, 3))
    high = start(nurse_a, make_patient(cd20="20"), date(2024, 1, 3))
    assert not low.administrations.filter(drug__code="rituximab").exists()
    assert sorted(high.administrations.filter(drug__code="rituximab").values_list("day", flat=True)) == [1, 11]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dose_given": Decimal("-1")}, "dose_given"),
        ({"given_at": "before"}, "given_at"),
        ({"status": "unknown"}, "status"),
    ],
)
def test_bad_dose_input_is_refused_with_field_errors_and_nothing_saved(nurse_a, make_patient, changes, field):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    administration = course.administrations.filter(drug__code="vincristine").first()
    values = {"status": "given", "given_at": at(administration.planned_date), "dose_given": administration.planned_dose}
    values.update(changes)
    if values["given_at"] == "before":
        values["given_at"] = at(date(2024, 1, 2))
    with pytest.raises(ValidationError) as excinfo:
        dose_record(actor=nurse_a, administration=administration, **values)
    assert field in excinfo.value.message_dict
    if field == "dose_given":
        assert excinfo.value.message_dict[field] == [NEGATIVE_DOSE]
    administration.refresh_from_db()
    assert administration.status == AdministrationStatus.PENDING
    assert len(record_history(administration)) == 1


def test_difference_from_plan_needs_a_reason_and_reduction_applies_to_rest_of_course(nurse_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    first, *rest = course.administrations.filter(drug__code="cyclophosphamide").order_by("day", "dose_number")
    with pytest.raises(ValidationError) as excinfo:
        dose_record(
            actor=nurse_a,
            administration=first,
            status="given",
            given_at=at(first.planned_date),
            dose_given=Decimal("136.50"),
        )
    assert "reason" in excinfo.value.message_dict
    dose_record(
        actor=nurse_a, administration=first, status="given", given_at=at(first.planned_date),
        dose_given=Decimal("136.50"), reason="Mucositis grade 3", reduce_rest_of_course=True,
    )  # fmt: skip
    for other in rest:
        other.refresh_from_db()
        assert other.planned_dose == Decimal("136.50") and other.reduction_percent == Decimal("50.00")
    assert "Mucositis" in record_history(rest[0])[-1].reason


def test_held_dose_needs_reason(nurse_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    vincristine = course.administrations.filter(drug__code="vincristine").first()
    with pytest.raises(ValidationError):
        dose_record(actor=nurse_a, administration=vincristine, status="held")
    dose_record(actor=nurse_a, administration=vincristine, status="held", reason="Ileus")
    vincristine.refresh_from_db()
    assert vincristine.status == "held" and vincristine.dose_given is None


def test_recompute_from_new_weight_is_explicit_and_only_touches_pending(nurse_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    first = course.administrations.filter(drug__code="cyclophosphamide").order_by("day", "dose_number").first()
    dose_record(
        actor=nurse_a,
        administration=first,
        status="given",
        given_at=at(first.planned_date),
        dose_given=first.planned_dose,
    )
    course_recompute_bsa(
        actor=nurse_a, course=course, height_cm=Decimal(170), weight_kg=Decimal(60), reason="Weight loss"
    )
    course.refresh_from_db()
    assert course.bsa_m2 == Decimal("1.68")
    doses = list(course.administrations.filter(drug__code="cyclophosphamide").order_by("day", "dose_number"))
    assert doses[0].planned_dose == Decimal("273.00")
    assert {d.planned_dose for d in doses[1:]} == {Decimal("252.00")}
    vincristine = course.administrations.filter(drug__code="vincristine").first()
    assert vincristine.planned_dose == Decimal("2.00")


def test_early_maintenance_needs_reason_and_jumps_to_maintenance(nurse_a, make_patient):
    patient = make_patient()
    start(nurse_a, patient, date(2024, 1, 3))
    course = start(nurse_a, patient, date(2024, 1, 31), early_maintenance_reason="Prolonged cytopenias")
    assert course.course_number == 2 and course.course_type.phase == "maintenance"


def test_course_dates_must_follow(nurse_a, make_patient):
    patient = make_patient()
    with pytest.raises(ValidationError) as excinfo:
        start(nurse_a, patient, date(2023, 12, 1))
    assert "start_date" in excinfo.value.message_dict
    start(nurse_a, patient, date(2024, 1, 3))
    with pytest.raises(ValidationError):
        start(nurse_a, patient, date(2024, 1, 3))


def test_a_course_needing_a_baseline_value_names_it_as_the_baseline_form_does(nurse_a, make_patient):
    from dosing.models import Course

    patient = make_patient(cns=None)  # the baseline's "CNS disease at start" not recorded
    with pytest.raises(ValidationError) as excinfo:
        start(nurse_a, patient, date(2024, 1, 3))
    (message,) = excinfo.value.message_dict["patient"]
    assert message.startswith("Record the baseline's CNS disease at start first")
    assert "cns_disease" not in message
    assert not Course.objects.filter(patient=patient).exists()
