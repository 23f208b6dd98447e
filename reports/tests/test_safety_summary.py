"""The safety summary on its page and in the API, over a cohort made here (START = 3 Jan 2024, course 1 on START).

Inotuzumab in course 1 is planned on day 3 (original) or days 2 and 8 (amended 2017); the doses below are given
on their planned dates.

=======  ========  ==============================  ===================  ===================  ==========================
patient  version   inotuzumab given                allogeneic SCT       SOS (grade 3)        last dose to SCT
=======  ========  ==============================  ===================  ===================  ==========================
S1       original  day 3 (5 Jan)                   START + 60 (3 Mar)   START + 70           58 days
S2       original  day 3 (5 Jan)                   START + 100          none                 98 days
S3       amended   days 2 and 8 (4 and 10 Jan)     START + 150          none                 143 days
S4       amended   day 2 (4 Jan)                   none                 START + 20, serious  –
=======  ========  ==============================  ===================  ===================  ==========================

Site B: B1, amended, SCT and SOS — never counted for site A's users. So for site A: SOS 2/4 (original 1/2, amended
1/2); in the SCT subgroup 1/3 (original 1/2, amended 0/1); last inotuzumab to SCT median 98 days (58–143), original
78 (58–98), amended 143. S4's serious SOS never reported as an SAE raises the urgent flag DEV-12 (SAE report overdue).
"""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adverse_events.models import CTCAETerm
from adverse_events.services import adverse_event_report
from dosing.services import course_start, dose_record
from patients.services.outcomes import transplant_record
from safety.services import patient_evaluate

from .conftest import AMENDED, ORIGINAL, START

pytestmark = pytest.mark.django_db

PAGE, API = "/reports/safety/", "/api/v1/reports/safety/"
INO = "inotuzumab-ozogamicin"
SOS_TERM = "Sinusoidal obstruction syndrome"


def at(day: date):
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10))


def give_inotuzumab(nurse, patient, *, doses=None) -> list[date]:
    """Course 1 on START; the first ``doses`` inotuzumab doses (all by default) given on their planned dates."""
    level = "higher" if patient.protocol_version.code == ORIGINAL else ""
    course = course_start(
        actor=nurse, patient=patient, start_date=START, height_cm=Decimal(170), weight_kg=Decimal(70),
        inotuzumab_dose_level=level,
    )  # fmt: skip
    given = []
    for a in list(course.administrations.filter(drug__code=INO).order_by("day"))[:doses]:
        dose_record(
            actor=nurse, administration=a, status="given", given_at=at(a.planned_date), dose_given=a.planned_dose
        )
        given.append(a.planned_date)
    return given


def sct(nurse, patient, day):
    return transplant_record(actor=nurse, patient=patient, status="done", transplant_date=START + timedelta(days=day))


def sos(nurse, patient, day, **kw):
    return adverse_event_report(
        actor=nurse, patient=patient, term=CTCAETerm.objects.get(term=SOS_TERM), grade=3,
        onset_date=START + timedelta(days=day), attributions={INO: "probable"}, **kw,
    )  # fmt: skip


@pytest.fixture
def safety_cohort(make_patient, nurse_a, nurse_b, site_b):
    s1, s2, s3, s4 = (make_patient(v) for v in (ORIGINAL, ORIGINAL, AMENDED, AMENDED))
    # The protocol's schedule, checked by hand: original day 3, amended days 2 and 8.
    assert give_inotuzumab(nurse_a, s1) == [date(2024, 1, 5)]
    assert give_inotuzumab(nurse_a, s2) == [date(2024, 1, 5)]
    assert give_inotuzumab(nurse_a, s3) == [date(2024, 1, 4), date(2024, 1, 10)]
    assert give_inotuzumab(nurse_a, s4, doses=1) == [date(2024, 1, 4)]
    sct(nurse_a, s1, 60)
    sct(nurse_a, s2, 100)
    sct(nurse_a, s3, 150)
    sos(nurse_a, s1, 70)
    sos(
        nurse_a, s4, 20, serious=True, sae_criteria=["hospitalisation"], sae_aware_at=at(START + timedelta(days=20))
    )  # fmt: skip
    patient_evaluate(patient_id=s4.pk)
    b1 = make_patient(AMENDED, nurse=nurse_b, site=site_b)
    give_inotuzumab(nurse_b, b1)
    sct(nurse_b, b1, 40)
    sos(nurse_b, b1, 45, serious=True, sae_criteria=["hospitalisation"], sae_aware_at=at(START + timedelta(days=45)))
    patient_evaluate(patient_id=b1.pk)
    return {"S1": s1, "S2": s2, "S3": s3, "S4": s4, "B1": b1}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _row(html: str, key: str) -> str:
    match = re.search(rf'<tr data-testid="{key}">(.*?)</tr>', html, re.S)
    assert match, key
    return _text(match.group(1))


def cells(body, key) -> list[tuple[int, int]]:
    row = next(r for r in body["sos"] if r["key"] == key)
    return [(c["n"], c["total"]) for c in row["cells"]]


def test_sos_incidence_overall_and_in_the_sct_subgroup(api_client, statistician_a, safety_cohort):
    api_client.force_authenticate(statistician_a)
    body = api_client.get(API).json()
    assert [(g["label"], g["n"]) for g in body["cohort"]["groups"]] == [
        ("All", 4),
        ("Original", 2),
        ("Amended 2017", 2),
    ]
    assert cells(body, "sos") == [(2, 4), (1, 2), (1, 2)]
    assert cells(body, "sos_sct") == [(1, 3), (1, 2), (0, 1)]  # S4's SOS was not in an SCT patient
    sos_row = next(r for r in body["sos"] if r["key"] == "sos")
    # The exact (Clopper–Pearson) 95% CI of 2/4 is 6.8%–93.2%; Fisher exact of 1/2 vs 1/2 gives p = 1.
    assert sos_row["cells"][0]["ci_lower"] == pytest.approx(0.0676, abs=1e-4)
    assert sos_row["cells"][0]["ci_upper"] == pytest.approx(0.9324, abs=1e-4)
    assert sos_row["comparison"] == {"test": "Fisher exact", "p": pytest.approx(1.0)}
    assert next(r for r in body["sos"] if r["key"] == "sos_sct")["denominator"] == "patients with an allogeneic SCT"


def test_days_from_the_last_inotuzumab_dose_to_the_sct(api_client, statistician_a, safety_cohort):
    api_client.force_authenticate(statistician_a)
    times = api_client.get(API).json()["last_inotuzumab_to_sct_days"]
    # S1 5 Jan → 3 Mar: 58 days; S2 5 Jan → 12 Apr: 98; S3 10 Jan (its last dose) → 1 Jun: 143; S4 had no SCT.
    assert times["cells"] == [
        {"known": 3, "median": 98.0, "minimum": 58.0, "maximum": 143.0},
        {"known": 2, "median": 78.0, "minimum": 58.0, "maximum": 98.0},
        {"known": 1, "median": 143.0, "minimum": 143.0, "maximum": 143.0},
    ]
    assert times["comparison"]["test"] == "Mann–Whitney U"


def test_the_cutoff_leaves_out_later_sos_and_scts(api_client, client, statistician_a, investigator_a, safety_cohort):
    api_client.force_authenticate(statistician_a)
    # Day 90: S2's and S3's SCTs are later, S1's SCT (day 60) and SOS (day 70) and S4's SOS (day 20) are known.
    body = api_client.get(API, {"cutoff": (START + timedelta(days=90)).isoformat()}).json()
    assert cells(body, "sos") == [(2, 4), (1, 2), (1, 2)]
    assert cells(body, "sos_sct") == [(1, 1), (1, 1), (0, 0)]
    assert [c["median"] for c in body["last_inotuzumab_to_sct_days"]["cells"]] == [58.0, 58.0, None]
    # Day 15: no SOS and no SCT yet.
    cutoff = (START + timedelta(days=15)).isoformat()
    early = api_client.get(API, {"cutoff": cutoff}).json()
    assert cells(early, "sos") == [(0, 4), (0, 2), (0, 2)]
    assert cells(early, "sos_sct") == [(0, 0), (0, 0), (0, 0)]
    assert early["last_inotuzumab_to_sct_days"]["cells"][0]["known"] == 0
    client.force_login(investigator_a)
    html = client.get(PAGE, {"cutoff": cutoff}).content.decode()
    assert _row(html, "safety-sos").startswith("Sinusoidal obstruction syndrome (SOS/VOD) 0/4 (0%)")
    assert f"Data cut-off: {cutoff}" in _text(html)


def test_page_shows_the_same_numbers_as_the_api(client, investigator_a, safety_cohort):
    client.force_login(investigator_a)
    html = client.get(PAGE).content.decode()
    assert _row(html, "safety-sos") == (
        "Sinusoidal obstruction syndrome (SOS/VOD) 2/4 (50%) 95% CI 7%–93% 1/2 (50%) 95% CI 1%–99% "
        "1/2 (50%) 95% CI 1%–99% 1.00"
    )
    assert _row(html, "safety-sos_sct").startswith(
        "SOS in patients who had an allogeneic SCT of patients with an allogeneic SCT 1/3 (33%) 95% CI 1%–91% "
        "1/2 (50%) 95% CI 1%–99% 0/1 (0%)"
    )
    assert _row(html, "safety-last-inotuzumab-to-sct").startswith(
        "Last inotuzumab dose to SCT, days median (range) of the patients given inotuzumab before their first SCT "
        "98 (58–143) n = 3 78 (58–98) n = 2 143 (143–143) n = 1"
    )
    assert 'href="/api/v1/reports/safety/"' in html and "computed " in _text(html)


def test_open_urgent_flags_by_rule_with_links_scoped_to_sites_and_version(
    client, api_client, investigator_a, investigator_b, safety_cohort
):
    s4 = safety_cohort["S4"]
    api_client.force_authenticate(investigator_a)
    body = api_client.get(API).json()
    overdue = [f for f in body["urgent_flags"] if f["rule_code"] == "DEV-12"]
    assert [(f["subject_id"], f["site"]) for f in overdue] == [(s4.subject_id, "SA")]  # not site B's
    assert {f["site"] for f in body["urgent_flags"]} == {"SA"}
    by_rule = {c["rule_code"]: c["count"] for c in body["urgent_flags_by_rule"]}
    assert by_rule["DEV-12"] == 1
    assert body["urgent_flags_total"] == sum(by_rule.values()) == len(body["urgent_flags"])
    assert overdue[0]["url"] == f"/safety/flags/{overdue[0]['id']}/"
    # S4 is on the amended version: the original version's summary has none of its flags.
    original = api_client.get(API, {"protocol_version": ORIGINAL}).json()
    assert s4.subject_id not in {f["subject_id"] for f in original["urgent_flags"]}
    client.force_login(investigator_a)
    html = client.get(PAGE).content.decode()
    assert f'<a href="/safety/flags/{overdue[0]["id"]}/">DEV-12 · {s4.subject_id}: SAE report overdue</a>' in html
    assert f"{body['urgent_flags_total']} open urgent flag" in _text(html)
    api_client.force_authenticate(investigator_b)
    other = api_client.get(API).json()
    assert {f["site"] for f in other["urgent_flags"]} == {"SB"}


def test_safety_summary_needs_the_reports_permission_and_is_in_the_navigation(
    client, api_client, nurse_a, investigator_a, statistician_a
):
    client.force_login(nurse_a)
    assert client.get(PAGE).status_code == 403
    api_client.force_authenticate(nurse_a)
    assert api_client.get(API).status_code == 403
    client.force_login(investigator_a)
    assert 'href="/reports/safety/"' in client.get("/reports/").content.decode()
    assert "0 open urgent flags." in _text(client.get(PAGE).content.decode())
    api_client.force_authenticate(statistician_a)
    schema = api_client.get("/api/schema/?format=json").json()
    parameters = {p["name"] for p in schema["paths"]["/api/v1/reports/safety/"]["get"]["parameters"]}
    assert {"site", "protocol_version", "registered_from", "registered_to", "cutoff"} <= parameters


def test_safety_page_queries_do_not_grow_with_patients(client, investigator_a, make_patient, nurse_a):
    def add(n):
        for _ in range(n):
            patient = make_patient(AMENDED)
            give_inotuzumab(nurse_a, patient)
            sct(nurse_a, patient, 60)
            sos(nurse_a, patient, 70, serious=True, sae_criteria=["hospitalisation"], sae_aware_at=at(START))
            patient_evaluate(patient_id=patient.pk)

    client.force_login(investigator_a)
    add(1)
    client.get(PAGE)  # the first visit of a session reads what later ones have cached (the user, the navigation)
    cache.clear()  # computed afresh each time (not from the cache of finished reports)
    with CaptureQueriesContext(connection) as few:
        assert "1/1 (100%)" in _row(client.get(PAGE).content.decode(), "safety-sos")
    add(3)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        assert "4/4 (100%)" in _row(client.get(PAGE).content.decode(), "safety-sos")
    assert len(many) == len(few)
