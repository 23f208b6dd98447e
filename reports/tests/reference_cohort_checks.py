"""Checks of the reports against the reference cohort (110 patients entered through the services, ``manage.py
reference_cohort``): the Table 2 the API serves is the paper's, and its survival figures are lifelines' over the app's
own endpoints, recomputed here independently of the reports code.

Called by ``demo/tests/test_reference_cohort.py`` on the cohort it builds, so the suite builds the cohort once."""

import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test

from patients.choices import TransplantStatus
from patients.models import Patient, Transplant
from responses.selectors import patient_endpoints

# PROTOCOL.md §6, Table 2 of Kantarjian et al. 2023: (n, N) overall / original / amended.
PAPER_TABLE_2 = {
    "cr": [(69, 110), (40, 67), (29, 43)],
    "crp": [(19, 110), (10, 67), (9, 43)],
    "cri": [(3, 110), (1, 67), (2, 43)],
    "orr": [(91, 110), (51, 67), (40, 43)],
    "no_response": [(12, 110), (9, 67), (3, 43)],
    "early_death": [(7, 110), (7, 67), (0, 43)],
    "mrd_negative_at_response": [(47, 87), (28, 49), (19, 38)],
    "mrd_negative_any_time": [(75, 89), (41, 50), (34, 39)],
}
PAPER_PERCENT = {"cr": [63, 60, 67], "orr": [83, 76, 93], "mrd_negative_any_time": [84, 82, 87]}
MONTH = 365.25 / 12


def check_reports_against_reference_cohort(api_client, statistician, printout: str) -> None:
    """Table 2 and overall survival served by the reports API to ``statistician`` (at the cohort's site), and the
    median in ``printout`` (the command's output)."""
    api_client.force_authenticate(statistician)

    table2 = api_client.get("/api/v1/reports/table2/").json()
    assert [g["n"] for g in table2["cohort"]["groups"]] == [110, 67, 43]
    rows = {r["key"]: r for r in table2["rows"]}
    assert {key: [(c["n"], c["total"]) for c in rows[key]["cells"]] for key in PAPER_TABLE_2} == PAPER_TABLE_2
    assert "not_evaluable" not in rows
    for key, percents in PAPER_PERCENT.items():
        assert [round(c["percent"]) for c in rows[key]["cells"]] == percents
    assert rows["orr"]["comparison"]["test"] == "Fisher exact"

    # Survival, recomputed here with lifelines from the endpoints the app derives (responses.selectors).
    outcomes = [o for o in patient_endpoints(Patient.objects.filter(site__code="REF")) if o.endpoints.os_days]
    groups = {
        code: [o.endpoints for o in outcomes if o.patient.protocol_version.code == code]
        for code in ("original", "amended-2017")
    }
    everyone = [o.endpoints for o in outcomes]
    fitter = KaplanMeierFitter().fit([e.os_days / MONTH for e in everyone], [e.os_event for e in everyone])
    os = api_client.get("/api/v1/reports/survival/os/").json()
    assert os["overall"]["n"] == len(everyone) == 110
    assert os["overall"]["median_months"]["value"] == pytest.approx(fitter.median_survival_time_)
    three_years = next(r for r in os["overall"]["rates"] if r["months"] == 36)
    assert three_years["value"] == pytest.approx(float(fitter.survival_function_at_times(36).iloc[0]))
    (original, amended) = groups.values()
    expected_p = logrank_test(
        [e.os_days for e in original], [e.os_days for e in amended],
        event_observed_A=[e.os_event for e in original], event_observed_B=[e.os_event for e in amended],
    ).p_value  # fmt: skip
    assert os["log_rank"]["p"] == pytest.approx(expected_p)
    for curve, endpoints in zip(os["by_version"], groups.values(), strict=True):
        by_version = KaplanMeierFitter().fit([e.os_days / MONTH for e in endpoints], [e.os_event for e in endpoints])
        rate = next(r for r in curve["rates"] if r["months"] == 36)
        assert rate["value"] == pytest.approx(float(by_version.survival_function_at_times(36).iloc[0]))

    # The 4-month landmark, from the transplants as entered: of the patients followed past 4 months, SCT by then or not.
    transplanted_on = {}
    for t in Transplant.objects.filter(patient__site__code="REF", status=TransplantStatus.DONE).order_by(
        "transplant_date"
    ):
        transplanted_on.setdefault(t.patient_id, t.transplant_date)
    sct, no_sct = [], []
    for o in outcomes:
        if o.endpoints.os_days / MONTH <= 4:
            continue
        day = transplanted_on.get(o.patient.pk)
        by_then = day is not None and (day - o.endpoints.treatment_start).days / MONTH <= 4
        (sct if by_then else no_sct).append((o.endpoints.os_days / MONTH - 4, o.endpoints.os_event))
    (landmark,) = [lm for lm in os["landmarks"] if lm["months"] == 4]
    assert (landmark["transplanted"]["n"], landmark["not_transplanted"]["n"]) == (len(sct), len(no_sct))
    assert landmark["excluded"] == len(outcomes) - len(sct) - len(no_sct)
    assert sct and no_sct
    expected_landmark_p = logrank_test(
        [t for t, _ in sct], [t for t, _ in no_sct],
        event_observed_A=[e for _, e in sct], event_observed_B=[e for _, e in no_sct],
    ).p_value  # fmt: skip
    assert landmark["log_rank"]["p"] == pytest.approx(expected_landmark_p)

    # The dashboard prints them.
    api_client.force_login(statistician)
    dashboard = api_client.get("/reports/").content.decode()
    assert f"{fitter.median_survival_time_:.1f}" in dashboard
    assert 'data-testid="dashboard-landmark"' in dashboard and "SCT by 4 months" in dashboard

    # The cohort's seed is chosen for a median OS near the paper's 17 months.
    assert 12 <= os["overall"]["median_months"]["value"] <= 24

    # The command's printout uses the same Kaplan–Meier.
    median_line = next(line for line in printout.splitlines() if "median OS (K-M)" in line)
    assert median_line.split()[3] == f"{fitter.median_survival_time_:.1f}"
