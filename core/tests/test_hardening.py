"""Malformed input never makes a server error, and responses carrying clinical data are never cached.

The walk sends every API operation of the OpenAPI schema, as a research nurse and as a data manager, the malformed
requests an attacker or a broken client sends: a non-numeric or out-of-range id, a body that is not a JSON object,
a NUL byte in a string (PostgreSQL cannot store one), and malformed query parameters. Every answer must be a 4xx
(or a 2xx, for a list that ignores an unknown parameter) and every 4xx must be in the API's error shape.
"""

import json
import re

import pytest
from django.urls import URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core.api.parsers import NOT_AN_OBJECT, NUL_CODE, NUL_REFUSED
from trial.choices import Role

NON_NUMERIC_ID = "abc"
OUT_OF_RANGE_ID = "99999999999999999999"
NUL = "\u0000"
NOT_OBJECT_BODIES = ["[1, 2]", '"x"', "null", "3"]
MALFORMED_QUERIES = [
    {"page": "abc"},
    {"ordering": "nonsense"},
    {"cursor": "abc"},
    {"cursor": NUL},
    {"patient": "abc"},
    {"patient": OUT_OF_RANGE_ID},
    {"patient": NUL},
    {"course": OUT_OF_RANGE_ID},
    {"grade": OUT_OF_RANGE_ID},
    {"site": NUL},
    {"search": NUL},
]
PARAMETER = re.compile(r"\{([^}]+)\}")
PAGE_PARAMETER = re.compile(r"<(?:(\w+):)?\w+>")


def _operations():
    """(path template, method, operation) for every operation the schema documents."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for template, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield template, method, operation, schema


def _string_fields(operation, schema):
    """The names of the string properties of the operation's JSON request body (following one ``$ref``)."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return [name for name, spec in body.get("properties", {}).items() if spec.get("type") == "string"]


def _fill(template, value, defaults):
    """The path with ``value`` for the last parameter and a plausible value (an existing id) for the others."""
    names = PARAMETER.findall(template)
    path = template
    for i, name in enumerate(names):
        path = path.replace("{" + name + "}", value if i == len(names) - 1 else defaults.get(name, "1"), 1)
    return path


def _requests(template, method, operation, schema, existing):
    """Every malformed request for one operation: (description, path, query, body or None)."""
    if PARAMETER.search(template):
        for value in (NON_NUMERIC_ID, OUT_OF_RANGE_ID, NUL):
            yield f"id {value!r}", _fill(template, value, existing), {}, None
        path = _fill(template, existing.get(PARAMETER.findall(template)[-1], "1"), existing)
    else:
        path = template
    if method == "get":
        for query in MALFORMED_QUERIES:
            yield f"query {query!r}", path, query, None
    if method in {"post", "put", "patch"}:
        for body in NOT_OBJECT_BODIES:
            yield f"body {body}", path, {}, body
        for field in _string_fields(operation, schema):
            yield f"NUL in {field}", path, {}, json.dumps({field: f"a{NUL}b"})


def _walk(user, existing):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    problems, sent = [], 0
    for template, method, operation, schema in _operations():
        for description, path, query, body in _requests(template, method, operation, schema, existing):
            sent += 1
            call = getattr(client, method)
            response = call(path, query) if body is None else call(path, body, content_type="application/json")
            where = f"{method.upper()} {template} {description}: {response.status_code}"
            if response.status_code >= 500:
                problems.append(where)
            elif 400 <= response.status_code < 500:
                try:
                    errors = response.json()["errors"]
                    shaped = errors and all({"field", "code", "message"} <= set(e) for e in errors)
                except (ValueError, KeyError, TypeError):
                    shaped = False
                if not shaped:
                    problems.append(f"{where} not in the error shape: {response.content[:80]!r}")
    return problems, sent


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.RESEARCH_NURSE, Role.DATA_MANAGER])
def test_malformed_requests_to_every_api_operation_answer_4xx_in_the_error_shape(role, make_user, site_a, make_patient):
    patient = make_patient()
    user = make_user(role, site_a, username=f"walker_{role}")
    problems, sent = _walk(user, {"id": str(patient.pk), "pk": str(patient.pk), "label": "patients.patient"})
    assert sent > 300
    print(f"{sent} requests, {len(problems)} problems:", *problems, sep="\n")
    assert problems == []


@pytest.mark.django_db
def test_pages_and_api_responses_of_a_signed_in_user_are_not_stored(client, api_client, nurse_a, make_patient):
    patient = make_patient()
    client.force_login(nurse_a)
    page = client.get(patient.get_absolute_url())
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    api_client.force_authenticate(nurse_a)
    api = api_client.get(reverse("patient-detail", args=[patient.pk]))
    assert api.status_code == 200
    assert "no-store" in api["Cache-Control"]


@pytest.mark.django_db
def test_an_api_refusal_to_an_anonymous_caller_is_not_stored(api_client):
    response = api_client.get(reverse("patient-list"))
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]


def test_static_files_keep_their_caching(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_signing_with_a_next_on_another_site_goes_back_to_the_record(client, investigator_a, make_patient, password):
    patient = make_patient()
    client.force_login(investigator_a)
    url = reverse("core:record-sign", args=[patient._meta.label_lower, patient.pk])
    response = client.post(url, {"meaning": "review", "password": password, "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == patient.get_absolute_url()


@pytest.mark.django_db
def test_signing_in_with_a_next_on_another_site_lands_on_the_home_page(client, nurse_a, password):
    response = client.post(
        reverse("login") + "?next=https://evil.example/", {"username": nurse_a.username, "password": password}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("trial:home")


@pytest.mark.django_db
def test_signing_out_with_a_next_on_another_site_stays_here(client, nurse_a):
    client.force_login(nurse_a)
    response = client.post(reverse("logout") + "?next=https://evil.example/")
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def _page_routes(patterns=None, prefix=""):
    """Every page route with parameters, as a path template (``patients/<int:pk>/``), admin and API left out."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(("admin/", "api/")):
            continue
        if isinstance(pattern, URLResolver):
            yield from _page_routes(pattern.url_patterns, route)
        elif "<" in route:
            yield route


@pytest.mark.django_db
def test_a_malformed_or_unknown_id_in_a_page_address_answers_404(client, nurse_a, make_patient):
    make_patient()
    client.force_login(nurse_a)
    client.raise_request_exception = False
    routes = list(_page_routes())
    answers = {}
    for route in routes:
        for value in (OUT_OF_RANGE_ID, "abc", "%00"):
            path = "/" + PAGE_PARAMETER.sub(lambda m, value=value: OUT_OF_RANGE_ID if m[1] == "int" else value, route)
            answers[path] = client.get(path).status_code
    assert len(routes) > 30
    assert {path: status for path, status in answers.items() if status >= 500} == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "kind"), [("[1, 2]", "a list"), ('"x"', "a string"), ("null", "null"), ("3", "a number")]
)
def test_a_body_that_is_not_an_object_is_refused_as_a_whole(api_client, nurse_a, body, kind):
    api_client.force_authenticate(nurse_a)
    response = api_client.post(reverse("patient-list"), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"field": None, "code": "not_an_object", "message": NOT_AN_OBJECT.format(kind=kind)}]
    }


@pytest.mark.django_db
def test_a_nul_byte_in_a_body_is_refused_naming_the_field(api_client, nurse_a, make_patient):
    patient = make_patient()
    api_client.force_authenticate(nurse_a)
    response = api_client.patch(
        reverse("patient-detail", args=[patient.pk]),
        {"family_name": "Do\u0000e", "reason_for_change": "typo"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "family_name", "code": NUL_CODE, "message": NUL_REFUSED}]
    nested = api_client.post(reverse("patient-list"), {"consents": [{"notes": "\u0000"}]}, format="json")
    assert nested.json()["errors"][0]["field"] == "consents.0.notes"


@pytest.mark.django_db
def test_an_id_filter_out_of_range_is_refused_naming_the_parameter(api_client, nurse_a):
    api_client.force_authenticate(nurse_a)
    response = api_client.get(reverse("course-list"), {"patient": OUT_OF_RANGE_ID})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["patient"]


@pytest.mark.django_db
def test_an_api_address_no_route_matches_answers_404_in_the_error_shape(api_client, nurse_a):
    api_client.force_authenticate(nurse_a)
    response = api_client.get("/api/v1/patients/abc/")
    assert response.status_code == 404
    assert response.json() == {"errors": [{"field": None, "code": "not_found", "message": "Not found."}]}
