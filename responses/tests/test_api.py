"""Responses API: marrow evaluations with their derived response, and endpoints — same messages as the services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.audit.writes import REASON_REQUIRED
from dosing.services import course_start
from patients.services.outcomes import death_record, follow_up_record
from responses.api import DERIVED_NOT_TYPED
from responses.models import MarrowAssessment
from responses.services import IN_FUTURE, LEVEL_WITHOUT_DETECTION, assessment_record
from trial.choices import Role

ASSESSMENTS = "/api/v1/marrow-assessments/"
ENDPOINTS = "/api/v1/endpoints/"
DEATHS = "/api/v1/deaths/"
START = date(2024, 1, 3)


def treat(nurse, patient, when=START):
    return course_start(actor=nurse, patient=patient, start_date=when, height_cm=Decimal(170), weight_kg=Decimal(70))


def marrow(nurse, patient, day, blasts, anc="2.0", plt="150", **kw):
    return assessment_record(
        actor=nurse, patient=patient, assessed_on=START + timedelta(days=day), marrow_blast_percent=Decimal(blasts),
        neutrophils_1e9_per_l=Decimal(anc), platelets_1e9_per_l=Decimal(plt), **kw,
    )  # fmt: skip


def payload(patient, day=27, **changes):
    return {
        "patient": patient.pk,
        "assessed_on": (START + timedelta(days=day)).isoformat(),
        "marrow_blast_percent": "3",
        "neutrophils_1e9_per_l": "2.0",
        "platelets_1e9_per_l": "150",
        "mrd_flow": "not_done",
        "mrd_ngs": "not_done",
        "cytogenetics": "not_done",
        **changes,
    }


def errors_of(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def endpoints_of(api_client, patient) -> dict:
    return api_client.get(f"/api/v1/patients/{patient.pk}/endpoints/").json()


def test_record_an_evaluation_and_see_its_derived_response(api_client, nurse_a, make_patient):
    patient = make_patient()
    course = treat(nurse_a, patient)
    api_client.force_authenticate(nurse_a)
    created = api_client.post(ASSESSMENTS, payload(patient, after_course=course.pk, mrd_flow="detected"), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["response"]["category"] == "cr" and body["response"]["category_label"] == "CR"
    assert body["response"]["label"].startswith("CR: marrow blasts ≤ 5%")
    assert (body["relapse"], body["after_course_number"], body["mrd_flow"]) == (False, 1, "detected")
    assert body["recorded_by"] == nurse_a.signature_name

    low_platelets = api_client.patch(body["url"], {"platelets_1e9_per_l": "80"}, format="json")
    assert low_platelets.status_code == 400
    assert errors_of(low_platelets) == {"reason": REASON_REQUIRED}
    corrected = api_client.patch(body["url"], {"platelets_1e9_per_l": "80", "reason": "Recount"}, format="json")
    assert corrected.status_code == 200, corrected.json()
    assert corrected.json()["response"]["category"] == "crp"
    assert api_client.get(body["history_url"]).json()[-1]["reason"] == "Recount"


def test_the_derived_response_cannot_be_entered(api_client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    api_client.force_authenticate(nurse_a)
    typed = api_client.post(ASSESSMENTS, payload(patient, marrow_blast_percent="40", response="cr"), format="json")
    assert typed.status_code == 400 and errors_of(typed) == {"response": DERIVED_NOT_TYPED}
    assert MarrowAssessment.objects.count() == 0
    created = api_client.post(ASSESSMENTS, payload(patient, marrow_blast_percent="40"), format="json")
    assert created.json()["response"]["category"] == "no_response"
    relapse = api_client.patch(created.json()["url"], {"relapse": True, "reason": "x"}, format="json")
    assert relapse.status_code == 400 and errors_of(relapse) == {"relapse": DERIVED_NOT_TYPED}


def test_relapse_is_marked_on_the_first_evaluation_with_blasts_after_a_response(api_client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    marrow(nurse_a, patient, 27, "2")
    marrow(nurse_a, patient, 90, "12")
    marrow(nurse_a, patient, 120, "30")
    api_client.force_authenticate(nurse_a)
    listed = api_client.get(ASSESSMENTS, {"patient": patient.pk}).json()["results"]
    assert [(a["response"]["category"], a["relapse"]) for a in listed] == [
        ("cr", False), ("no_response", True), ("no_response", False),
    ]  # fmt: skip
    # One evaluation alone still knows its place in the patient's history.
    single = api_client.get(listed[1]["url"]).json()
    assert single["relapse"] is True


TOMORROW = timezone.localdate() + timedelta(days=1)
BAD_INPUT = [  # (field named, as sent to the API, as given to the service)
    ("marrow_blast_percent", {"marrow_blast_percent": "101"}, {"marrow_blast_percent": Decimal(101)}),
    ("assessed_on", {"assessed_on": TOMORROW.isoformat()}, {"assessed_on": TOMORROW}),
    (
        "mrd_flow_level",
        {"mrd_flow": "not_detected", "mrd_flow_level": "0.001"},
        {"mrd_flow": "not_detected", "mrd_flow_level": Decimal("0.001")},
    ),
]


@pytest.mark.parametrize("field,sent,given", BAD_INPUT, ids=[f for f, _, _ in BAD_INPUT])
def test_bad_input_is_refused_with_the_service_message_and_nothing_saved(
    api_client, nurse_a, make_patient, field, sent, given
):
    patient = make_patient()
    treat(nurse_a, patient)
    api_client.force_authenticate(nurse_a)
    refused = api_client.post(ASSESSMENTS, payload(patient, **sent), format="json")
    assert refused.status_code == 400
    assert MarrowAssessment.objects.count() == 0

    values = {"assessed_on": START + timedelta(days=27), "marrow_blast_percent": Decimal(3), **given}
    with pytest.raises(ValidationError) as from_service:
        marrow_values = {"neutrophils_1e9_per_l": Decimal(2), "platelets_1e9_per_l": Decimal(150)}
        assessment_record(actor=nurse_a, patient=patient, **values, **marrow_values)
    assert errors_of(refused)[field] == from_service.value.message_dict[field][0]


def test_messages_a_user_reads(api_client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    api_client.force_authenticate(nurse_a)
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    refused = api_client.post(ASSESSMENTS, payload(patient, assessed_on=future, mrd_flow_level="0.01"), format="json")
    assert errors_of(refused) == {"assessed_on": IN_FUTURE, "mrd_flow_level": LEVEL_WITHOUT_DETECTION}


def test_another_sites_evaluation_answers_404(api_client, nurse_a, nurse_b, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    assessment = marrow(nurse_a, patient, 27, "2")
    api_client.force_authenticate(nurse_b)
    assert api_client.get(f"{ASSESSMENTS}{assessment.pk}/").status_code == 404
    patched = api_client.patch(f"{ASSESSMENTS}{assessment.pk}/", {"marrow_blast_percent": "9", "reason": "x"})
    assert patched.status_code == 404
    assert api_client.get(ASSESSMENTS).json()["results"] == []
    posted = api_client.post(ASSESSMENTS, payload(patient, day=60), format="json")
    assert posted.status_code == 400 and "patient" in errors_of(posted)
    assert api_client.get(f"/api/v1/patients/{patient.pk}/endpoints/").status_code == 404
    assessment.refresh_from_db()
    assert assessment.marrow_blast_percent == Decimal("2")


def test_a_monitor_reads_but_does_not_record(api_client, make_user, site_a, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    marrow(nurse_a, patient, 27, "2")
    monitor = make_user(Role.MONITOR, site_a)
    api_client.force_authenticate(monitor)
    assert len(api_client.get(ASSESSMENTS).json()["results"]) == 1
    assert api_client.post(ASSESSMENTS, payload(patient, day=60), format="json").status_code == 403


def test_evaluation_list_queries_do_not_grow_with_rows(api_client, nurse_a, make_patient):
    def cohort(n):
        for _ in range(n):
            patient = make_patient()
            treat(nurse_a, patient)
            marrow(nurse_a, patient, 27, "2")
            marrow(nurse_a, patient, 90, "12")

    api_client.force_authenticate(nurse_a)
    cohort(2)
    api_client.get(ASSESSMENTS)  # warm the user's permission and site caches
    with CaptureQueriesContext(connection) as few:
        assert len(api_client.get(ASSESSMENTS).json()["results"]) == 4
    cohort(4)
    with CaptureQueriesContext(connection) as many:
        rows = api_client.get(ASSESSMENTS).json()["results"]
    assert len(rows) == 12 and sum(r["relapse"] for r in rows) == 6
    assert len(many) == len(few)


# --- Endpoints ---


def test_endpoints_of_a_patient_who_responded_relapsed_and_died(api_client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    marrow(nurse_a, patient, 27, "3", plt="80", mrd_flow="detected")
    marrow(nurse_a, patient, 90, "1", mrd_flow="not_detected")
    marrow(nurse_a, patient, 200, "12")
    death_record(actor=nurse_a, patient=patient, death_date=START + timedelta(days=300), cause="disease")
    api_client.force_authenticate(nurse_a)
    [row] = api_client.get(ENDPOINTS).json()
    assert row["subject_id"] == patient.subject_id and row["protocol_version"] == "amended-2017"
    assert (row["best_response"], row["best_response_label"], row["responded"]) == ("cr", "CR", True)
    assert (row["first_response_date"], row["time_to_response_days"]) == ("2024-01-30", 27)
    assert (row["mrd_negative_at_response"], row["mrd_negative_any_time"]) == (False, True)
    assert (row["relapse_date"], row["death_date"], row["early_death"]) == ("2024-07-21", "2024-10-29", False)
    assert (row["os_days"], row["os_event"], row["rfs_days"], row["rfs_event"]) == (300, True, 173, True)
    assert row["last_known_alive"] == "2024-10-29"

    one = endpoints_of(api_client, patient)
    assert {k: one[k] for k in row} == row
    assert [(h["response"]["category"], h["relapse"]) for h in one["history"]] == [
        ("crp", False), ("cr", False), ("no_response", True),
    ]  # fmt: skip


def test_endpoints_of_a_patient_censored_alive(api_client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    marrow(nurse_a, patient, 27, "2")
    follow_up_record(actor=nurse_a, patient=patient, contact_date=START + timedelta(days=400), vital_status="alive")
    api_client.force_authenticate(nurse_a)
    e = endpoints_of(api_client, patient)
    assert (e["os_days"], e["os_event"], e["rfs_days"], e["rfs_event"]) == (400, False, 373, False)
    assert (e["death_date"], e["relapse_date"], e["last_known_alive"]) == (None, None, "2025-02-06")


def test_a_later_course_start_counts_as_known_alive(api_client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    marrow(nurse_a, patient, 20, "2")
    treat(nurse_a, patient, when=START + timedelta(days=30))
    api_client.force_authenticate(nurse_a)
    e = endpoints_of(api_client, patient)
    assert (e["treatment_start"], e["last_known_alive"], e["os_days"], e["rfs_days"]) == (
        "2024-01-03", "2024-02-02", 30, 10,
    )  # fmt: skip


@pytest.mark.parametrize("days,early,best", [(28, True, "early_death"), (29, False, "not_evaluable")])
def test_early_death_is_a_death_within_28_days_of_the_start(api_client, nurse_a, make_patient, days, early, best):
    patient = make_patient()
    treat(nurse_a, patient)
    api_client.force_authenticate(nurse_a)
    died = START + timedelta(days=days)
    recorded = api_client.post(
        DEATHS, {"patient": patient.pk, "death_date": died.isoformat(), "cause": "infection"}, format="json"
    )
    assert recorded.status_code == 201, recorded.json()
    e = endpoints_of(api_client, patient)
    assert (e["early_death"], e["best_response"], e["os_days"], e["os_event"]) == (early, best, days, True)
    assert e["rfs_days"] is None and e["rfs_event"] is None


def test_endpoints_list_is_scoped_and_filtered(api_client, make_user, site_a, site_b, nurse_b, make_patient):
    in_a = make_patient()
    original = make_patient(version="original")
    in_b = make_patient(nurse=nurse_b, site=site_b)
    both = make_user(Role.STATISTICIAN, site_a, site_b)
    api_client.force_authenticate(both)
    assert [r["subject_id"] for r in api_client.get(ENDPOINTS).json()] == [
        in_a.subject_id, original.subject_id, in_b.subject_id,
    ]  # fmt: skip
    assert [r["subject_id"] for r in api_client.get(ENDPOINTS, {"site": "SB"}).json()] == [in_b.subject_id]
    by_version = api_client.get(ENDPOINTS, {"protocol_version": "original"}).json()
    assert [r["subject_id"] for r in by_version] == [original.subject_id]
    assert by_version[0]["best_response"] == "not_evaluable" and by_version[0]["treatment_start"] is None

    api_client.force_authenticate(nurse_b)
    assert [r["subject_id"] for r in api_client.get(ENDPOINTS).json()] == [in_b.subject_id]


def test_endpoints_list_queries_do_not_grow_with_patients(api_client, nurse_a, make_patient):
    def cohort(n):
        for i in range(n):
            patient = make_patient()
            treat(nurse_a, patient)
            marrow(nurse_a, patient, 27, "2", mrd_flow="not_detected")
            if i % 2:
                death_record(actor=nurse_a, patient=patient, death_date=START + timedelta(days=100), cause="other")
            else:
                follow_up_record(
                    actor=nurse_a, patient=patient, contact_date=START + timedelta(days=60), vital_status="alive"
                )

    api_client.force_authenticate(nurse_a)
    cohort(2)
    api_client.get(ENDPOINTS)  # warm the user's permission and site caches
    with CaptureQueriesContext(connection) as few:
        assert len(api_client.get(ENDPOINTS).json()) == 2
    cohort(5)
    with CaptureQueriesContext(connection) as many:
        rows = api_client.get(ENDPOINTS).json()
    assert len(rows) == 7 and sum(r["os_event"] for r in rows) == 3
    assert len(many) == len(few)


def test_no_endpoints_before_registration(api_client, nurse_a, site_a):
    from patients.services import patient_screen

    screening = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    api_client.force_authenticate(nurse_a)
    answered = api_client.get(f"/api/v1/patients/{screening.pk}/endpoints/")
    assert answered.status_code == 404
    assert api_client.get(ENDPOINTS).json() == []


def test_mrd_and_cytogenetics_must_be_given_when_recording(api_client, nurse_a, make_patient):
    patient = make_patient()
    api_client.force_authenticate(nurse_a)
    body = payload(patient)
    for field in ("mrd_flow", "mrd_ngs", "cytogenetics"):
        body.pop(field)
    response = api_client.post(ASSESSMENTS, body, format="json")
    assert response.status_code == 400
    assert errors_of(response) == {
        "mrd_flow": "This field is required.",
        "mrd_ngs": "This field is required.",
        "cytogenetics": "This field is required.",
    }
    assert not MarrowAssessment.objects.exists()
