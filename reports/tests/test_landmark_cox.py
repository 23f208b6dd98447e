"""Landmark analyses and Cox regression over the small cohort of conftest.py, with A1 transplanted on day 50.

Site A in days from the start of therapy: A1 SCT day 50, died day 300; A2 died day 100; A3 alive at day 400;
A4 died day 10.

Cox, SCT time-dependent: at day 10 (A4 dies) nobody is transplanted yet, so that death says nothing of SCT; at
day 100 (A2 dies) A1 is transplanted and A3 is not; at day 300 (A1 dies) A1 is transplanted and A3 is not. The
partial likelihood is x / ((x + 2)(x + 1)) with x = HR, largest at HR = √2. Had SCT been taken as known from day
0 (a fixed covariate), A1 would also count as transplanted at day 10 and the estimate would differ.
"""

import math
import re
from datetime import timedelta

import pytest

from patients.services.outcomes import transplant_record
from reports.selectors import DAYS_PER_MONTH

from .conftest import START

pytestmark = pytest.mark.django_db


@pytest.fixture
def transplanted(small_cohort, nurse_a):
    transplant_record(
        actor=nurse_a, patient=small_cohort["A1"], status="done", transplant_date=START + timedelta(days=50)
    )
    return small_cohort


def test_landmarks_compare_transplanted_and_untransplanted_patients_followed_past_the_landmark(
    api_client, investigator_a, transplanted
):
    api_client.force_authenticate(investigator_a)
    landmarks = {lm["months"]: lm for lm in api_client.get("/api/v1/reports/survival/os/").json()["landmarks"]}
    assert set(landmarks) == {2.0, 4.0}
    two, four = landmarks[2.0], landmarks[4.0]
    # 2 months (day 61): A4 died before it; A1 had its SCT by then (day 50); A2 and A3 had none.
    assert two["excluded"] == 1
    assert (two["transplanted"]["n"], two["transplanted"]["events"]) == (1, 1)
    assert (two["not_transplanted"]["n"], two["not_transplanted"]["events"]) == (2, 1)
    # Median of the untransplanted, from the landmark: A2's death at day 100.
    assert two["not_transplanted"]["median_months"]["value"] == pytest.approx(100 / DAYS_PER_MONTH - 2)
    assert two["log_rank"]["p"] is not None
    # 4 months (day 122): A2 (day 100) is left out too.
    assert four["excluded"] == 2
    assert (four["transplanted"]["n"], four["not_transplanted"]["n"]) == (1, 1)


def test_landmarks_are_on_the_survival_page(client, investigator_a, transplanted):
    client.force_login(investigator_a)
    html = client.get("/reports/survival/os/").content.decode()
    assert 'data-testid="landmark-2-sct"' in html and 'data-testid="landmark-4-no-sct"' in html
    assert "SCT by 2 months" in html and "No SCT by 4 months" in html


def test_cox_counts_the_transplant_from_its_day_not_from_the_start(api_client, investigator_a, transplanted):
    api_client.force_authenticate(investigator_a)
    body = api_client.get("/api/v1/reports/cox/os/").json()
    (sct,) = body["univariate"]
    assert sct["covariate"] == "sct"
    (hr,) = sct["univariate"]["hazard_ratios"]
    assert hr["hazard_ratio"] == pytest.approx(math.sqrt(2), rel=1e-4)
    assert hr["ci_lower"] < math.sqrt(2) < hr["ci_upper"]
    assert (sct["univariate"]["patients"], sct["univariate"]["events"]) == (4, 3)


def test_cox_fits_the_picked_covariates_alone_and_together(api_client, investigator_a, transplanted):
    api_client.force_authenticate(investigator_a)
    body = api_client.get("/api/v1/reports/cox/os/", {"covariate": ["later_version", "age"]}).json()
    # In the order of the choices, SCT first.
    assert [row["covariate"] for row in body["univariate"]] == ["sct", "age", "later_version"]
    assert body["covariates"] == ["age", "later_version"]
    multivariate = body["multivariate"]
    assert multivariate["patients"] <= 4
    if multivariate["hazard_ratios"]:
        assert [h["covariate"] for h in multivariate["hazard_ratios"]] == ["sct", "age", "later_version"]
    else:  # four patients may not support three covariates; the model says why
        assert multivariate["note"]


def test_an_unknown_covariate_is_refused_naming_it(api_client, client, investigator_a, transplanted):
    api_client.force_authenticate(investigator_a)
    response = api_client.get("/api/v1/reports/cox/os/", {"covariate": "shoe_size"})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "covariate" and "shoe_size" in error["message"]
    client.force_login(investigator_a)
    page = client.get("/reports/cox/os/", {"covariate": "shoe_size"})
    assert page.status_code == 200
    assert "shoe_size is not one of the available choices" in page.content.decode()
    assert 'data-testid="cox"' not in page.content.decode()


def test_cox_page_shows_the_sct_hazard_ratio_and_the_picker(client, investigator_a, transplanted):
    client.force_login(investigator_a)
    html = client.get("/reports/cox/os/", {"covariate": "age"}).content.decode()
    assert 'data-testid="covariate-picker"' in html
    assert re.search(r'<input[^>]*value="age"[^>]*checked', html)
    assert "1.41 (95% CI" in html
