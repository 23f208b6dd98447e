"""Finished reports are kept per (report, sites, filters, data version): a repeated visit computes nothing, and any
audited write (a new death) makes the next visit compute the new numbers."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import selectors

from .conftest import AMENDED, die, treat

pytestmark = pytest.mark.django_db


def _os(api_client):
    return api_client.get("/api/v1/reports/survival/os/").json()


def test_a_repeated_visit_is_served_from_the_cache_until_a_death_is_recorded(
    api_client, investigator_a, nurse_a, make_patient, small_cohort
):
    api_client.force_authenticate(investigator_a)
    first = _os(api_client)
    with mock.patch.object(selectors, "cohort", wraps=selectors.cohort) as computed:
        again = _os(api_client)
    assert computed.call_count == 0
    assert again == first  # the same numbers and the same time of computation
    assert first["overall"]["events"] == 3

    patient = make_patient(AMENDED)
    treat(nurse_a, patient)
    die(nurse_a, patient, 30)
    after = _os(api_client)
    assert (after["overall"]["n"], after["overall"]["events"]) == (5, 4)
    assert after["cohort"]["computed_at"] >= first["cohort"]["computed_at"]


def test_the_survival_page_its_figures_and_its_csv_compute_the_cohort_once(client, investigator_a, small_cohort):
    client.force_login(investigator_a)
    with mock.patch.object(selectors, "cohort", wraps=selectors.cohort) as computed:
        assert client.get("/reports/survival/os/").status_code == 200
        for by in ("all", "version"):
            assert client.get(f"/reports/survival/os/{by}.svg").status_code == 200
        assert client.get("/reports/survival/os/data.csv").status_code == 200
        assert client.get("/api/v1/reports/survival/os/").status_code == 200
    assert computed.call_count == 1


def test_a_cached_report_is_never_shown_to_a_user_of_other_sites_or_other_filters(
    api_client, investigator_a, investigator_b, small_cohort
):
    api_client.force_authenticate(investigator_a)
    assert _os(api_client)["overall"]["n"] == 4
    assert api_client.get("/api/v1/reports/survival/os/", {"protocol_version": AMENDED}).json()["overall"]["n"] == 2
    api_client.force_authenticate(investigator_b)
    assert _os(api_client)["overall"]["n"] == 1  # B1 only


def test_a_cached_page_reads_only_the_data_version(client, investigator_a, small_cohort):
    client.force_login(investigator_a)
    with CaptureQueriesContext(connection) as cold:
        client.get("/reports/table2/")
    with CaptureQueriesContext(connection) as cached:
        client.get("/reports/table2/")
    assert sum("MAX(history_id)" in q["sql"] for q in cached) == 1  # the data version
    assert not [q for q in cached if 'FROM "patients_patient"' in q["sql"]]  # no patient is read again
    assert len(cached) < len(cold)
