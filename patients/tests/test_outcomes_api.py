"""Outcomes API: allogeneic SCT, off study, follow-up and death — same rules and messages as the services."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.audit.writes import REASON_REQUIRED
from core.validation import invalid_choice_message
from patients.choices import ConditioningAgent, PatientStatus
from patients.models import Death, FollowUp, Transplant
from patients.services.outcomes import (
    ALIVE_LATER,
    ALREADY_RECORDED,
    DEAD_AT_FOLLOW_UP,
    IN_FUTURE,
    death_record,
    follow_up_record,
    transplant_record,
)
from trial.choices import Role

TRANSPLANTS = "/api/v1/transplants/"
OFF_STUDY = "/api/v1/off-study/"
FOLLOW_UPS = "/api/v1/follow-ups/"
DEATHS = "/api/v1/deaths/"
TOMORROW = timezone.localdate() + timedelta(days=1)


def errors_of(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def sct(patient, **changes):
    return {
        "patient": patient.pk,
        "status": "done",
        "transplant_date": "2024-05-10",
        "donor_type": "matched_unrelated",
        "conditioning_regimen": "Flu/Mel",
        "conditioning_agents": ["melphalan", "fludarabine"],
        **changes,
    }


def test_record_a_transplant_and_correct_it_with_a_reason(api_client, nurse_a, make_patient):
    patient = make_patient()
    api_client.force_authenticate(nurse_a)
    created = api_client.post(TRANSPLANTS, sct(patient), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["transplant_date"], body["subject_id"]) == ("done", "2024-05-10", patient.subject_id)
    assert body["conditioning_agents"] == ["fludarabine", "melphalan"]

    unexplained = api_client.patch(body["url"], {"transplant_date": "2024-05-12"}, format="json")
    assert unexplained.status_code == 400 and errors_of(unexplained) == {"reason": REASON_REQUIRED}
    corrected = api_client.patch(
        body["url"], {"transplant_date": "2024-05-12", "reason": "Day 0 was the 12th"}, format="json"
    )
    assert corrected.status_code == 200, corrected.json()
    assert corrected.json()["transplant_date"] == "2024-05-12"
    history = api_client.get(body["history_url"]).json()
    assert history[-1]["reason"] == "Day 0 was the 12th"
    assert [t["id"] for t in api_client.get(TRANSPLANTS, {"patient": patient.pk}).json()["results"]] == [body["id"]]


def test_a_planned_transplant_may_be_in_the_future_a_done_one_may_not(api_client, nurse_a, make_patient):
    patient = make_patient()
    api_client.force_authenticate(nurse_a)
    done = api_client.post(TRANSPLANTS, sct(patient, transplant_date=TOMORROW.isoformat()), format="json")
    assert done.status_code == 400 and errors_of(done) == {"transplant_date": IN_FUTURE}
    planned = api_client.post(
        TRANSPLANTS, sct(patient, status="planned", transplant_date=TOMORROW.isoformat()), format="json"
    )
    assert planned.status_code == 201
    assert Transplant.objects.count() == 1


def test_an_unknown_conditioning_agent_is_refused_naming_the_valid_codes(api_client, nurse_a, make_patient):
    patient = make_patient()
    api_client.force_authenticate(nurse_a)
    refused = api_client.post(TRANSPLANTS, sct(patient, conditioning_agents=["busulfan", "gin"]), format="json")
    assert refused.status_code == 400
    assert errors_of(refused) == {
        "conditioning_agents": invalid_choice_message("gin", ConditioningAgent.values)
    }  # the codes listed: busulfan, clofarabine, … (the service, refusing it too, says the same)
    assert Transplant.objects.count() == 0


def test_record_a_death_once_and_correct_it_with_a_reason(api_client, nurse_a, make_patient):
    patient = make_patient()
    api_client.force_authenticate(nurse_a)
    death = {"patient": patient.pk, "death_date": "2024-03-01", "cause": "infection", "cause_detail": "Sepsis"}
    created = api_client.post(DEATHS, death, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["death_date"], body["cause"], body["cause_detail"]) == ("2024-03-01", "infection", "Sepsis")

    twice = api_client.post(DEATHS, {**death, "death_date": "2024-03-02"}, format="json")
    assert twice.status_code == 400 and errors_of(twice) == {"patient": ALREADY_RECORDED}
    assert Death.objects.get().death_date == date(2024, 3, 1)

    unexplained = api_client.patch(body["url"], {"cause": "disease"}, format="json")
    assert unexplained.status_code == 400 and errors_of(unexplained) == {"reason": REASON_REQUIRED}
    corrected = api_client.patch(body["url"], {"cause": "disease", "reason": "Autopsy report"}, format="json")
    assert corrected.status_code == 200 and corrected.json()["cause"] == "disease"
    assert api_client.get(body["history_url"]).json()[-1]["reason"] == "Autopsy report"


def test_a_corrected_death_date_obeys_the_rules_of_a_new_one(api_client, nurse_a, make_patient):
    patient = make_patient()
    follow_up_record(actor=nurse_a, patient=patient, contact_date=date(2024, 2, 20), vital_status="alive")
    death = death_record(actor=nurse_a, patient=patient, death_date=date(2024, 3, 1), cause="infection")
    api_client.force_authenticate(nurse_a)
    url = f"{DEATHS}{death.pk}/"
    future = api_client.patch(url, {"death_date": TOMORROW.isoformat(), "reason": "Typo"}, format="json")
    assert future.status_code == 400 and errors_of(future) == {"death_date": IN_FUTURE}
    alive_after = api_client.patch(url, {"death_date": "2024-02-10", "reason": "Typo"}, format="json")
    assert errors_of(alive_after) == {"death_date": ALIVE_LATER.format(date=date(2024, 2, 20))}
    later = api_client.patch(url, {"death_date": "2024-03-05", "reason": "Certificate"}, format="json")
    assert later.status_code == 200 and later.json()["death_date"] == "2024-03-05"


def test_take_a_patient_off_study_once(api_client, nurse_a, make_patient):
    patient = make_patient()
    api_client.force_authenticate(nurse_a)
    off = {"patient": patient.pk, "off_study_date": "2024-04-01", "reason": "transplant", "detail": "Allo SCT"}
    created = api_client.post(OFF_STUDY, off, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["reason"] == "transplant"
    patient.refresh_from_db()
    assert patient.status == PatientStatus.OFF_STUDY
    again = api_client.post(OFF_STUDY, off, format="json")
    assert again.status_code == 400 and errors_of(again) == {"patient": ALREADY_RECORDED}
    assert api_client.patch(created.json()["url"], {"detail": "x"}, format="json").status_code in (403, 405)
    assert api_client.get(created.json()["url"]).json()["detail"] == "Allo SCT"


def test_follow_up_contacts_and_no_death_by_follow_up(api_client, nurse_a, make_patient):
    patient = make_patient()
    api_client.force_authenticate(nurse_a)
    contact = {"patient": patient.pk, "contact_date": "2024-06-01", "vital_status": "alive"}
    created = api_client.post(FOLLOW_UPS, {**contact, "disease_status": "in_remission"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["disease_status"] == "in_remission"
    dead = api_client.post(FOLLOW_UPS, {**contact, "contact_date": "2024-07-01", "vital_status": "dead"}, format="json")
    assert dead.status_code == 400 and errors_of(dead) == {"vital_status": DEAD_AT_FOLLOW_UP}
    assert FollowUp.objects.count() == 1
    assert api_client.patch(created.json()["url"], {"notes": "x"}, format="json").status_code in (403, 405)
    assert api_client.get(created.json()["url"]).json()["notes"] == ""


@pytest.mark.parametrize("url", [TRANSPLANTS, OFF_STUDY, FOLLOW_UPS, DEATHS])
def test_another_sites_outcomes_answer_404(api_client, nurse_a, nurse_b, make_patient, url):
    correctable = url in (TRANSPLANTS, DEATHS)
    patient = make_patient()
    records = {
        TRANSPLANTS: lambda: transplant_record(
            actor=nurse_a, patient=patient, status="done", transplant_date=date(2024, 5, 10)
        ),
        OFF_STUDY: lambda: api_client.post(
            OFF_STUDY, {"patient": patient.pk, "off_study_date": "2024-04-01", "reason": "toxicity"}, format="json"
        ),
        FOLLOW_UPS: lambda: follow_up_record(
            actor=nurse_a, patient=patient, contact_date=date(2024, 6, 1), vital_status="alive"
        ),
        DEATHS: lambda: death_record(actor=nurse_a, patient=patient, death_date=date(2024, 6, 1), cause="other"),
    }
    api_client.force_authenticate(nurse_a)
    records[url]()
    pk = api_client.get(url).json()["results"][0]["id"]

    api_client.force_authenticate(nurse_b)
    assert api_client.get(f"{url}{pk}/").status_code == 404
    if correctable:
        assert api_client.patch(f"{url}{pk}/", {"reason": "x"}, format="json").status_code == 404
    assert api_client.get(url).json()["results"] == []
    posted = api_client.post(url, {"patient": patient.pk}, format="json")
    assert posted.status_code == 400 and "patient" in errors_of(posted)


def test_a_monitor_reads_outcomes_but_records_none(api_client, make_user, site_a, nurse_a, make_patient):
    patient = make_patient()
    death_record(actor=nurse_a, patient=patient, death_date=date(2024, 3, 1), cause="infection")
    api_client.force_authenticate(make_user(Role.MONITOR, site_a))
    [death] = api_client.get(DEATHS).json()["results"]
    assert api_client.patch(death["url"], {"cause": "other", "reason": "x"}, format="json").status_code == 403
    sent = {"patient": patient.pk, "contact_date": "2024-02-01", "vital_status": "alive"}
    assert api_client.post(FOLLOW_UPS, sent, format="json").status_code == 403


@pytest.mark.parametrize("url", [TRANSPLANTS, FOLLOW_UPS, DEATHS])
def test_outcome_lists_queries_do_not_grow_with_rows(api_client, nurse_a, make_patient, url):
    def cohort(n):
        for _ in range(n):
            patient = make_patient()
            transplant_record(actor=nurse_a, patient=patient, status="done", transplant_date=date(2024, 5, 10))
            follow_up_record(actor=nurse_a, patient=patient, contact_date=date(2024, 6, 1), vital_status="alive")
            death_record(actor=nurse_a, patient=patient, death_date=date(2024, 7, 1), cause="gvhd")

    api_client.force_authenticate(nurse_a)
    cohort(2)
    api_client.get(url)  # warm the user's permission and site caches
    with CaptureQueriesContext(connection) as few:
        assert len(api_client.get(url).json()["results"]) == 2
    cohort(4)
    with CaptureQueriesContext(connection) as many:
        assert len(api_client.get(url).json()["results"]) == 6
    assert len(many) == len(few)
