"""Every problem at once (issue 11, points 2 and 12), through the real entry paths: a form or API call with a value
that does not parse *and* a date or cross-field problem gets both in one answer, with the same messages through
the form and the API, and a refused submission writes nothing — no record, no audit row, no flag, no queued task,
no e-mail."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse
from django.utils import timezone

from core.api.fields import ChoiceField
from core.validation import (
    IN_FUTURE,
    NOT_A_NUMBER,
    invalid_choice_message,
)
from dosing.models import Course, PlannedAdministration
from patients.choices import ConditioningAgent, VitalStatus
from patients.models import FollowUp, Transplant
from responses.models import MarrowAssessment
from responses.services import LEVEL_WITHOUT_DETECTION
from safety.models import Flag
from trial.choices import Route

REQUIRED = "This field is required."
TOMORROW = timezone.localdate() + timedelta(days=1)


def api_errors(response) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        errors.setdefault(error["field"], []).append(error["message"])
    return errors


def form_errors(response) -> dict[str, list[str]]:
    return {
        (None if name == NON_FIELD_ERRORS else name): list(msgs)
        for name, msgs in response.context["form"].errors.items()
    }


def summary_of(response) -> str:
    page = response.content.decode()
    start = page.index('data-testid="error-summary"')
    return page[start : page.index("</div>", start)]


# --- three entry paths, form and API ----------------------------------------------------------------------------


def test_course_start_with_a_non_number_and_a_future_date_gets_both_via_form_and_api(
    client, api_client, nurse_a, make_patient
):
    patient = make_patient()
    client.force_login(nurse_a)
    typed = {"start_date": TOMORROW.isoformat(), "height_cm": "170", "weight_kg": "seventy"}
    page = client.post(reverse("dosing:course-start", args=[patient.pk]), typed)
    expected = {"weight_kg": [NOT_A_NUMBER], "start_date": [IN_FUTURE]}
    assert page.status_code == 400 and form_errors(page) == expected
    summary = summary_of(page)
    assert 'href="#id_weight_kg"' in summary and f"Weight (kg)</a>: {NOT_A_NUMBER}" in summary
    assert 'href="#id_start_date"' in summary and IN_FUTURE in summary
    assert 'value="seventy"' in page.content.decode()  # what was typed is kept

    api_client.force_authenticate(nurse_a)
    response = api_client.post("/api/v1/courses/", {"patient": patient.pk, **typed}, format="json")
    assert response.status_code == 400 and api_errors(response) == expected


def test_a_refused_course_start_writes_nothing(
    client, api_client, nurse_a, make_patient, django_capture_on_commit_callbacks
):
    patient = make_patient()
    client.force_login(nurse_a)
    courses, history, flags = Course.objects.count(), Course.history.count(), Flag.objects.count()
    typed = {
        "start_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "height_cm": "1.7m",
        "weight_kg": "70",
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = client.post(reverse("dosing:course-start", args=[patient.pk]), typed)
        api_client.force_authenticate(nurse_a)
        response = api_client.post("/api/v1/courses/", {"patient": patient.pk, **typed}, format="json")
    assert page.status_code == 400 and response.status_code == 400
    assert form_errors(page) == api_errors(response) == {"height_cm": [NOT_A_NUMBER]}
    assert (Course.objects.count(), Course.history.count(), Flag.objects.count()) == (courses, history, flags)
    assert not PlannedAdministration.objects.filter(course__patient=patient).exists()
    assert callbacks == [] and mail.outbox == []


def _marrow(**changes):
    return {
        "assessed_on": TOMORROW.isoformat(),
        "marrow_blast_percent": "3",
        "neutrophils_1e9_per_l": "2.0",
        "platelets_1e9_per_l": "150",
        "mrd_flow": "not_detected",
        "mrd_flow_level": "0.001",
        "mrd_ngs": "not_done",
        "cytogenetics": "",
        **changes,
    }


def test_marrow_evaluation_with_a_missing_choice_a_future_date_and_a_level_without_detection(
    client, api_client, nurse_a, make_patient
):
    patient = make_patient()
    expected = {"cytogenetics": [REQUIRED], "assessed_on": [IN_FUTURE], "mrd_flow_level": [LEVEL_WITHOUT_DETECTION]}
    client.force_login(nurse_a)
    page = client.post(reverse("responses:assessment-new", args=[patient.pk]), _marrow())
    assert page.status_code == 400 and form_errors(page) == expected
    summary = summary_of(page)
    for field, [message] in expected.items():
        assert f'href="#id_{field}"' in summary and message in summary

    api_client.force_authenticate(nurse_a)
    payload = {"patient": patient.pk, **_marrow()}
    del payload["cytogenetics"]
    response = api_client.post("/api/v1/marrow-assessments/", payload, format="json")
    assert response.status_code == 400 and api_errors(response) == expected
    assert not MarrowAssessment.objects.filter(patient=patient).exists()
    assert not MarrowAssessment.history.exists()


def test_follow_up_with_an_unknown_vital_status_and_a_future_date_names_both_and_the_valid_codes(
    client, api_client, nurse_a, make_patient
):
    patient = make_patient()
    typed = {"contact_date": TOMORROW.isoformat(), "vital_status": "zombie", "disease_status": "", "notes": ""}
    expected = {
        "vital_status": [invalid_choice_message("zombie", VitalStatus.values)],
        "contact_date": [IN_FUTURE],
    }
    assert expected["vital_status"] == ['"zombie" is not a valid choice. Valid: alive, dead.']
    client.force_login(nurse_a)
    page = client.post(reverse("patients:follow-up-new", args=[patient.pk]), typed)
    assert page.status_code == 400 and form_errors(page) == expected

    api_client.force_authenticate(nurse_a)
    response = api_client.post("/api/v1/follow-ups/", {"patient": patient.pk, **typed}, format="json")
    assert response.status_code == 400 and api_errors(response) == expected
    assert not FollowUp.objects.exists() and not FollowUp.history.exists()


# --- choices: the codes in the error and in the OpenAPI schema --------------------------------------------------


def test_an_unknown_route_is_refused_listing_the_routes():
    field = ChoiceField(choices=Route.choices)
    with pytest.raises(Exception) as refused:
        field.run_validation("nasal")
    [message] = refused.value.detail
    assert message == invalid_choice_message("nasal", Route.values)
    assert re.fullmatch(r'"nasal" is not a valid choice\. Valid: .+\.', message) and ", ".join(Route.values) in message


@pytest.fixture
def schema(api_client, nurse_a):
    api_client.force_authenticate(nurse_a)
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()["components"]["schemas"]


def _enum(schema, component, prop):
    spec = schema[component]["properties"][prop]
    if "items" in spec:
        spec = spec["items"]
    for ref in [spec.get("$ref")] + [s.get("$ref") for s in spec.get("allOf", []) + spec.get("oneOf", [])]:
        if ref:
            return schema[ref.rsplit("/", 1)[1]].get("enum")
    return spec.get("enum")


def test_the_openapi_schema_lists_the_codes_of_every_checked_choice(schema):
    agents = set(ConditioningAgent.values)
    assert set(_enum(schema, "TransplantRecordRequest", "conditioning_agents")) == agents
    assert set(_enum(schema, "Transplant", "conditioning_agents")) == agents
    assert set(_enum(schema, "DoseRecordRequest", "route_given")) >= set(Route.values)
    assert set(_enum(schema, "UnplannedDoseRequest", "route")) == set(Route.values)
    assert _enum(schema, "UnplannedDoseRequest", "dose_unit")


def test_an_unknown_conditioning_agent_is_refused_via_form_and_api_with_the_codes(
    client, api_client, nurse_a, make_patient
):
    patient = make_patient()
    message = invalid_choice_message("gin", ConditioningAgent.values)
    client.force_login(nurse_a)
    typed = {"status": "planned", "transplant_date": TOMORROW.isoformat(), "conditioning_agents": ["busulfan", "gin"]}
    page = client.post(reverse("patients:transplant-new", args=[patient.pk]), typed)
    assert page.status_code == 400 and form_errors(page)["conditioning_agents"] == [message]
    api_client.force_authenticate(nurse_a)
    response = api_client.post("/api/v1/transplants/", {"patient": patient.pk, **typed}, format="json")
    assert response.status_code == 400 and api_errors(response) == {"conditioning_agents": [message]}


def test_a_refusal_whose_service_would_have_saved_the_rest_leaves_nothing_behind(
    client, api_client, nurse_a, make_patient, django_capture_on_commit_callbacks
):
    """The regimen name is too long (a parse error) and everything else is right: the service, tried on the rest,
    would save a transplant and queue the patient's safety evaluation; none of it survives the refusal."""
    patient = make_patient()
    typed = {"status": "planned", "transplant_date": TOMORROW.isoformat(), "conditioning_regimen": "x" * 201}
    patient_history, flags = patient.history.count(), Flag.objects.count()
    client.force_login(nurse_a)
    api_client.force_authenticate(nurse_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = client.post(reverse("patients:transplant-new", args=[patient.pk]), typed)
        response = api_client.post("/api/v1/transplants/", {"patient": patient.pk, **typed}, format="json")
    assert page.status_code == 400 and list(form_errors(page)) == ["conditioning_regimen"]
    assert response.status_code == 400 and list(api_errors(response)) == ["conditioning_regimen"]
    assert not Transplant.objects.exists() and not Transplant.history.exists()
    assert patient.history.count() == patient_history and Flag.objects.count() == flags
    assert callbacks == [] and mail.outbox == []
