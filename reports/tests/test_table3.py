"""Table 3 (grade 3–5 non-haematologic toxicity) on its page and in the API, over a cohort made here.

Site A, registered 2 Jan 2024, AEs from START (3 Jan 2024):

=======  ========  ====================================================================  ===================
patient  version   adverse events                                                        Table 3 counts
=======  ========  ====================================================================  ===================
A1       amended   vomiting 3 (day 5), vomiting 3 (day 9), vomiting 4 (day 12);          vomiting at 4;
                   febrile neutropenia 3, neutrophil count decreased 4 (blood counts);   (not counted)
                   diarrhea 3 on day 40                                                  diarrhea at 3
A2       amended   vomiting 3 (day 6), vomiting 2 (day 7)                                vomiting at 3
A3       original  diarrhea 4 (day 8)                                                    diarrhea at 4
=======  ========  ====================================================================  ===================

Site B: B1, amended, vomiting 3 — never counted for site A's users. So for site A (N = 3; original 1, amended 2):
vomiting 1/3 at grade 3, 1/3 at grade 4, 2/3 in total (amended 2/2, original 0/1); diarrhea 1/3 at 3, 1/3 at 4,
2/3 in total (original 1/1, amended 1/2). With a cut-off on day 30, A1's diarrhea (day 40) is not counted yet:
diarrhea 1/3, now after vomiting.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adverse_events.models import CTCAETerm
from adverse_events.services import adverse_event_report

from .conftest import AMENDED, ORIGINAL, START

pytestmark = pytest.mark.django_db

PAGE, API = "/reports/table3/", "/api/v1/reports/table3/"


def ae(nurse, patient, name, grade, day):
    return adverse_event_report(
        actor=nurse, patient=patient, term=CTCAETerm.objects.get(term=name), grade=grade,
        onset_date=START + timedelta(days=day), attributions={},
    )  # fmt: skip


@pytest.fixture
def toxicity(make_patient, nurse_a, nurse_b, site_b):
    a1, a2, a3 = make_patient(AMENDED), make_patient(AMENDED), make_patient(ORIGINAL)
    ae(nurse_a, a1, "Vomiting", 3, 5)
    ae(nurse_a, a1, "Vomiting", 3, 9)
    ae(nurse_a, a1, "Vomiting", 4, 12)
    ae(nurse_a, a1, "Febrile neutropenia", 3, 6)
    ae(nurse_a, a1, "Neutrophil count decreased", 4, 6)
    ae(nurse_a, a1, "Diarrhea", 3, 40)
    ae(nurse_a, a2, "Vomiting", 3, 6)
    ae(nurse_a, a2, "Vomiting", 2, 7)
    ae(nurse_a, a3, "Diarrhea", 4, 8)
    b1 = make_patient(AMENDED, nurse=nurse_b, site=site_b)
    ae(nurse_b, b1, "Vomiting", 3, 5)
    return {"A1": a1, "A2": a2, "A3": a3, "B1": b1}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def page_rows(client, query="") -> dict[str, str]:
    html = client.get(PAGE + query).content.decode()
    rows = re.findall(r'<tr data-testid="table3-row">(.*?)</tr>', html, re.S)
    return {_text(row).split(" ")[0]: _text(row) for row in rows}


def api_cells(body, term) -> list[tuple]:
    row = next(r for r in body["rows"] if r["term"] == term)
    return [tuple((c[g]["n"], c[g]["total"]) for g in ("grade_3", "grade_4", "grade_5", "total")) for c in row["cells"]]


def test_each_patient_counts_once_per_term_at_the_worst_grade_blood_counts_left_out(
    api_client, statistician_a, toxicity
):
    api_client.force_authenticate(statistician_a)
    body = api_client.get(API).json()
    assert [(g["label"], g["n"]) for g in body["cohort"]["groups"]] == [
        ("All", 3),
        ("Original", 1),
        ("Amended 2017", 2),
    ]
    assert body["denominator"] == "patients"
    assert [r["term"] for r in body["rows"]] == ["Diarrhea", "Vomiting"]  # no febrile neutropenia, no neutrophils
    # A1's three vomiting AEs count once, at grade 4; A2's vomiting at 3 (the grade 2 is not a grade 3–5 toxicity).
    assert api_cells(body, "Vomiting") == [
        ((1, 3), (1, 3), (0, 3), (2, 3)),
        ((0, 1), (0, 1), (0, 1), (0, 1)),
        ((1, 2), (1, 2), (0, 2), (2, 2)),
    ]
    assert api_cells(body, "Diarrhea") == [
        ((1, 3), (1, 3), (0, 3), (2, 3)),
        ((0, 1), (1, 1), (0, 1), (1, 1)),
        ((1, 2), (0, 2), (0, 2), (1, 2)),
    ]
    vomiting = body["rows"][1]
    # The exact (Clopper–Pearson) 95% CI of 2/3 is 9.4%–99.2%; Fisher exact of 0/1 vs 2/2 gives p = 1/3.
    assert vomiting["cells"][0]["total"]["ci_lower"] == pytest.approx(0.0943, abs=1e-4)
    assert vomiting["cells"][0]["total"]["ci_upper"] == pytest.approx(0.9916, abs=1e-4)
    assert vomiting["comparison"] == {"test": "Fisher exact", "p": pytest.approx(1 / 3)}
    assert vomiting["soc"] == "Gastrointestinal disorders"


def test_page_shows_the_same_numbers_and_the_denominators(client, investigator_a, toxicity):
    client.force_login(investigator_a)
    html = client.get(PAGE).content.decode()
    assert "All (N = 3)" in _text(html) and "Original (N = 1)" in _text(html) and "Amended 2017 (N = 2)" in _text(html)
    denominator = _text(re.search(r'data-testid="table3-denominator">(.*?)</p>', html, re.S).group(1))
    assert denominator.startswith("N is the patients of each column: All N = 3 · Original N = 1 · Amended 2017 N = 2 .")
    rows = page_rows(client)
    assert list(rows) == ["Diarrhea", "Vomiting"]
    # All: grade 3, 4, 5, total (with its CI); then Original; then Amended; then p.
    assert rows["Vomiting"] == (
        "Vomiting Gastrointestinal disorders 1/3 (33%) 1/3 (33%) 0 2/3 (67%) 95% CI 9%–99% "
        "0 0 0 0/1 (0%) 95% CI 0%–98% 1/2 (50%) 1/2 (50%) 0 2/2 (100%) 95% CI 16%–100% 0.33"
    )
    assert "Data cut-off: none (all data recorded)" in _text(html) and "computed " in _text(html)
    assert 'href="/api/v1/reports/table3/"' in html


def test_an_ae_after_the_cutoff_does_not_count(client, api_client, investigator_a, toxicity):
    cutoff = (START + timedelta(days=30)).isoformat()
    api_client.force_authenticate(investigator_a)
    body = api_client.get(API, {"cutoff": cutoff}).json()
    assert body["cohort"]["data_cutoff"] == cutoff
    assert api_cells(body, "Diarrhea")[0] == ((0, 3), (1, 3), (0, 3), (1, 3))  # A1's diarrhea began on day 40
    assert [r["term"] for r in body["rows"]] == ["Vomiting", "Diarrhea"]  # vomiting 2/3 first, then diarrhea 1/3
    client.force_login(investigator_a)
    assert page_rows(client, f"?cutoff={cutoff}")["Diarrhea"].startswith("Diarrhea Gastrointestinal disorders 0 1/3")


def test_version_filter_and_site_scoping(client, api_client, investigator_a, investigator_b, toxicity, site_b):
    api_client.force_authenticate(investigator_a)
    original = api_client.get(API, {"protocol_version": ORIGINAL}).json()
    assert [(g["label"], g["n"]) for g in original["cohort"]["groups"]] == [("All", 1), ("Original", 1)]
    assert [r["term"] for r in original["rows"]] == ["Diarrhea"]
    assert api_cells(original, "Diarrhea") == [((0, 1), (1, 1), (0, 1), (1, 1))] * 2
    unknown = api_client.get(API, {"protocol_version": "v99"})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "protocol_version"
    refused = api_client.get(API, {"site": site_b.code})
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "site"
    # Site B's user sees B1's vomiting only, of N = 1; site A's users never see it.
    api_client.force_authenticate(investigator_b)
    other = api_client.get(API).json()
    assert [r["term"] for r in other["rows"]] == ["Vomiting"]
    assert api_cells(other, "Vomiting")[0] == ((1, 1), (0, 1), (0, 1), (1, 1))
    client.force_login(investigator_a)
    assert "Select a valid choice" in _text(client.get(f"{PAGE}?site={site_b.code}").content.decode())


def test_table3_needs_the_reports_permission_and_is_in_the_reports_navigation(client, nurse_a, investigator_a):
    client.force_login(nurse_a)
    assert client.get(PAGE).status_code == 403
    assert client.get("/adverse-events/table3/").status_code == 404  # moved here from the AE pages
    client.force_login(investigator_a)
    for url in ("/reports/", "/reports/table2/", PAGE):
        assert 'href="/reports/table3/"' in client.get(url).content.decode(), url
    assert "No grade 3–5 non-haematologic adverse event in these patients." in client.get(PAGE).content.decode()


def test_table3_api_permission_old_address_and_schema(api_client, nurse_a, statistician_a):
    assert api_client.get(API).status_code == 401
    api_client.force_authenticate(nurse_a)
    assert api_client.get(API).status_code == 403
    assert api_client.get("/api/v1/table3/").status_code == 404
    api_client.force_authenticate(statistician_a)
    schema = api_client.get("/api/schema/?format=json").json()
    assert "/api/v1/table3/" not in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/reports/table3/"]["get"]["parameters"]}
    assert {"site", "protocol_version", "registered_from", "registered_to", "cutoff"} <= parameters


def test_table3_page_queries_do_not_grow_with_patients_or_aes(client, investigator_a, make_patient, nurse_a):
    def add(n):
        for _ in range(n):
            patient = make_patient(AMENDED)
            ae(nurse_a, patient, "Nausea", 3, 5)
            ae(nurse_a, patient, "Vomiting", 4, 6)

    client.force_login(investigator_a)
    add(1)
    with CaptureQueriesContext(connection) as few:
        assert "All (N = 1)" in _text(client.get(PAGE).content.decode())
    add(4)
    with CaptureQueriesContext(connection) as many:
        assert "All (N = 5)" in _text(client.get(PAGE).content.decode())
    assert len(many) == len(few)
