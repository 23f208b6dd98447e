"""The report pages, images and CSV over the small cohort of conftest.py (numbers worked out there by hand)."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.filters import REGISTRATION_PERIOD_REVERSED

from .conftest import AMENDED, ORIGINAL, START, die, marrow, treat

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _row(response, key) -> str:
    html = response.content.decode()
    match = re.search(rf'<tr data-testid="{key}">(.*?)</tr>', html, re.S)
    assert match, key
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_table2_counts_best_responses_of_the_users_sites_only(client, investigator_a, small_cohort):
    client.force_login(investigator_a)
    response = client.get("/reports/table2/")
    assert response.status_code == 200
    # Site A: A1 CR, A2 no response, A3 CRp, A4 early death; site B's CR (B1) is not counted.
    assert "All (N = 4)" in _text(response)
    assert _row(response, "table2-cr").startswith("CR 1/4 (25%) 95% CI 1%–81% 1/2 (50%)")
    assert _row(response, "table2-orr").startswith("ORR (CR + CRp + CRi) 2/4 (50%)")
    assert _row(response, "table2-early_death").startswith("Early death 1/4 (25%)")
    assert "Data cut-off: none (all data recorded)" in _text(response)
    assert "computed " in _text(response)


def test_table1_shows_medians_counts_and_the_test_used(client, investigator_a, small_cohort):
    client.force_login(investigator_a)
    response = client.get("/reports/table1/")
    assert response.status_code == 200
    assert "Mann–Whitney U" in _row(response, "table1-cd20")
    assert _row(response, "table1-cd20").startswith("CD20 expression, % 10 (10–10)")  # make_patient: CD20 10%
    assert _row(response, "table1-cns").startswith("CNS disease at start 0/4 (0%)")


def test_survival_page_prints_the_median_and_the_figure_from_a_same_origin_url(client, investigator_a, small_cohort):
    client.force_login(investigator_a)
    response = client.get("/reports/survival/os/")
    html = response.content.decode()
    # Deaths at 10, 100, 300 days, one censored at 400: S = 3/4, 1/2 (median 100 days = 3.3 months).
    first = re.search(r'<td class="text-end" data-testid="median">(.*?)</td>', html).group(1)
    assert first.startswith("3.3 (95% CI")
    assert 'src="/reports/survival/os/all.svg"' in html and 'src="/reports/survival/os/version.svg"' in html
    assert "Number at risk, censored and events by month" in html
    csp = response["Content-Security-Policy"]
    assert "img-src 'self' data:" in csp and "unsafe" not in csp  # the strict policy, unchanged


def test_images_and_csv_of_the_figure(client, investigator_a, small_cohort):
    client.force_login(investigator_a)
    svg = client.get("/reports/survival/os/version.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = client.get("/reports/survival/os/all.png?download=1")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert png["Content-Disposition"] == 'attachment; filename="os-all.png"'
    data = client.get("/reports/survival/os/data.csv")
    assert data["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(data.content.decode())))
    overall = [(r["time_months"], r["survival"], r["events"], r["censored"]) for r in rows if r["curve"] == "All"]
    # Times 0, 10, 100, 300, 400 days in months; survival 1, 3/4, 1/2, 1/4, 1/4.
    assert overall == [
        ("0.00", "1.0000", "0", "0"),
        ("0.33", "0.7500", "1", "0"),
        ("3.29", "0.5000", "1", "0"),
        ("9.86", "0.2500", "1", "0"),
        ("13.14", "0.2500", "0", "1"),
    ]
    assert {r["curve"] for r in rows} == {"All", "Original", "Amended 2017"}


def test_a_death_after_the_cutoff_does_not_count(client, investigator_a, small_cohort):
    client.force_login(investigator_a)
    cutoff = (START + timedelta(days=200)).isoformat()
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/reports/survival/os/data.csv?cutoff={cutoff}").content.decode()))
    )
    overall = [r for r in rows if r["curve"] == "All"]
    # A1's death (day 300) and A3's follow-up (day 400) are after the cut-off: A1 is censored at the last date known
    # by then (its marrow on day 27), A3 likewise; two deaths remain.
    assert sum(int(r["events"]) for r in overall) == 2
    assert [(r["time_months"], r["censored"]) for r in overall if r["censored"] != "0"] == [("0.89", "2")]
    assert {r["data_cutoff"] for r in rows} == {cutoff}
    page = client.get(f"/reports/survival/os/?cutoff={cutoff}")
    assert f"Data cut-off: {cutoff}" in _text(page)


def test_a_patient_registered_after_the_cutoff_is_left_out(client, investigator_a, small_cohort):
    client.force_login(investigator_a)
    before_registration = (START - timedelta(days=10)).isoformat()
    response = client.get(f"/reports/table2/?cutoff={before_registration}")
    assert "All (N = 0)" in _text(response)


def test_filters_by_version_and_site_within_the_users_sites(client, investigator_a, small_cohort, site_b):
    client.force_login(investigator_a)
    original = client.get(f"/reports/table2/?protocol_version={ORIGINAL}")
    assert "All (N = 2)" in _text(original) and "Amended 2017 (N" not in _text(original)
    assert _row(original, "table2-cr").startswith("CR 1/2 (50%)")
    other_site = client.get(f"/reports/table2/?site={site_b.code}")
    assert "Select a valid choice" in _text(other_site)
    assert 'data-testid="table2"' not in other_site.content.decode()
    reversed_period = client.get("/reports/table2/?registered_from=2024-02-01&registered_to=2024-01-01")
    assert REGISTRATION_PERIOD_REVERSED in _text(reversed_period)
    assert client.get(f"/reports/survival/os/all.svg?site={site_b.code}").status_code == 400


def test_table2_page_queries_do_not_grow_with_patients(client, investigator_a, make_patient, nurse_a):
    def add(n):
        for _ in range(n):
            patient = make_patient(AMENDED)
            treat(nurse_a, patient)
            marrow(nurse_a, patient, 27, "2", mrd_flow="not_detected")
            die(nurse_a, patient, 200)

    client.force_login(investigator_a)
    add(2)
    with CaptureQueriesContext(connection) as few:
        assert "All (N = 2)" in _text(client.get("/reports/table2/"))
    add(4)
    with CaptureQueriesContext(connection) as many:
        assert "All (N = 6)" in _text(client.get("/reports/table2/"))
    assert len(many) == len(few)


def test_reports_need_the_reports_permission_and_show_in_the_navigation(client, nurse_a, investigator_a):
    client.force_login(nurse_a)
    assert client.get("/reports/table2/").status_code == 403
    assert 'href="/reports/"' not in client.get("/").content.decode()
    client.force_login(investigator_a)
    assert 'href="/reports/"' in client.get("/").content.decode()
    assert client.get("/reports/").status_code == 200


def test_swimmer_plot_one_lane_per_treated_patient(client, investigator_a, small_cohort):
    client.force_login(investigator_a)
    response = client.get("/reports/swimmer/")
    lanes = re.findall(r'<tr data-testid="swimmer-lane">(.*?)</tr>', response.content.decode(), re.S)
    text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", lane)).strip() for lane in lanes]
    # Original first (A1 longest), then amended (A3 alive at 400 days, A4 early death); site B's patient not shown.
    assert [t.split()[0] for t in text] == ["SA-T1", "SA-T2", "SA-T3", "SA-T4"]
    assert text[0].endswith("9.9 died") and text[2].endswith("13.1 alive at last contact")
    by_time = client.get("/reports/swimmer/?sort=time").content.decode()
    assert re.findall(r'<th scope="row">(SA-T\d)</th>', by_time) == ["SA-T3", "SA-T1", "SA-T2", "SA-T4"]
    svg = client.get("/reports/swimmer.svg?sort=time")
    assert svg["Content-Type"] == "image/svg+xml" and b"SA-T3" in svg.content
    rows = list(csv.DictReader(io.StringIO(client.get("/reports/swimmer.csv?sort=time").content.decode())))
    assert [r["subject_id"] for r in rows] == ["SA-T3", "SA-T1", "SA-T2", "SA-T4"]
    assert (rows[0]["died"], rows[0]["followed_months"], rows[0]["transplant_month"]) == ("no", "13.14", "")
