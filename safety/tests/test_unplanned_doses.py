"""Issue 11, point 5: a dose the plan did not hold is recorded as given with a reason, shown on the calendar,
and flagged by the deviation rules (the service, the API and the form)."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from dosing.choices import AdministrationStatus
from dosing.services import UNPLANNED_REASON_NEEDED, course_start, dose_record, unplanned_dose_record
from safety.choices import ACTIVE_STATUSES
from safety.models import Flag
from safety.services import patient_evaluate
from trial.models import Drug

START = date(2024, 1, 3)


def at(day: date, hour=10):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def begin(nurse, patient):
    return course_start(actor=nurse, patient=patient, start_date=START, height_cm=Decimal(170), weight_kg=Decimal(70))


def vincristine():
    return Drug.objects.get(code="vincristine")


def unplanned_flags(patient):
    patient_evaluate(patient_id=patient.pk)
    return list(Flag.objects.filter(patient=patient, rule_code="DEV-20", status__in=ACTIVE_STATUSES))


def test_an_unplanned_dose_is_recorded_as_given_and_flagged(nurse_a, make_patient):
    patient = make_patient()
    course = begin(nurse_a, patient)

    dose = unplanned_dose_record(
        actor=nurse_a,
        course=course,
        drug=vincristine(),
        given_at=at(date(2024, 1, 7)),
        dose_given=Decimal(2),
        dose_unit="mg",
        route="IV",
        reason="Prescribed in error for day 5",
    )

    assert dose.unplanned and dose.regimen_item is None and dose.status == AdministrationStatus.GIVEN
    assert (dose.day, dose.planned_date, dose.deviation_reason) == (
        5,
        date(2024, 1, 7),
        "Prescribed in error for day 5",
    )
    [flag] = unplanned_flags(patient)
    assert flag.message == "Vincristine 2 mg IV given on course 1 day 5, not in the plan: Prescribed in error for day 5"


def test_an_unplanned_dose_needs_a_reason(nurse_a, make_patient):
    course = begin(nurse_a, make_patient())
    with pytest.raises(ValidationError) as refused:
        unplanned_dose_record(
            actor=nurse_a,
            course=course,
            drug=vincristine(),
            given_at=at(date(2024, 1, 7)),
            dose_given=Decimal(2),
            dose_unit="mg",
            route="IV",
            reason=" ",
        )
    assert refused.value.message_dict == {"reason": [UNPLANNED_REASON_NEEDED]}
    assert not course.administrations.filter(unplanned=True).exists()


def test_the_api_records_an_unplanned_dose_and_names_a_missing_reason(api_client, nurse_a, make_patient):
    patient = make_patient()
    course = begin(nurse_a, patient)
    api_client.force_authenticate(nurse_a)
    url = f"/api/v1/courses/{course.pk}/unplanned-doses/"
    body = {
        "drug": "vincristine",
        "given_at": at(date(2024, 1, 7)).isoformat(),
        "dose_given": "2",
        "dose_unit": "mg",
        "route": "IV",
    }

    refused = api_client.post(url, body, format="json")
    assert refused.status_code == 400 and UNPLANNED_REASON_NEEDED in str(refused.json())

    created = api_client.post(url, {**body, "reason": "Extra dose ordered"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["unplanned"] is True and created.json()["day"] == 5
    [flag] = unplanned_flags(patient)
    assert flag.message.endswith("not in the plan: Extra dose ordered")


def test_the_form_records_an_unplanned_dose_shown_on_the_calendar(client, nurse_a, make_patient):
    patient = make_patient()
    course = begin(nurse_a, patient)
    client.force_login(nurse_a)
    url = reverse("dosing:unplanned-dose-record", args=[course.pk])
    values = {
        "drug": str(vincristine().pk),
        "given_at": "2024-01-07T10:00",
        "dose_given": "2",
        "dose_unit": "mg",
        "route": "IV",
        "reason": "",
    }
    assert client.get(url).status_code == 200

    refused = client.post(url, values)
    assert refused.status_code == 400
    assert f'id="id_reason_errors" role="alert">{UNPLANNED_REASON_NEEDED}' in refused.content.decode()

    saved = client.post(url, {**values, "reason": "Extra dose ordered"})
    assert saved.status_code == 302 and saved["Location"] == reverse("dosing:course-detail", args=[course.pk])
    page = client.get(saved["Location"]).content.decode()
    assert "Not in the plan" in page and "Record an unplanned dose" in page
    dose = course.administrations.get(unplanned=True)
    assert reverse("dosing:administration-record", args=[dose.pk]) in page
    assert client.get(reverse("dosing:administration-record", args=[dose.pk])).status_code == 200
    [flag] = unplanned_flags(patient)
    assert "Vincristine 2 mg IV given on course 1 day 5" in flag.message


def test_an_unplanned_dose_is_judged_by_the_other_deviation_rules(nurse_a, make_patient):
    """An unplanned voriconazole dose on the day vincristine was given is also a hold-day deviation (DEV-08)."""
    patient = make_patient()
    course = begin(nurse_a, patient)
    vincristine_day8 = course.administrations.get(drug__code="vincristine", day=8)
    dose_record(
        actor=nurse_a,
        administration=vincristine_day8,
        status="given",
        given_at=at(vincristine_day8.planned_date),
        dose_given=vincristine_day8.planned_dose,
    )
    extra = unplanned_dose_record(
        actor=nurse_a,
        course=course,
        drug=Drug.objects.get(code="voriconazole"),
        given_at=at(vincristine_day8.planned_date, hour=12),
        dose_given=Decimal(200),
        dose_unit="mg",
        route="PO",
        reason="Given by the ward from the old chart",
    )

    patient_evaluate(patient_id=patient.pk)
    active = Flag.objects.filter(patient=patient, status__in=ACTIVE_STATUSES)
    assert set(active.filter(rule_code__in=["DEV-08", "DEV-20"]).values_list("rule_code", flat=True)) == {
        "DEV-08",
        "DEV-20",
    }
    assert active.get(rule_code="DEV-08").evidence["administration"] == extra.pk


def test_an_unplanned_dose_past_the_cumulative_maximum_is_recorded_and_flagged_as_over_it(nurse_a, make_patient):
    patient = make_patient()
    course = begin(nurse_a, patient)
    inotuzumab = Drug.objects.get(code="inotuzumab-ozogamicin")
    dose = unplanned_dose_record(
        actor=nurse_a,
        course=course,
        drug=inotuzumab,
        given_at=at(date(2024, 1, 5)),
        dose_given=Decimal(6),  # about 3.3 mg/m² at this BSA, above the 2.7 mg/m² maximum on its own
        dose_unit="mg",
        route="IV",
        reason="Adult vial given in full by mistake",
    )
    assert dose.status == AdministrationStatus.GIVEN and dose.dose_given == Decimal(6)
    patient_evaluate(patient_id=patient.pk)
    over = Flag.objects.get(patient=patient, rule_code="DEV-03", status__in=ACTIVE_STATUSES)
    assert "above the protocol maximum of 2.7 mg/m²" in over.message
