"""Eligibility: values entered by the nurse, the checklist against PROTOCOL.md §2, waivers, pages and API."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.audit.trail import record_history
from core.audit.writes import REASON_REQUIRED, audited_create
from core.choices import SignatureMeaning, SignatureStatus
from core.models import Signature
from core.services import WRONG_PASSWORD
from patients.choices import PatientStatus
from patients.derivations.eligibility import MET, MISSING, NOT_MET
from patients.models import Patient
from patients.selectors.eligibility import (
    assessments_for,
    current_protocol_version,
    eligibility_results,
    eligibility_summary,
    latest_assessment,
)
from patients.services import PATIENT_NOT_AT_YOUR_SITES, patient_screen
from patients.services.eligibility import (
    ASSESSED_IN_FUTURE,
    NOTHING_TO_WAIVE,
    WAIVER_NOT_ALLOWED,
    WAIVER_REASON_REQUIRED,
    eligibility_assess,
    eligibility_update,
    eligibility_waive,
)
from patients.services.registration import consent_record
from trial.models import ProtocolVersion

ASSESSED = date(2024, 3, 4)
CONSENTED = date(2024, 3, 1)
ELIGIBLE = {
    "diagnosis": "pre_b_all",
    "disease_status": "relapsed",
    "ph_status": "negative",
    "cd22_status": "positive",
    "ecog": 1,
    "ejection_fraction_percent": Decimal("60"),
    "bilirubin_mg_dl": Decimal("0.8"),
    "creatinine_mg_dl": Decimal("0.9"),
    "uncontrolled_infection": False,
    "nyha_class": 1,
    "second_active_malignancy": False,
}
BILIRUBIN_TOO_HIGH = "This value must be at most 50 mg/dL."  # the model's MaxValueValidator(50), with its unit


@pytest.fixture
def patient(nurse_a, site_a):
    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    consent_record(actor=nurse_a, patient=patient, consent_date=CONSENTED, form_version="v3.1")
    return patient


def assess(nurse, patient, assessed_on=ASSESSED, **changes):
    return eligibility_assess(actor=nurse, patient=patient, assessed_on=assessed_on, **{**ELIGIBLE, **changes})


def statuses(assessment):
    return {r.criterion.code: r.status for r in eligibility_results(assessment)}


def not_met_assessment(nurse, patient):
    return assess(nurse, patient, bilirubin_mg_dl=Decimal("2.4"))


# --- Each criterion at its boundary, through the service and the selector -------------------


def test_all_criteria_met(nurse_a, patient):
    assessment = assess(nurse_a, patient)
    summary = eligibility_summary(assessment)
    assert len(summary.results) == 12
    assert set(statuses(assessment).values()) == {MET}
    assert summary.all_met and summary.registration_allowed and not summary.waived


@pytest.mark.parametrize(
    ("variable", "value", "code", "status"),
    [
        ("bilirubin_mg_dl", Decimal("1.95"), "bilirubin", MET),
        ("bilirubin_mg_dl", Decimal("1.96"), "bilirubin", NOT_MET),
        ("ejection_fraction_percent", Decimal("50"), "ejection-fraction", NOT_MET),
        ("ejection_fraction_percent", Decimal("50.1"), "ejection-fraction", MET),
        ("creatinine_mg_dl", Decimal("2.0"), "creatinine", MET),
        ("creatinine_mg_dl", Decimal("2.01"), "creatinine", NOT_MET),
        ("ecog", 3, "ecog", MET),
        ("ecog", 4, "ecog", NOT_MET),
        ("nyha_class", 2, "nyha-heart-failure", MET),
        ("nyha_class", 3, "nyha-heart-failure", NOT_MET),
        ("nyha_class", 4, "nyha-heart-failure", NOT_MET),
        ("ph_status", "positive", "ph-negative", NOT_MET),
        ("ph_status", "unknown", "ph-negative", NOT_MET),
        ("cd22_status", "negative", "cd22-positive", NOT_MET),
        ("diagnosis", "t_all", "pre-b-all", NOT_MET),
        ("disease_status", "refractory", "relapsed-refractory", MET),
        ("disease_status", "newly_diagnosed", "relapsed-refractory", NOT_MET),
        ("disease_status", "in_remission", "relapsed-refractory", NOT_MET),
        ("uncontrolled_infection", True, "uncontrolled-infection", NOT_MET),
        ("second_active_malignancy", True, "second-malignancy", NOT_MET),
    ],
)
def test_criterion_at_its_boundary(nurse_a, patient, variable, value, code, status):
    assessment = assess(nurse_a, patient, **{variable: value})
    results = statuses(assessment)
    assert results[code] == status
    assert {c: s for c, s in results.items() if c != code} == dict.fromkeys(set(results) - {code}, MET)
    assert eligibility_summary(assessment).registration_allowed is (status == MET)


def test_consent_missing_or_signed_after_the_assessment_is_missing(nurse_a, site_a):
    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    assert statuses(assess(nurse_a, patient))["informed-consent"] == MISSING
    consent_record(actor=nurse_a, patient=patient, consent_date=ASSESSED + timedelta(days=1), form_version="v3.1")
    assert statuses(assess(nurse_a, patient))["informed-consent"] == MISSING
    on_the_day = assess(nurse_a, patient, assessed_on=ASSESSED + timedelta(days=1))
    assert statuses(on_the_day)["informed-consent"] == MET
    assert next(r for r in eligibility_results(on_the_day) if r.criterion.code == "informed-consent").value == (
        ASSESSED + timedelta(days=1)
    )


def test_values_not_entered_are_reported_missing_with_the_threshold(nurse_a, patient):
    assessment = eligibility_assess(actor=nurse_a, patient=patient, assessed_on=ASSESSED)
    summary = eligibility_summary(assessment)
    assert {c: s for c, s in statuses(assessment).items() if c != "informed-consent"} == dict.fromkeys(
        set(statuses(assessment)) - {"informed-consent"}, MISSING
    )
    assert not summary.registration_allowed and len(summary.missing) == 11
    bilirubin = next(line for line in summary.lines if line.criterion.code == "bilirubin")
    assert (bilirubin.requirement, bilirubin.value_display, bilirubin.status_label) == ("≤ 1.95 mg/dL", "—", "missing")


def test_checklist_reads_as_words(nurse_a, patient):
    summary = eligibility_summary(assess(nurse_a, patient, ejection_fraction_percent=Decimal("50.00")))
    lines = {line.criterion.code: (line.requirement, line.value_display, line.status_label) for line in summary.lines}
    assert lines["ejection-fraction"] == ("> 50%", "50", "not met")
    assert lines["relapsed-refractory"] == ("one of: Relapsed, Refractory", "Relapsed", "met")
    assert lines["uncontrolled-infection"] == ("no", "no", "met")
    assert lines["informed-consent"] == ("recorded", "2024-03-01", "met")


def test_version_is_the_patients_own_once_registered_else_the_current_one(nurse_a, site_a, patient):
    assert assess(nurse_a, patient).protocol_version == current_protocol_version(site_a.trial)
    assert current_protocol_version(site_a.trial).code == "amended-2017"
    assert current_protocol_version(site_a.trial, on=date(2016, 1, 1)).code == "original"
    registered = audited_create(
        Patient(
            site=site_a,
            subject_id="SA-9001",
            sequence_number=9001,
            status=PatientStatus.REGISTERED,
            registration_date=date(2015, 1, 5),
            protocol_version=ProtocolVersion.objects.get(code="original"),
        ),
        actor=nurse_a,
    )
    assert assess(nurse_a, registered).protocol_version.code == "original"


def test_latest_assessment_is_by_date_then_entry(nurse_a, patient):
    assess(nurse_a, patient, assessed_on=ASSESSED)
    older = assess(nurse_a, patient, assessed_on=ASSESSED - timedelta(days=2))
    newest = assess(nurse_a, patient, assessed_on=ASSESSED)
    assert latest_assessment(patient) == newest and latest_assessment(patient) != older


# --- Refusals -------------------------------------------------------------------------------


def test_future_assessment_date_is_refused_on_the_date_field(nurse_a, patient):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        assess(nurse_a, patient, assessed_on=tomorrow, bilirubin_mg_dl=Decimal("99"))
    assert excinfo.value.message_dict == {"assessed_on": [ASSESSED_IN_FUTURE], "bilirubin_mg_dl": [BILIRUBIN_TOO_HIGH]}
    assert not patient.eligibility_assessments.exists()


def test_other_sites_nurse_cannot_assess(nurse_b, patient):
    with pytest.raises(ValidationError) as excinfo:
        assess(nurse_b, patient)
    assert excinfo.value.message_dict == {"patient": [PATIENT_NOT_AT_YOUR_SITES]}


# --- Corrections and their audit ------------------------------------------------------------


def test_corrected_value_needs_a_reason_and_is_audited(nurse_a, patient):
    assessment = assess(nurse_a, patient, bilirubin_mg_dl=Decimal("1.96"))
    with pytest.raises(ValidationError) as excinfo:
        eligibility_update(actor=nurse_a, assessment=assessment, bilirubin_mg_dl=Decimal("1.59"))
    assert excinfo.value.message_dict == {"reason": [REASON_REQUIRED]}

    eligibility_update(
        actor=nurse_a, assessment=assessment, reason="Transcription error: 1.59", bilirubin_mg_dl=Decimal("1.59")
    )

    assessment.refresh_from_db()
    assert statuses(assessment)["bilirubin"] == MET
    last = record_history(assessment)[-1]
    assert (last.action, last.reason, last.user) == ("changed", "Transcription error: 1.59", nurse_a.signature_name)
    assert [(c.field, c.old, c.new) for c in last.changes] == [("bilirubin_mg_dl", Decimal("1.96"), Decimal("1.59"))]


def test_filling_in_a_blank_needs_no_reason(nurse_a, patient):
    assessment = assess(nurse_a, patient, ecog=None)
    eligibility_update(actor=nurse_a, assessment=assessment, ecog=2)
    assessment.refresh_from_db()
    assert statuses(assessment)["ecog"] == MET


# --- Waiver ---------------------------------------------------------------------------------


def test_nurse_cannot_waive(nurse_a, patient, password):
    assessment = not_met_assessment(nurse_a, patient)
    with pytest.raises(ValidationError) as excinfo:
        eligibility_waive(actor=nurse_a, assessment=assessment, reason="Recovering", password=password)
    assert excinfo.value.messages == [WAIVER_NOT_ALLOWED]
    assert not eligibility_summary(assessment).registration_allowed


def test_wrong_password_does_not_waive_and_writes_nothing(nurse_a, investigator_a, patient):
    assessment = not_met_assessment(nurse_a, patient)
    history = len(record_history(assessment))
    with pytest.raises(ValidationError) as excinfo:
        eligibility_waive(actor=investigator_a, assessment=assessment, reason="Recovering", password="wrong")
    assert excinfo.value.message_dict == {"password": [WRONG_PASSWORD]}
    assessment.refresh_from_db()
    assert assessment.waiver_reason == "" and len(record_history(assessment)) == history
    assert not Signature.objects.for_record(assessment).exists()


def test_waiver_needs_a_reason_and_something_to_waive(nurse_a, investigator_a, patient, password):
    with pytest.raises(ValidationError) as excinfo:
        eligibility_waive(
            actor=investigator_a, assessment=not_met_assessment(nurse_a, patient), reason="  ", password=password
        )
    assert excinfo.value.message_dict == {"reason": [WAIVER_REASON_REQUIRED]}
    with pytest.raises(ValidationError) as excinfo:
        eligibility_waive(actor=investigator_a, assessment=assess(nurse_a, patient), reason="x", password=password)
    assert excinfo.value.messages == [NOTHING_TO_WAIVE]


def test_investigator_waiver_allows_registration_until_the_assessment_changes(
    nurse_a, investigator_a, patient, password
):
    assessment = not_met_assessment(nurse_a, patient)
    assert not eligibility_summary(assessment).registration_allowed

    eligibility_waive(
        actor=investigator_a,
        assessment=assessment,
        reason="Gilbert syndrome, direct bilirubin normal",
        password=password,
    )

    assessment.refresh_from_db()
    summary = eligibility_summary(assessment)
    assert summary.waived and summary.registration_allowed and not summary.all_met
    assert assessment.waiver_reason == "Gilbert syndrome, direct bilirubin normal"
    signature = Signature.objects.for_record(assessment).get()
    assert (signature.meaning, signature.signer, signature.is_valid) == (SignatureMeaning.WAIVER, investigator_a, True)
    assert record_history(assessment)[-1].reason == "Eligibility waiver: Gilbert syndrome, direct bilirubin normal"
    listed = assessments_for(investigator_a, patient).get()
    assert eligibility_summary(listed).registration_allowed

    eligibility_update(actor=nurse_a, assessment=assessment, reason="Repeat value", creatinine_mg_dl=Decimal("1.0"))

    assessment.refresh_from_db()
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.VOID and "Repeat value" in signature.void_reason
    assert assessment.waiver_reason == ""
    assert not eligibility_summary(assessment).waived
    assert not eligibility_summary(assessment).registration_allowed
    assert not eligibility_summary(assessments_for(nurse_a, patient).get()).registration_allowed


def test_a_waiver_signed_without_the_waiver_form_does_not_count(nurse_a, investigator_a, patient, password):
    from core.services import signature_sign

    assessment = not_met_assessment(nurse_a, patient)
    signature_sign(record=assessment, actor=investigator_a, password=password, meaning=SignatureMeaning.WAIVER)
    assert not eligibility_summary(assessment).registration_allowed


# --- Pages ----------------------------------------------------------------------------------


def form_data(**changes):
    data = {**ELIGIBLE, **changes, "assessed_on": changes.get("assessed_on", ASSESSED.isoformat())}
    return {k: ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v)) for k, v in data.items()}


def test_nurse_enters_values_and_reads_the_checklist(client, nurse_a, patient):
    client.force_login(nurse_a)
    response = client.post(
        reverse("patients:eligibility-new", args=[patient.pk]), form_data(bilirubin_mg_dl="1.96", ecog="")
    )
    assessment = patient.eligibility_assessments.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:eligibility-detail", args=[patient.pk, assessment.pk])

    page = client.get(response["Location"]).content.decode()
    assert "Registration refused" in page and "1 not met, 1 missing" in page
    bilirubin_row = page.split('data-criterion="bilirubin"')[1].split("</tr>")[0]
    assert "Serum bilirubin ≤ 1.95 mg/dL" in bilirubin_row and "1.96" in bilirubin_row and ">not met<" in bilirubin_row
    ecog_row = page.split('data-criterion="ecog"')[1].split("</tr>")[0]
    assert ">missing<" in ecog_row
    ef_row = page.split('data-criterion="ejection-fraction"')[1].split("</tr>")[0]
    assert "&gt; 50%" in ef_row and ">met<" in ef_row
    assert "Sign the waiver" not in page and "ask an investigator" in page


def test_form_keeps_typed_input_and_shows_errors_next_to_fields(client, nurse_a, patient):
    client.force_login(nurse_a)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(
        reverse("patients:eligibility-new", args=[patient.pk]),
        form_data(assessed_on=tomorrow, bilirubin_mg_dl="99", creatinine_mg_dl="1.23"),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_assessed_on_errors"' in page and ASSESSED_IN_FUTURE in page
    assert 'id="id_bilirubin_mg_dl_errors"' in page and BILIRUBIN_TOO_HIGH in page
    assert 'value="1.23"' in page and 'value="99"' in page and f'value="{tomorrow}"' in page
    assert not patient.eligibility_assessments.exists()


def test_edit_page_needs_a_reason_to_change_a_saved_value(client, nurse_a, patient):
    assessment = assess(nurse_a, patient, bilirubin_mg_dl=Decimal("1.96"))
    client.force_login(nurse_a)
    url = reverse("patients:eligibility-edit", args=[patient.pk, assessment.pk])
    assert 'value="1.96"' in client.get(url).content.decode()

    refused = client.post(url, form_data(bilirubin_mg_dl="1.5"))
    assert refused.status_code == 400 and REASON_REQUIRED in refused.content.decode()
    assert 'value="1.5"' in refused.content.decode()

    saved = client.post(url, {**form_data(bilirubin_mg_dl="1.5"), "reason": "Lab re-run"})
    assert saved.status_code == 302
    assessment.refresh_from_db()
    assert assessment.bilirubin_mg_dl == Decimal("1.5")
    assert record_history(assessment)[-1].reason == "Lab re-run"


def test_investigator_waives_in_the_ui(client, nurse_a, investigator_a, patient, password):
    assessment = not_met_assessment(nurse_a, patient)
    client.force_login(investigator_a)
    detail = reverse("patients:eligibility-detail", args=[patient.pk, assessment.pk])
    waive = reverse("patients:eligibility-waive", args=[patient.pk, assessment.pk])
    page = client.get(detail).content.decode()
    assert "Sign the waiver" in page and "I authorise this waiver" in page

    bad = client.post(waive, {"reason": "Recovering liver function", "password": "wrong"})
    assert bad.status_code == 400
    assert 'id="id_password_errors"' in bad.content.decode() and WRONG_PASSWORD in bad.content.decode()
    assert "Recovering liver function" in bad.content.decode()  # the typed reason is kept

    good = client.post(waive, {"reason": "Recovering liver function", "password": password})
    assert good.status_code == 302
    page = client.get(detail).content.decode()
    assert "Registration allowed under a signed waiver" in page and "Recovering liver function" in page
    assert investigator_a.signature_name in page and "I authorise this waiver" in page
    assert "Sign the waiver" not in page


def test_nurse_waiver_post_is_refused_on_the_page(client, nurse_a, patient, password):
    assessment = not_met_assessment(nurse_a, patient)
    client.force_login(nurse_a)
    response = client.post(
        reverse("patients:eligibility-waive", args=[patient.pk, assessment.pk]),
        {"reason": "x", "password": password},
    )
    assert response.status_code == 400 and WAIVER_NOT_ALLOWED in response.content.decode()


def test_other_sites_assessment_is_404_in_the_ui(client, nurse_a, nurse_b, patient):
    assessment = assess(nurse_a, patient)
    client.force_login(nurse_b)
    for name, args in [
        ("patients:eligibility-detail", [patient.pk, assessment.pk]),
        ("patients:eligibility-edit", [patient.pk, assessment.pk]),
        ("patients:eligibility-new", [patient.pk]),
        ("core:record-history", ["patients.eligibilityassessment", assessment.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name


def test_assessment_of_another_patient_is_404_even_at_the_same_site(client, nurse_a, site_a, patient):
    assessment = assess(nurse_a, patient)
    other = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    client.force_login(nurse_a)
    assert client.get(reverse("patients:eligibility-detail", args=[other.pk, assessment.pk])).status_code == 404


def test_audit_trail_page_of_an_assessment(client, nurse_a, patient):
    assessment = assess(nurse_a, patient, ecog=4)
    eligibility_update(actor=nurse_a, assessment=assessment, reason="Re-examined", ecog=3)
    client.force_login(nurse_a)
    page = client.get(reverse("core:record-history", args=["patients.eligibilityassessment", assessment.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Re-examined" in text and "<del>4</del>" in text and "<ins>3</ins>" in text


# --- API ------------------------------------------------------------------------------------

API = "/api/v1/eligibility-assessments/"


def api_payload(patient, **changes):
    data = {**ELIGIBLE, **changes}
    payload = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()}
    return {"patient": patient.pk, "assessed_on": ASSESSED.isoformat(), **payload}


def test_api_create_returns_the_checklist(api_client, nurse_a, patient):
    api_client.force_authenticate(nurse_a)
    response = api_client.post(API, api_payload(patient, bilirubin_mg_dl="1.96", ecog=None), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["all_met"], body["waived"], body["registration_allowed"]) == (False, False, False)
    results = {r["code"]: r for r in body["results"]}
    assert results["bilirubin"] == {
        "code": "bilirubin",
        "kind": "inclusion",
        "text": "Serum bilirubin ≤ 1.95 mg/dL",
        "requirement": "≤ 1.95 mg/dL",
        "value": "1.96",
        "value_display": "1.96",
        "status": "not_met",
    }
    assert (results["ecog"]["status"], results["ecog"]["value"]) == ("missing", None)
    assert results["informed-consent"]["value"] == CONSENTED.isoformat()
    assert body["protocol_version"] == "amended-2017"


def test_api_correction_with_reason_and_waiver(api_client, nurse_a, investigator_a, patient, password):
    assessment = not_met_assessment(nurse_a, patient)
    url = f"{API}{assessment.pk}/"
    api_client.force_authenticate(nurse_a)
    refused = api_client.patch(url, {"bilirubin_mg_dl": "2.1"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == [{"field": "reason", "code": "invalid", "message": REASON_REQUIRED}]
    nurse_waiver = api_client.post(f"{url}waive/", {"reason": "x", "password": password}, format="json")
    assert nurse_waiver.status_code == 400
    assert nurse_waiver.json()["errors"] == [{"field": None, "code": "invalid", "message": WAIVER_NOT_ALLOWED}]

    api_client.force_authenticate(investigator_a)
    wrong = api_client.post(f"{url}waive/", {"reason": "Recovering", "password": "nope"}, format="json")
    assert wrong.json()["errors"] == [{"field": "password", "code": "invalid", "message": WRONG_PASSWORD}]
    waived = api_client.post(f"{url}waive/", {"reason": "Recovering", "password": password}, format="json")
    assert waived.status_code == 200
    assert (waived.json()["waived"], waived.json()["registration_allowed"]) == (True, True)

    api_client.force_authenticate(nurse_a)
    changed = api_client.patch(url, {"bilirubin_mg_dl": "2.2", "reason": "Repeat lab"}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["waived"], changed.json()["registration_allowed"]) == (False, False)
    assert changed.json()["bilirubin_mg_dl"] == "2.20"


def test_api_scoped_to_the_callers_sites(api_client, nurse_a, nurse_b, patient):
    assessment = assess(nurse_a, patient)
    api_client.force_authenticate(nurse_b)
    assert api_client.get(f"{API}{assessment.pk}/").status_code == 404
    assert api_client.patch(f"{API}{assessment.pk}/", {"ecog": 2, "reason": "x"}, format="json").status_code == 404
    assert api_client.get(API, {"patient": patient.pk}).json()["results"] == []
    created = api_client.post(API, api_payload(patient), format="json")
    assert created.status_code == 400 and created.json()["errors"][0]["field"] == "patient"
    api_client.force_authenticate(nurse_a)
    assert [a["id"] for a in api_client.get(API, {"patient": patient.pk}).json()["results"]] == [assessment.pk]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"bilirubin_mg_dl": "99"}, "bilirubin_mg_dl", BILIRUBIN_TOO_HIGH),
        ({"assessed_on": "future"}, "assessed_on", ASSESSED_IN_FUTURE),
    ],
)
def test_same_bad_input_same_message_in_form_and_api(client, api_client, nurse_a, patient, changes, field, message):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    changes = {k: (tomorrow if v == "future" else v) for k, v in changes.items()}

    client.force_login(nurse_a)
    page = client.post(reverse("patients:eligibility-new", args=[patient.pk]), form_data(**changes))
    form_errors = page.context["form"].errors

    api_client.force_authenticate(nurse_a)
    response = api_client.post(API, {**api_payload(patient), **changes}, format="json")

    assert form_errors == {field: [message]}
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": field, "code": "invalid", "message": message}]


def test_api_list_queries_do_not_grow_with_assessments(api_client, nurse_a, investigator_a, site_a, password):
    def add_patient_with_assessments():
        patient = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
        consent_record(actor=nurse_a, patient=patient, consent_date=CONSENTED, form_version="v3.1")
        assess(nurse_a, patient)
        waived = not_met_assessment(nurse_a, patient)
        eligibility_waive(actor=investigator_a, assessment=waived, reason="Recovering", password=password)

    add_patient_with_assessments()
    api_client.force_authenticate(nurse_a)
    api_client.get(API)
    with CaptureQueriesContext(connection) as few:
        first = api_client.get(API)
    for _ in range(4):
        add_patient_with_assessments()
    with CaptureQueriesContext(connection) as many:
        response = api_client.get(API)
    assert len(first.json()["results"]) == 2 and len(response.json()["results"]) == 10
    assert sum(a["waived"] for a in response.json()["results"]) == 5
    assert len(many) == len(few)
