"""Dosing API: courses, recording doses, overrides and cumulative totals — same rules and messages as the services."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.audit.trail import record_history
from core.models import Signature
from core.services import NOT_ALLOWED_TO_SIGN
from dosing.choices import AdministrationStatus
from dosing.models import Course, DoseOverride, PlannedAdministration
from dosing.services import (
    BEFORE_COURSE_START,
    BEFORE_REGISTRATION,
    CHOOSE_STATUS,
    NEGATIVE_DOSE,
    course_start,
    dose_record,
)
from trial.choices import Role

COURSES = "/api/v1/courses/"
ADMINISTRATIONS = "/api/v1/administrations/"
INO = "inotuzumab-ozogamicin"
START = date(2024, 1, 3)


def start(nurse, patient, when=START):
    return course_start(actor=nurse, patient=patient, start_date=when, height_cm=Decimal(170), weight_kg=Decimal(70))


def at(day: date, hour=10):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def errors_of(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def vincristine_of(course):
    return course.administrations.filter(drug__code="vincristine").order_by("day").first()


def test_start_a_course_and_record_a_dose_through_the_api(api_client, nurse_a, make_patient):
    patient = make_patient()
    api_client.force_authenticate(nurse_a)
    created = api_client.post(
        COURSES,
        {"patient": patient.pk, "start_date": "2024-01-03", "height_cm": "170", "weight_kg": "70"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    course = created.json()
    assert (course["course_number"], course["course_type"], course["bsa_m2"]) == (1, "mini-hcvd-odd", "1.82")
    assert course["protocol_version"] == "amended-2017"
    ino = [a for a in course["administrations"] if a["drug"] == INO]
    assert [(a["day"], a["planned_dose"]) for a in ino] == [(2, "1.0900"), (8, "0.5500")]

    vincristine = next(a for a in course["administrations"] if a["drug"] == "vincristine")
    recorded = api_client.post(
        f"{vincristine['url']}record/",
        {"status": "given", "given_at": f"{vincristine['planned_date']}T09:30:00Z", "dose_given": "2.0"},
        format="json",
    )
    assert recorded.status_code == 200, recorded.json()
    body = recorded.json()
    assert (body["status"], body["dose_given"], body["route_given"]) == ("given", "2.0000", "IV")
    assert body["recorded_by"] == nurse_a.signature_name
    history = api_client.get(body["history_url"]).json()
    assert history[-1]["reason"] == "Recorded"

    listed = api_client.get(course["administrations_url"]).json()["results"]
    assert len(listed) == len(course["administrations"])
    assert [a["planned_date"] for a in listed] == sorted(a["planned_date"] for a in listed)
    given = api_client.get(ADMINISTRATIONS, {"patient": patient.pk, "status": "given"}).json()["results"]
    assert [a["id"] for a in given] == [vincristine["id"]]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dose_given": "-1"}, "dose_given", NEGATIVE_DOSE),
        ({"given_at": "2024-01-02T10:00:00Z"}, "given_at", BEFORE_COURSE_START.format(date=START)),
        ({"status": "unknown"}, "status", CHOOSE_STATUS),
        ({"status": "pending"}, "status", CHOOSE_STATUS),
    ],
)
def test_bad_dose_input_is_a_400_naming_the_field_with_the_service_message_and_nothing_saved(
    api_client, nurse_a, make_patient, changes, field, message
):
    administration = vincristine_of(start(nurse_a, make_patient()))
    payload = {"status": "given", "given_at": f"{administration.planned_date}T10:00:00Z", "dose_given": "2.0"}
    payload.update(changes)
    api_client.force_authenticate(nurse_a)
    response = api_client.post(f"{ADMINISTRATIONS}{administration.pk}/record/", payload, format="json")
    assert response.status_code == 400
    assert errors_of(response) == {field: message}

    # The service, given the same values (as Python objects), refuses with the same message.
    values = {
        "status": payload["status"],
        "given_at": datetime.fromisoformat(payload["given_at"]),
        "dose_given": Decimal(payload["dose_given"]),
    }
    with pytest.raises(ValidationError) as excinfo:
        dose_record(actor=nurse_a, administration=administration, **values)
    assert excinfo.value.message_dict == {field: [message]}

    administration.refresh_from_db()
    assert administration.status == AdministrationStatus.PENDING and administration.dose_given is None
    assert len(record_history(administration)) == 1


def test_bad_course_input_is_a_400_naming_the_field_and_nothing_saved(api_client, nurse_a, make_patient):
    patient = make_patient()
    api_client.force_authenticate(nurse_a)
    good = {"patient": patient.pk, "start_date": "2024-01-03", "height_cm": "170", "weight_kg": "70"}

    unknown = api_client.post(COURSES, {**good, "patient": 999999}, format="json")
    assert unknown.status_code == 400 and set(errors_of(unknown)) == {"patient"}

    negative = api_client.post(COURSES, {**good, "height_cm": "-170"}, format="json")
    assert negative.status_code == 400
    with pytest.raises(ValidationError) as excinfo:
        course_start(actor=nurse_a, patient=patient, start_date=START, height_cm=Decimal("-170"), weight_kg=Decimal(70))
    assert errors_of(negative) == {"height_cm": excinfo.value.message_dict["height_cm"][0]}

    early = api_client.post(COURSES, {**good, "start_date": "2023-12-01"}, format="json")
    assert errors_of(early) == {"start_date": BEFORE_REGISTRATION.format(date=date(2024, 1, 2))}

    level = api_client.post(COURSES, {**good, "inotuzumab_dose_level": "medium"}, format="json")
    assert level.status_code == 400 and set(errors_of(level)) == {"inotuzumab_dose_level"}
    assert not Course.objects.filter(patient=patient).exists()


def test_unknown_ids_and_filter_values(api_client, nurse_a, make_patient):
    administration = vincristine_of(start(nurse_a, make_patient()))
    api_client.force_authenticate(nurse_a)
    missing = api_client.post(f"{ADMINISTRATIONS}999999/record/", {"status": "held", "reason": "x"}, format="json")
    assert missing.status_code == 404
    assert api_client.get(f"{COURSES}999999/").status_code == 404
    drug = api_client.get(ADMINISTRATIONS, {"drug": "unobtainium"})
    assert drug.status_code == 400 and set(errors_of(drug)) == {"drug"}
    status = api_client.get(ADMINISTRATIONS, {"status": "unknown"})
    assert status.status_code == 400 and set(errors_of(status)) == {"status"}
    vincristine = api_client.get(ADMINISTRATIONS, {"drug": "vincristine"}).json()["results"]
    assert administration.pk in {a["id"] for a in vincristine} and {a["drug"] for a in vincristine} == {"vincristine"}


def test_another_sites_course_and_doses_answer_404(api_client, nurse_a, nurse_b, site_b, make_patient):
    other = make_patient(site=site_b, nurse=nurse_b)
    course = start(nurse_b, other)
    administration = vincristine_of(course)
    api_client.force_authenticate(nurse_a)
    assert api_client.get(f"{COURSES}{course.pk}/").status_code == 404
    assert api_client.get(f"{ADMINISTRATIONS}{administration.pk}/").status_code == 404
    recorded = api_client.post(
        f"{ADMINISTRATIONS}{administration.pk}/record/", {"status": "held", "reason": "Ileus"}, format="json"
    )
    assert recorded.status_code == 404
    recompute = api_client.post(
        f"{COURSES}{course.pk}/recompute/", {"height_cm": "170", "weight_kg": "60", "reason": "x"}, format="json"
    )
    assert recompute.status_code == 404
    assert api_client.get(f"/api/v1/patients/{other.pk}/cumulative-doses/").status_code == 404
    assert api_client.get(COURSES, {"patient": other.pk}).json()["results"] == []
    assert api_client.get(ADMINISTRATIONS, {"course": course.pk}).json()["results"] == []
    started = api_client.post(
        COURSES,
        {"patient": other.pk, "start_date": "2024-02-01", "height_cm": "170", "weight_kg": "70"},
        format="json",
    )
    assert started.status_code == 400 and set(errors_of(started)) == {"patient"}
    administration.refresh_from_db()
    assert administration.status == AdministrationStatus.PENDING
    assert Course.objects.filter(patient=other).count() == 1


def test_list_queries_do_not_grow_with_administrations(api_client, nurse_a, make_patient):
    patient = make_patient()
    first = start(nurse_a, patient)
    for a in first.administrations.filter(drug__code="vincristine"):
        dose_record(actor=nurse_a, administration=a, status="held", reason="Neuropathy")
    api_client.force_authenticate(nurse_a)
    api_client.get(ADMINISTRATIONS)  # warm the user's permission and site caches
    with CaptureQueriesContext(connection) as few:
        page = api_client.get(ADMINISTRATIONS).json()["results"]
        courses = api_client.get(COURSES).json()["results"]
        detail = api_client.get(f"{COURSES}{first.pk}/").json()
    start(nurse_a, patient, date(2024, 1, 31))
    start(nurse_a, make_patient(), START)
    with CaptureQueriesContext(connection) as many:
        more = api_client.get(ADMINISTRATIONS).json()["results"]
        more_courses = api_client.get(COURSES).json()["results"]
        api_client.get(f"{COURSES}{first.pk}/")
    assert len(more) > len(page) > 10 and len(more_courses) == 3 > len(courses) == 1
    assert len(detail["administrations"]) == len(page)
    assert len(many) == len(few)


def test_cumulative_doses_of_an_amended_patient_show_the_2_7_maximum(api_client, nurse_a, make_patient):
    patient = make_patient()
    course = start(nurse_a, patient)
    for a in course.administrations.filter(drug__code=INO):
        dose_record(
            actor=nurse_a, administration=a, status="given", given_at=at(a.planned_date), dose_given=a.planned_dose
        )
    api_client.force_authenticate(nurse_a)
    response = api_client.get(f"/api/v1/patients/{patient.pk}/cumulative-doses/")
    assert response.status_code == 200
    body = response.json()
    assert (body["subject_id"], body["protocol_version"]) == (patient.subject_id, "amended-2017")
    (ino,) = body["drugs"]
    assert ino["drug"] == INO
    assert Decimal(ino["maximum_per_m2"]) == Decimal("2.7")
    assert (Decimal(ino["total_per_m2"]), Decimal(ino["remaining_per_m2"])) == (Decimal("0.9"), Decimal("1.8"))


def test_override_needs_an_investigators_signature(api_client, nurse_a, investigator_a, make_patient, password):
    patient = make_patient()
    for when in (START, date(2024, 1, 31), date(2024, 2, 28)):
        course = start(nurse_a, patient, when)
        for a in course.administrations.filter(drug__code=INO):
            dose_record(
                actor=nurse_a, administration=a, status="given", given_at=at(a.planned_date), dose_given=a.planned_dose
            )
    last = start(nurse_a, patient, date(2024, 3, 27))
    day2, day8 = last.administrations.filter(drug__code=INO).order_by("day")
    dose_record(
        actor=nurse_a, administration=day2, status="given", given_at=at(day2.planned_date), dose_given=day2.planned_dose
    )
    double = str(day8.planned_dose * 2)
    give = {"status": "given", "given_at": f"{day8.planned_date}T10:00:00Z", "dose_given": double, "reason": "Rx"}
    url = f"{ADMINISTRATIONS}{day8.pk}/"

    api_client.force_authenticate(nurse_a)
    refused = api_client.post(f"{url}record/", give, format="json")
    assert refused.status_code == 400 and "signed override" in errors_of(refused)["dose_given"]
    override = {"dose_given": double, "reason": "Slow response", "password": password}
    by_nurse = api_client.post(f"{url}override/", override, format="json")
    assert by_nurse.status_code == 403
    assert errors_of(by_nurse) == {None: NOT_ALLOWED_TO_SIGN}
    assert not DoseOverride.objects.exists()

    api_client.force_authenticate(investigator_a)
    wrong = api_client.post(f"{url}override/", {**override, "password": "not-it"}, format="json")
    assert wrong.status_code == 400 and set(errors_of(wrong)) == {"password"}
    signed = api_client.post(f"{url}override/", override, format="json")
    assert signed.status_code == 201, signed.json()
    assert Decimal(signed.json()["maximum_per_m2"]) == Decimal("2.7")
    assert Signature.objects.for_record(DoseOverride.objects.get()).count() == 1

    api_client.force_authenticate(nurse_a)
    given = api_client.post(f"{url}record/", give, format="json")
    assert given.status_code == 200, given.json()
    totals = api_client.get(f"/api/v1/patients/{patient.pk}/cumulative-doses/").json()["drugs"][0]
    assert Decimal(totals["total_per_m2"]) == Decimal("3.0") and Decimal(totals["remaining_per_m2"]) < 0


def test_recompute_through_the_api_needs_a_reason(api_client, nurse_a, make_patient):
    course = start(nurse_a, make_patient())
    api_client.force_authenticate(nurse_a)
    url = f"{COURSES}{course.pk}/recompute/"
    refused = api_client.post(url, {"height_cm": "170", "weight_kg": "60"}, format="json")
    assert refused.status_code == 400 and set(errors_of(refused)) == {"reason"}
    bad = api_client.post(url, {"height_cm": "-1", "weight_kg": "60", "reason": "x"}, format="json")
    assert bad.status_code == 400 and set(errors_of(bad)) == {"height_cm"}
    ok = api_client.post(url, {"height_cm": "170", "weight_kg": "60", "reason": "Weight loss"}, format="json")
    assert ok.status_code == 200 and ok.json()["bsa_m2"] == "1.68"
    cyclo = {a["planned_dose"] for a in ok.json()["administrations"] if a["drug"] == "cyclophosphamide"}
    assert cyclo == {"252.0000"}


def test_roles_without_data_entry_may_read_but_not_write(api_client, make_user, site_a, nurse_a, make_patient):
    patient = make_patient()
    administration = vincristine_of(start(nurse_a, patient))
    monitor = make_user(Role.MONITOR, site_a)
    api_client.force_authenticate(monitor)
    assert api_client.get(f"{ADMINISTRATIONS}{administration.pk}/").status_code == 200
    assert api_client.get(f"/api/v1/patients/{patient.pk}/cumulative-doses/").status_code == 200
    recorded = api_client.post(
        f"{ADMINISTRATIONS}{administration.pk}/record/", {"status": "held", "reason": "Ileus"}, format="json"
    )
    assert recorded.status_code == 403
    started = api_client.post(
        COURSES,
        {"patient": patient.pk, "start_date": "2024-02-01", "height_cm": "170", "weight_kg": "70"},
        format="json",
    )
    assert started.status_code == 403
    assert PlannedAdministration.objects.get(pk=administration.pk).status == AdministrationStatus.PENDING


def test_schema_documents_the_dosing_endpoints(client, nurse_a):
    client.force_login(nurse_a)
    spec = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/v1/courses/",
        "/api/v1/courses/{id}/recompute/",
        "/api/v1/administrations/{id}/record/",
        "/api/v1/administrations/{id}/override/",
        "/api/v1/patients/{id}/cumulative-doses/",
    ):
        assert path in spec["paths"], path
    record = spec["paths"]["/api/v1/administrations/{id}/record/"]["post"]
    assert record["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/DoseRecordRequest")
    assert spec["components"]["schemas"]["RecordedStatusEnum"]["enum"] == ["given", "held", "omitted"]


def test_a_time_without_its_time_zone_is_refused_naming_the_field_and_nothing_saved(api_client, nurse_a, make_patient):
    from core.api.fields import NAIVE_DATETIME

    administration = vincristine_of(start(nurse_a, make_patient()))
    api_client.force_authenticate(nurse_a)
    naive = f"{administration.planned_date}T10:00:00"
    payload = {"status": "given", "given_at": naive, "dose_given": str(administration.planned_dose)}
    response = api_client.post(f"{ADMINISTRATIONS}{administration.pk}/record/", payload, format="json")
    assert response.status_code == 400
    assert errors_of(response) == {"given_at": NAIVE_DATETIME.format(example=naive)}
    administration.refresh_from_db()
    assert administration.status == "pending"
    schema = api_client.get("/api/schema/?format=json").json()
    described = schema["components"]["schemas"]["DoseRecordRequest"]["properties"]["given_at"]["description"]
    assert "time zone" in described
