"""Adverse-events API: CTCAE terms, AEs with window and SAE clock, lab values with their grade and proposal —
same rules and messages as the services."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adverse_events.api.events import DERIVED_NOT_TYPED, SAE_REPORT_BY_ACTION, TERM_REQUIRED, UNKNOWN_MEDDRA_CODE
from adverse_events.api.labs import FROM_GRADING
from adverse_events.models import AdverseEvent, CTCAETerm, LabResult
from adverse_events.services import (
    DISMISS_REASON,
    GRADE_NOT_DEFINED,
    NOT_PROPOSED,
    REPORT_BEFORE_AWARE,
    UNKNOWN_SAE_CRITERION,
    VERBATIM_REQUIRED,
    adverse_event_report,
    lab_result_record,
)
from core.audit.writes import REASON_REQUIRED
from dosing.services import course_start, dose_record
from trial.choices import Role

TERMS = "/api/v1/ctcae-terms/"
AES = "/api/v1/adverse-events/"
LABS = "/api/v1/lab-results/"
START = date(2024, 1, 3)
INO = "inotuzumab-ozogamicin"
NAUSEA_CODE = "10028813"
ATTRIBUTIONS = [{"drug": "vincristine", "attribution": "possible"}, {"drug": INO, "attribution": "unlikely"}]


@pytest.fixture
def make_treated(nurse_a, make_patient):
    """Patients whose course 1 started on START, with vincristine and inotuzumab given (days 1–2)."""

    def make(nurse=None, **kw):
        nurse = nurse or nurse_a
        patient = make_patient(nurse=nurse, **kw)
        course = course_start(
            actor=nurse, patient=patient, start_date=START, height_cm=Decimal(170), weight_kg=Decimal(70)
        )
        for code in ("vincristine", INO):
            a = course.administrations.filter(drug__code=code).order_by("day").first()
            given_at = timezone.make_aware(datetime.combine(a.planned_date, datetime.min.time()).replace(hour=10))
            dose_record(actor=nurse, administration=a, status="given", given_at=given_at, dose_given=a.planned_dose)
        return patient

    return make


@pytest.fixture
def treated(make_treated):
    return make_treated()


def term(name):
    return CTCAETerm.objects.get(term=name)


def errors_of(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def ae_payload(patient, name="Nausea", grade=2, day=5, **changes):
    return {
        "patient": patient.pk,
        "term": term(name).pk,
        "grade": grade,
        "onset_date": (START + timedelta(days=day)).isoformat(),
        "attributions": ATTRIBUTIONS,
        **changes,
    }


def report(nurse, patient, name="Nausea", grade=2, day=5, **kw):
    kw.setdefault("attributions", {a["drug"]: a["attribution"] for a in ATTRIBUTIONS})
    onset = START + timedelta(days=day)
    return adverse_event_report(actor=nurse, patient=patient, term=term(name), grade=grade, onset_date=onset, **kw)


# --- CTCAE terms ---


def test_terms_are_searched_by_term_meddra_code_and_soc(api_client, nurse_a):
    api_client.force_authenticate(nurse_a)

    by_term = api_client.get(TERMS, {"q": "nause"}).json()["results"]
    assert "Nausea" in [t["term"] for t in by_term]
    assert all("nause" in t["term"].lower() or "nause" in t["soc"].lower() for t in by_term)

    (by_code,) = api_client.get(TERMS, {"q": NAUSEA_CODE}).json()["results"]
    assert (by_code["term"], by_code["soc"], by_code["version"]) == ("Nausea", "Gastrointestinal disorders", "5.0")
    assert by_code["grades"][0] == {"grade": 1, "text": "Loss of appetite without alteration in eating habits"}
    assert [g["grade"] for g in by_code["grades"]] == [1, 2, 3]

    by_soc = api_client.get(TERMS, {"q": "hepatobiliary"}).json()["results"]
    assert "Hepatic failure" in [t["term"] for t in by_soc]
    assert {t["soc"] for t in by_soc if "hepatobiliary" not in t["term"].lower()} == {"Hepatobiliary disorders"}
    assert [t["term"] for t in by_soc] == sorted(t["term"] for t in by_soc)

    in_soc = api_client.get(TERMS, {"soc": "Hepatobiliary disorders", "q": "fail"}).json()["results"]
    assert [t["term"] for t in in_soc] == ["Hepatic failure"]
    assert api_client.get(TERMS, {"q": "no such toxicity"}).json()["results"] == []


def test_a_term_shows_only_the_grades_it_defines(api_client, nurse_a):
    api_client.force_authenticate(nurse_a)
    hepatic = api_client.get(f"{TERMS}{term('Hepatic failure').pk}/").json()
    assert [g["grade"] for g in hepatic["grades"]] == [3, 4, 5]
    assert hepatic["grades"][0]["text"].startswith("Asterixis; mild encephalopathy")
    assert hepatic["definition"] and hepatic["is_other_specify"] is False
    other = api_client.get(TERMS, {"q": "Gastrointestinal disorders - Other"}).json()["results"]
    assert [t["is_other_specify"] for t in other] == [True]
    assert api_client.get(f"{TERMS}999999/").status_code == 404


# --- Reporting an AE ---


def test_report_an_ae_and_read_back_its_course_day_window_and_sae_clock(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    payload = ae_payload(treated, action_taken="none", outcome="recovering")
    del payload["term"]
    created = api_client.post(AES, {**payload, "meddra_code": NAUSEA_CODE}, format="json")
    assert created.status_code == 201, created.json()
    ae = created.json()
    assert (ae["term_name"], ae["meddra_code"], ae["soc"], ae["grade"]) == (
        "Nausea", NAUSEA_CODE, "Gastrointestinal disorders", 2,
    )  # fmt: skip
    assert ae["grade_text"].startswith("Oral intake decreased")
    assert (ae["course_number"], ae["course_day"]) == (1, 6)
    assert ae["window"]["status"] == "in_window" and ae["window"]["label"] == "In the reporting window"
    assert "2024-01-03" in ae["window"]["reason"]
    assert ae["sae"] == {"status": "not_serious", "label": "Not serious", "due_at": None}
    assert ae["related"] is True
    assert {a["drug"]: a["attribution"] for a in ae["attributions"]} == {"vincristine": "possible", INO: "unlikely"}
    assert ae["reported_by"] == nurse_a.signature_name

    history = api_client.get(ae["history_url"]).json()
    assert history[0]["reason"] == "Adverse event reported"
    assert api_client.get(ae["url"]).json() == ae


def test_out_of_window_and_unrelated_is_shown_so(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    unrelated = [{"drug": "vincristine", "attribution": "unrelated"}, {"drug": INO, "attribution": "unrelated"}]
    created = api_client.post(AES, ae_payload(treated, day=130, attributions=unrelated), format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["window"]["status"], created.json()["related"]) == ("out_of_window", False)


def test_grade_the_term_does_not_define_is_a_400_naming_grade_and_nothing_saved(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    response = api_client.post(AES, ae_payload(treated, name="Hepatic failure", grade=1), format="json")
    assert response.status_code == 400
    assert errors_of(response) == {"grade": GRADE_NOT_DEFINED.format(term="Hepatic failure", grade=1, grades="3, 4, 5")}
    assert not AdverseEvent.objects.filter(patient=treated).exists()


def test_other_specify_without_verbatim_is_a_400_naming_verbatim(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    other = "Gastrointestinal disorders - Other, specify"
    response = api_client.post(AES, ae_payload(treated, name=other), format="json")
    assert response.status_code == 400
    assert errors_of(response) == {"verbatim": VERBATIM_REQUIRED}
    assert not AdverseEvent.objects.filter(patient=treated).exists()
    created = api_client.post(AES, ae_payload(treated, name=other, verbatim="Typhlitis"), format="json")
    assert created.status_code == 201 and created.json()["verbatim"] == "Typhlitis"


def test_term_input_errors_name_the_field(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    without = ae_payload(treated)
    del without["term"]
    assert errors_of(api_client.post(AES, without, format="json")) == {"term": TERM_REQUIRED}
    unknown = api_client.post(AES, {**without, "meddra_code": "99999999"}, format="json")
    assert errors_of(unknown) == {"meddra_code": UNKNOWN_MEDDRA_CODE.format(version="5.0", code="99999999")}
    disagree = api_client.post(AES, ae_payload(treated, name="Vomiting", meddra_code=NAUSEA_CODE), format="json")
    assert set(errors_of(disagree)) == {"meddra_code"}
    missing_drug = api_client.post(AES, ae_payload(treated, attributions=ATTRIBUTIONS[:1]), format="json")
    assert set(errors_of(missing_drug)) == {"attributions"}
    twice = api_client.post(AES, ae_payload(treated, attributions=[*ATTRIBUTIONS, ATTRIBUTIONS[0]]), format="json")
    assert set(errors_of(twice)) == {"attributions"}
    bad_criterion = api_client.post(AES, ae_payload(treated, serious=True, sae_criteria=["bored"]), format="json")
    assert errors_of(bad_criterion) == {"sae_criteria": UNKNOWN_SAE_CRITERION.format(codes="bored")}
    derived = api_client.post(
        AES, ae_payload(treated, course_day=3, sae_reported_at="2024-01-09T10:00Z"), format="json"
    )
    assert errors_of(derived) == {"course_day": DERIVED_NOT_TYPED, "sae_reported_at": SAE_REPORT_BY_ACTION}
    assert not AdverseEvent.objects.filter(patient=treated).exists()


def test_grade_change_needs_a_reason_and_the_history_keeps_the_old_grade(api_client, nurse_a, treated):
    ae = report(nurse_a, treated, grade=2)
    api_client.force_authenticate(nurse_a)
    refused = api_client.patch(f"{AES}{ae.pk}/", {"grade": 3}, format="json")
    assert refused.status_code == 400
    assert errors_of(refused) == {"reason": REASON_REQUIRED}
    ae.refresh_from_db()
    assert ae.grade == 2

    changed = api_client.patch(f"{AES}{ae.pk}/", {"grade": 3, "reason": "Needed IV fluids"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["grade"] == 3
    last = api_client.get(changed.json()["history_url"]).json()[-1]
    assert last["reason"] == "Needed IV fluids"
    assert [(c["field"], c["old"], c["new"]) for c in last["changes"]] == [("grade", "2", "3")]

    undefined = api_client.patch(f"{AES}{ae.pk}/", {"grade": 5, "reason": "x"}, format="json")
    assert undefined.status_code == 400 and set(errors_of(undefined)) == {"grade"}


def test_sae_clock_due_overdue_and_submitted(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    now = timezone.now()
    serious = {"serious": True, "sae_criteria": ["hospitalisation"]}
    late = api_client.post(
        AES,
        ae_payload(treated, name="Febrile neutropenia", grade=3, **serious, sae_aware_at=(now - timedelta(hours=30))),
        format="json",
    ).json()
    recent = api_client.post(
        AES,
        ae_payload(treated, name="Sepsis", grade=3, day=6, **serious, sae_aware_at=(now - timedelta(hours=2))),
        format="json",
    ).json()
    assert late["sae"]["status"] == "overdue" and late["sae"]["label"] == "Expedited report overdue"
    assert datetime.fromisoformat(late["sae"]["due_at"]) == datetime.fromisoformat(late["sae_aware_at"]) + timedelta(
        hours=24
    )
    assert recent["sae"]["status"] == "due"
    assert [a["sae"]["status"] for a in api_client.get(AES, {"serious": "true"}).json()["results"]] == [
        "due",
        "overdue",
    ]

    too_early = api_client.post(
        f"{late['url']}sae-report/", {"reported_at": (now - timedelta(hours=31)).isoformat()}, format="json"
    )
    assert too_early.status_code == 400
    assert errors_of(too_early) == {"reported_at": REPORT_BEFORE_AWARE}
    submitted = api_client.post(
        f"{late['url']}sae-report/", {"reported_at": (now - timedelta(hours=1)).isoformat()}, format="json"
    )
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["sae"]["status"] == "submitted" and submitted.json()["sae_reported_at"]

    not_serious = report(nurse_a, treated)
    refused = api_client.post(f"{AES}{not_serious.pk}/sae-report/", {"reported_at": now.isoformat()}, format="json")
    assert set(errors_of(refused)) == {"reported_at"}


def test_list_filters(api_client, nurse_a, treated):
    report(nurse_a, treated, name="Nausea", grade=2)
    report(nurse_a, treated, name="Vomiting", grade=3, day=6)
    report(
        nurse_a,
        treated,
        name="Hepatic failure",
        grade=3,
        day=7,
        attributions={"vincristine": "unrelated", INO: "probable"},
    )
    api_client.force_authenticate(nurse_a)

    def terms(**params):
        return [a["term_name"] for a in api_client.get(AES, params).json()["results"]]

    assert terms() == ["Hepatic failure", "Vomiting", "Nausea"]  # most recent onset first
    assert terms(grade=3) == ["Hepatic failure", "Vomiting"]
    assert terms(soc="Gastrointestinal disorders") == ["Vomiting", "Nausea"]
    assert terms(term="vomit") == ["Vomiting"] and terms(term=NAUSEA_CODE) == ["Nausea"]
    assert terms(attribution="probable") == ["Hepatic failure"]
    assert terms(attribution="possible") == ["Vomiting", "Nausea"]
    assert terms(serious="true") == []
    assert terms(patient=treated.pk) == terms()
    bad = api_client.get(AES, {"attribution": "maybe"})
    assert bad.status_code == 400 and set(errors_of(bad)) == {"attribution"}


def test_another_sites_ae_and_lab_values_answer_404(api_client, nurse_a, nurse_b, site_b, make_treated):
    other = make_treated(nurse=nurse_b, site=site_b)
    ae = report(nurse_b, other)
    low = lab(nurse_b, other, "Neutrophil count decreased", "0.4", unit="10^9/L", lower_limit_normal=Decimal(2))
    api_client.force_authenticate(nurse_a)
    assert api_client.get(f"{AES}{ae.pk}/").status_code == 404
    assert api_client.patch(f"{AES}{ae.pk}/", {"grade": 3, "reason": "x"}, format="json").status_code == 404
    sae = api_client.post(f"{AES}{ae.pk}/sae-report/", {"reported_at": timezone.now().isoformat()}, format="json")
    assert sae.status_code == 404
    assert api_client.get(AES, {"patient": other.pk}).json()["results"] == []
    assert api_client.get(f"{LABS}{low.pk}/").status_code == 404
    assert api_client.post(f"{LABS}{low.pk}/confirm/", {"attributions": ATTRIBUTIONS}, format="json").status_code == 404
    assert api_client.post(f"{LABS}{low.pk}/dismiss/", {"reason": "x"}, format="json").status_code == 404
    assert api_client.get(LABS).json()["results"] == []
    created = api_client.post(AES, ae_payload(other), format="json")
    assert created.status_code == 400 and set(errors_of(created)) == {"patient"}
    assert AdverseEvent.objects.filter(patient=other).count() == 1
    ae.refresh_from_db()
    assert ae.grade == 2


def test_monitor_reads_but_cannot_report(api_client, make_user, site_a, nurse_a, treated):
    ae = report(nurse_a, treated)
    api_client.force_authenticate(make_user(Role.MONITOR, site_a))
    assert api_client.get(f"{AES}{ae.pk}/").status_code == 200
    assert api_client.post(AES, ae_payload(treated), format="json").status_code == 403
    assert api_client.patch(f"{AES}{ae.pk}/", {"grade": 3, "reason": "x"}, format="json").status_code == 403
    sae = api_client.post(f"{AES}{ae.pk}/sae-report/", {"reported_at": timezone.now().isoformat()}, format="json")
    assert sae.status_code == 403


def test_ae_and_lab_lists_queries_do_not_grow_with_rows(api_client, nurse_a, treated, make_treated):
    report(nurse_a, treated)
    lab(nurse_a, treated, "Blood bilirubin increased", "70", unit="umol/L", upper_limit_normal=Decimal(20))
    api_client.force_authenticate(nurse_a)
    api_client.get(AES)  # warm the user's permission and site caches
    with CaptureQueriesContext(connection) as few:
        assert len(api_client.get(AES).json()["results"]) == 1
        assert len(api_client.get(LABS).json()["results"]) == 1
    for day in range(6, 12):
        report(nurse_a, treated, name="Vomiting", grade=3, day=day, serious=True, sae_criteria=["hospitalisation"],
               sae_aware_at=timezone.now())  # fmt: skip
        lab(nurse_a, treated, "Neutrophil count decreased", "0.4", unit="10^9/L", lower_limit_normal=Decimal(2))
    second = make_treated()
    report(nurse_a, second, name="Hepatic failure", grade=4)
    with CaptureQueriesContext(connection) as many:
        assert len(api_client.get(AES).json()["results"]) == 8
        assert len(api_client.get(LABS).json()["results"]) == 7
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- Lab values ---


def lab(nurse, patient, lab_term, value, **kw):
    collected_on = START + timedelta(days=8)
    return lab_result_record(
        actor=nurse, patient=patient, lab_term=lab_term, collected_on=collected_on, value=Decimal(value), **kw
    )


def lab_payload(patient, lab_term, value, **kw):
    return {
        "patient": patient.pk,
        "lab_term": lab_term,
        "collected_on": (START + timedelta(days=8)).isoformat(),
        "value": value,
        **kw,
    }


def test_lab_value_is_graded_and_a_confirmed_proposal_becomes_the_ae(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    mild = api_client.post(
        LABS,
        lab_payload(treated, "Platelet count decreased", "80", unit="10^9/L", lower_limit_normal="150"),
        format="json",
    )
    assert mild.status_code == 201, mild.json()
    assert (mild.json()["grade"], mild.json()["proposal_status"]) == (1, "")

    severe = api_client.post(
        LABS,
        lab_payload(treated, "Blood bilirubin increased", "70", unit="umol/L", upper_limit_normal="20"),
        format="json",
    ).json()  # 3.5 × ULN
    assert (severe["grade"], severe["proposal_status"], severe["adverse_event"]) == (3, "proposed", None)
    assert not AdverseEvent.objects.filter(patient=treated).exists()

    confirmed = api_client.post(f"{severe['url']}confirm/", {"attributions": ATTRIBUTIONS}, format="json")
    assert confirmed.status_code == 201, confirmed.json()
    ae = confirmed.json()
    assert (ae["term_name"], ae["grade"], ae["onset_date"], ae["source_lab_result"]) == (
        "Blood bilirubin increased", 3, severe["collected_on"], severe["id"],
    )  # fmt: skip
    assert ae["course_day"] == 9 and ae["window"]["status"] == "in_window"
    after = api_client.get(severe["url"]).json()
    assert (after["proposal_status"], after["adverse_event"]) == ("confirmed", ae["id"])
    again = api_client.post(f"{severe['url']}confirm/", {"attributions": ATTRIBUTIONS}, format="json")
    assert errors_of(again) == {"proposal_status": NOT_PROPOSED}
    assert AdverseEvent.objects.filter(patient=treated).count() == 1

    listed = api_client.get(LABS, {"patient": treated.pk}).json()["results"]
    assert sorted(r["grade"] for r in listed) == [1, 3]


def test_confirm_errors_are_the_services_and_nothing_changes(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    severe = api_client.post(
        LABS,
        lab_payload(treated, "Blood bilirubin increased", "70", unit="umol/L", upper_limit_normal="20"),
        format="json",
    ).json()
    refused = api_client.post(f"{severe['url']}confirm/", {}, format="json")
    assert refused.status_code == 400 and set(errors_of(refused)) == {"attributions"}
    regraded = api_client.post(f"{severe['url']}confirm/", {"attributions": ATTRIBUTIONS, "grade": 4}, format="json")
    assert errors_of(regraded) == {"grade": FROM_GRADING}
    typed = api_client.post(
        LABS,
        lab_payload(treated, "Blood bilirubin increased", "70", unit="umol/L", upper_limit_normal="20", grade=2),
        format="json",
    )
    assert errors_of(typed) == {"grade": DERIVED_NOT_TYPED}
    assert LabResult.objects.filter(patient=treated).count() == 1
    assert LabResult.objects.get(pk=severe["id"]).proposal_status == "proposed"
    assert not AdverseEvent.objects.filter(patient=treated).exists()


def test_dismissing_a_proposal_needs_a_reason(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    low = api_client.post(
        LABS,
        lab_payload(treated, "Neutrophil count decreased", "0.4", unit="10^9/L", lower_limit_normal="2"),
        format="json",
    ).json()
    assert (low["grade"], low["proposal_status"]) == (4, "proposed")
    for body in ({}, {"reason": "  "}):
        refused = api_client.post(f"{low['url']}dismiss/", body, format="json")
        assert refused.status_code == 400
        assert errors_of(refused) == {"reason": DISMISS_REASON}
    dismissed = api_client.post(f"{low['url']}dismiss/", {"reason": "Expected nadir"}, format="json")
    assert dismissed.status_code == 200, dismissed.json()
    assert (dismissed.json()["proposal_status"], dismissed.json()["proposal_note"]) == ("dismissed", "Expected nadir")
    assert not AdverseEvent.objects.filter(patient=treated).exists()


def test_lab_input_errors_name_the_field(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    unknown = api_client.post(LABS, lab_payload(treated, "Unobtainium increased", "1"), format="json")
    assert unknown.status_code == 400 and set(errors_of(unknown)) == {"lab_term"}
    unit = api_client.post(LABS, lab_payload(treated, "Anemia", "70", unit="furlongs"), format="json")
    assert unit.status_code == 400 and set(errors_of(unit)) == {"unit"}
    future = api_client.post(
        LABS,
        lab_payload(treated, "Platelet count decreased", "80", unit="10^9/L", collected_on="2999-01-01"),
        format="json",
    )
    assert set(errors_of(future)) == {"collected_on"}
    assert not LabResult.objects.filter(patient=treated).exists()


def test_lab_tests_lists_one_test_per_analyte_with_its_ctcae_terms(api_client, nurse_a):
    api_client.force_authenticate(nurse_a)
    tests = api_client.get("/api/v1/lab-tests/").json()
    si = {t["code"]: t for t in tests if t["unit_system"] == "SI"}
    assert [t["label"] for t in tests if t["unit_system"] == "SI" and t["name"] == "Potassium"] == [
        "Potassium (mmol/L)"
    ]
    potassium = si["potassium"]
    assert [(t["lab_term"], t["direction"]) for t in potassium["terms"]] == [
        ("Hypokalemia", "L"),
        ("Hyperkalemia", "H"),
    ]
    bilirubin = si["bilirubin"]["terms"]
    assert bilirubin == [
        {
            "lab_term": "Blood bilirubin increased",
            "direction": "H",
            "ctcae_term": term("Blood bilirubin increased").pk,
            "ctcae_term_name": "Blood bilirubin increased",
            "meddra_code": term("Blood bilirubin increased").meddra_code,
        }
    ]
    assert si["alt"]["units"] == ["U/L", "ukat/L"] and si["inr"]["units"] == [""] and si["inr"]["label"] == "INR"


def test_schema_documents_the_adverse_event_endpoints(client, nurse_a):
    client.force_login(nurse_a)
    spec = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/v1/ctcae-terms/",
        "/api/v1/ctcae-terms/{id}/",
        "/api/v1/adverse-events/",
        "/api/v1/adverse-events/{id}/sae-report/",
        "/api/v1/lab-results/",
        "/api/v1/lab-results/{id}/confirm/",
        "/api/v1/lab-results/{id}/dismiss/",
        "/api/v1/lab-tests/",
    ):
        assert path in spec["paths"], path
    ae = spec["components"]["schemas"]["AdverseEvent"]["properties"]
    assert {"course_day", "window", "sae", "related", "history_url"} <= set(ae)
    assert "q" in [p["name"] for p in spec["paths"]["/api/v1/ctcae-terms/"]["get"]["parameters"]]
    assert spec["components"]["schemas"]["SAECriterionEnum"]["enum"][0] == "death"


PLATELETS_PER_UL = "Platelet count: 250000 10^9/L is outside the plausible range 0–5000 10^9/L; check the unit."
NEGATIVE_NEUTROPHILS = "Neutrophil count: -1 10^9/L is negative; a lab value cannot be below 0."
LLN_OVER_ULN = "LLN 150 10^9/L is above ULN 100 10^9/L; the lower normal limit must not exceed the upper."


def test_implausible_lab_values_are_refused_naming_field_unit_and_range(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    per_ul = api_client.post(
        LABS, lab_payload(treated, "Platelet count decreased", "250000", unit="10^9/L"), format="json"
    )
    assert per_ul.status_code == 400 and errors_of(per_ul)["value"] == PLATELETS_PER_UL
    negative = api_client.post(
        LABS, lab_payload(treated, "Neutrophil count decreased", "-1", unit="10^9/L"), format="json"
    )
    assert errors_of(negative)["value"] == NEGATIVE_NEUTROPHILS
    both = api_client.post(
        LABS,
        lab_payload(
            treated, "Platelet count decreased", "250000", unit="10^9/L", lower_limit_normal="150",
            upper_limit_normal="100",
        ),
        format="json",
    )  # fmt: skip
    errors = errors_of(both)
    assert errors["value"] == PLATELETS_PER_UL  # every problem at once
    assert errors["lower_limit_normal"] == errors["upper_limit_normal"] == LLN_OVER_ULN
    assert not LabResult.objects.filter(patient=treated).exists()


def test_lab_tests_are_offered_by_their_lab_name_with_unit(api_client, nurse_a):
    api_client.force_authenticate(nurse_a)
    labels = {(t["code"], t["unit_system"]): t["label"] for t in api_client.get("/api/v1/lab-tests/").json()}
    assert labels[("platelets", "SI")] == "Platelet count (10^9/L)"
    assert labels[("calcium", "US_conventional")] == "Calcium (total, corrected) (mg/dL)"
    assert "Potassium, low" not in str(labels) and "Hypokalemia" not in labels.values()
