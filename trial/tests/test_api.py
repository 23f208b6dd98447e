"""API base: token auth, OpenAPI schema, cursor pagination, one error shape, audit trail endpoint."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from patients.services import patient_screen


def test_token_auth_via_management_command(api_client, nurse_a):
    call_command("drf_create_token", nurse_a.username, verbosity=0)
    token = Token.objects.get(user=nurse_a)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/patients/").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api_client.get("/api/v1/patients/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] is None


def test_anonymous_gets_401_or_403(api_client, db):
    assert api_client.get("/api/v1/patients/").status_code in (401, 403)


def test_openapi_schema_and_docs_are_served_offline(client, nurse_a):
    client.force_login(nurse_a)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    spec = schema.json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/patients/", "/api/v1/protocol-versions/", "/api/v1/records/{label}/{id}/history/"):
        assert path in spec["paths"], path
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower()


def test_validation_errors_have_one_shape(api_client, nurse_a, site_a):
    api_client.force_authenticate(nurse_a)
    response = api_client.post(
        "/api/v1/patients/",
        {"site": site_a.code, "sex": "robot", "date_of_birth": "1990-13-01", "family_name": "Doe"},
        format="json",
    )
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"sex", "date_of_birth"}
    for error in response.json()["errors"]:
        assert set(error) == {"field", "code", "message"} and error["message"]


def test_patch_without_reason_is_refused_with_the_form_message(api_client, nurse_a, site_a):
    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    api_client.force_authenticate(nurse_a)
    url = f"/api/v1/patients/{patient.pk}/"
    response = api_client.patch(url, {"family_name": "Dow"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "reason",
            "code": "invalid",
            "message": "A reason for change is required when a saved value is changed.",
        }
    ]
    ok = api_client.patch(url, {"family_name": "Dow", "reason": "Typo"}, format="json")
    assert ok.status_code == 200 and ok.json()["family_name"] == "Dow"
    history = api_client.get(ok.json()["history_url"]).json()
    assert history[-1]["reason"] == "Typo"
    assert history[-1]["changes"] == [{"field": "family_name", "label": "family name", "old": "Doe", "new": "Dow"}]


def test_patient_list_is_cursor_paginated_with_constant_queries(api_client, nurse_a, site_a):
    for _ in range(3):
        patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    api_client.force_authenticate(nurse_a)
    api_client.get("/api/v1/patients/?page_size=1")  # warm the user's permission and site caches
    with CaptureQueriesContext(connection) as few:
        first = api_client.get("/api/v1/patients/?page_size=2").json()
    assert len(first["results"]) == 2 and "cursor=" in first["next"]
    for _ in range(5):
        patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    with CaptureQueriesContext(connection) as many:
        api_client.get("/api/v1/patients/?page_size=8")
    assert len(many) == len(few)


@pytest.mark.parametrize("version", ["original", "amended-2017"])
def test_protocol_versions_endpoint_exposes_regimen(api_client, nurse_a, version):
    api_client.force_authenticate(nurse_a)
    data = api_client.get("/api/v1/protocol-versions/").json()
    codes = [v["code"] for v in data]
    assert version in codes
    regimen = next(v for v in data if v["code"] == version)
    assert regimen["course_types"] and regimen["course_sequence"]
