"""The reports API: the same numbers and filters as the pages, as JSON, over the caller's sites."""

from datetime import timedelta

import pytest

from reports.filters import REGISTRATION_PERIOD_REVERSED

from .conftest import START

pytestmark = pytest.mark.django_db


def _row(body, key):
    return next(r for r in body["rows"] if r["key"] == key)


def test_table2_as_json_with_exact_intervals_and_the_versions_p(api_client, statistician_a, small_cohort):
    api_client.force_authenticate(statistician_a)
    body = api_client.get("/api/v1/reports/table2/").json()
    assert [g["n"] for g in body["cohort"]["groups"]] == [4, 2, 2]
    cr = _row(body, "cr")
    assert [(c["n"], c["total"]) for c in cr["cells"]] == [(1, 4), (1, 2), (0, 2)]
    assert cr["cells"][0]["ci_lower"] == pytest.approx(0.00631, abs=1e-4)  # exact CI of 1/4: 0.0063–0.8059
    assert cr["cells"][0]["ci_upper"] == pytest.approx(0.80587, abs=1e-4)
    assert cr["comparison"] == {"test": "Fisher exact", "p": pytest.approx(1.0)}
    assert [(c["n"], c["total"]) for c in _row(body, "mrd_negative_at_response")["cells"]] == [(1, 2), (1, 1), (0, 1)]
    assert body["cohort"]["data_cutoff"] is None and body["cohort"]["computed_at"]


def test_survival_as_json_median_rates_and_the_cutoff(api_client, statistician_a, small_cohort):
    api_client.force_authenticate(statistician_a)
    body = api_client.get("/api/v1/reports/survival/os/").json()
    overall = body["overall"]
    assert (overall["n"], overall["events"]) == (4, 3)
    assert overall["median_months"]["value"] == pytest.approx(100 / (365.25 / 12))
    one_year = next(r for r in overall["rates"] if r["months"] == 12)
    assert one_year["value"] == pytest.approx(0.25)
    cutoff = (START + timedelta(days=200)).isoformat()
    known = api_client.get(f"/api/v1/reports/survival/os/?cutoff={cutoff}").json()
    assert known["overall"]["events"] == 2  # the death on day 300 was not known yet
    assert known["cohort"]["data_cutoff"] == cutoff


def test_table1_as_json(api_client, statistician_a, small_cohort):
    api_client.force_authenticate(statistician_a)
    body = api_client.get("/api/v1/reports/table1/").json()
    cd20 = _row(body, "cd20")
    assert cd20["cells"][0]["distribution"] == {"known": 4, "median": 10.0, "minimum": 10.0, "maximum": 10.0}
    assert cd20["comparison"]["test"] == "Mann–Whitney U"
    assert _row(body, "sex")["comparison"]["test"] in ("Fisher exact", "χ²")


def test_site_scoping_and_filter_errors(api_client, statistician_a, investigator_b, small_cohort, site_b):
    api_client.force_authenticate(investigator_b)
    body = api_client.get("/api/v1/reports/table2/").json()
    assert body["cohort"]["groups"][0]["n"] == 1  # site B's user sees B1 only
    api_client.force_authenticate(statistician_a)
    refused = api_client.get(f"/api/v1/reports/table2/?site={site_b.code}")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "site"
    reversed_period = api_client.get("/api/v1/reports/table1/?registered_from=2024-02-01&registered_to=2024-01-01")
    assert reversed_period.status_code == 400
    assert reversed_period.json()["errors"] == [
        {"field": "registered_to", "code": "invalid", "message": REGISTRATION_PERIOD_REVERSED}
    ]
    assert api_client.get("/api/v1/reports/survival/efs/").status_code == 404


def test_reports_api_needs_the_permission(api_client, nurse_a):
    assert api_client.get("/api/v1/reports/table2/").status_code == 401
    api_client.force_authenticate(nurse_a)
    assert api_client.get("/api/v1/reports/table2/").status_code == 403


def test_reports_are_in_the_openapi_schema(api_client, statistician_a):
    api_client.force_authenticate(statistician_a)
    schema = api_client.get("/api/schema/?format=json").json()
    assert {"/api/v1/reports/table1/", "/api/v1/reports/table2/", "/api/v1/reports/survival/{endpoint}/"} <= set(
        schema["paths"]
    )
    parameters = {p["name"] for p in schema["paths"]["/api/v1/reports/table2/"]["get"]["parameters"]}
    assert {"site", "protocol_version", "registered_from", "registered_to", "cutoff"} <= parameters
