"""Withdrawing a record entered in error (core:withdraw and POST /api/v1/<records>/{id}/withdraw/), for every record
type the apps register: gone from its list, kept in its audit trail with who, when and why; refused with the rule's
message where it cannot be withdrawn; a reason required; monitors refused (403); another site's record 404; and the
safety flags raised from a withdrawn lab value resolved. These tests live in safety, the one app above every app
that registers a withdrawable record."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from adverse_events.models import AdverseEvent, AEAttribution, ClinicalObservation, CTCAETerm, LabResult
from adverse_events.services import adverse_event_report, clinical_observation_record
from core.templatetags.withdrawal import LINK_TEXT
from core.withdrawal import NOT_ALLOWED_TO_WITHDRAW, OTHER_RECORDS_REFER, WITHDRAW_REASON_REQUIRED
from dosing.models import Course, PlannedAdministration
from dosing.services import (
    COURSE_HAS_RECORDED_DOSES,
    COURSE_NOT_LAST,
    DOSE_NOT_RECORDED,
    DOSE_WITHDRAWN,
    course_start,
    dose_record,
    unplanned_dose_record,
)
from patients.models import Consent, EligibilityAssessment, FollowUp, Patient
from patients.services import patient_screen
from patients.services.eligibility import eligibility_assess
from patients.services.outcomes import follow_up_record
from patients.services.registration import REGISTERED_NOT_WITHDRAWN, consent_record
from responses.models import MarrowAssessment
from responses.services import assessment_record
from safety.tests.helpers import START, at
from safety.tests.test_sos_rules import bilirubin, hepatomegaly_and_weight_gain, open_flags
from trial.models import Drug

REASON = "Entered on the wrong patient"


# --- Records of each withdrawable type, made through the services -------------------------------------------


def _course(nurse, patient):
    return course_start(actor=nurse, patient=patient, start_date=START, height_cm=Decimal(170), weight_kg=Decimal(70))


def make_lab(nurse, patient):
    return bilirubin(nurse, patient, "1.0")


def make_observation(nurse, patient):
    return clinical_observation_record(actor=nurse, patient=patient, observed_on=START, hepatomegaly=True)


def make_marrow(nurse, patient):
    return assessment_record(
        actor=nurse, patient=patient, assessed_on=START + timedelta(days=20), marrow_blast_percent=2,
        neutrophils_1e9_per_l=2, platelets_1e9_per_l=150,
    )  # fmt: skip


def make_ae(nurse, patient):
    return adverse_event_report(
        actor=nurse, patient=patient, term=CTCAETerm.objects.get(term="Nausea"), grade=2, onset_date=START
    )


def make_follow_up(nurse, patient):
    return follow_up_record(actor=nurse, patient=patient, contact_date=date(2024, 3, 1), vital_status="alive")


def make_course(nurse, patient):
    return _course(nurse, patient)


def make_unplanned_dose(nurse, patient):
    course = _course(nurse, patient)
    return unplanned_dose_record(
        actor=nurse, course=course, drug=Drug.objects.get(code="vincristine"), given_at=at(START + timedelta(days=2)),
        dose_given=Decimal(1), dose_unit="mg", route="IV", reason="Extra dose by the ward",
    )  # fmt: skip


WITHDRAWN = [  # (maker, its model, its API list)
    (make_lab, LabResult, "/api/v1/lab-results/"),
    (make_observation, ClinicalObservation, "/api/v1/clinical-observations/"),
    (make_marrow, MarrowAssessment, "/api/v1/marrow-assessments/"),
    (make_ae, AdverseEvent, "/api/v1/adverse-events/"),
    (make_follow_up, FollowUp, "/api/v1/follow-ups/"),
    (make_course, Course, "/api/v1/courses/"),
    (make_unplanned_dose, PlannedAdministration, "/api/v1/administrations/"),
]
IDS = ["lab", "observation", "marrow", "ae", "follow_up", "course", "unplanned_dose"]


def withdraw_url(record):
    return reverse("core:withdraw", args=[record._meta.label_lower, record.pk])


def api_url(list_url, record):
    return f"{list_url}{record.pk}/withdraw/"


def listed_ids(api_client, list_url):
    return {row["id"] for row in api_client.get(list_url).json()["results"]}


def last_history(model, pk):
    return model.history.filter(id=pk).order_by("-history_date", "-history_id").first()


def api_errors(response):
    return {(e["field"], e["message"]) for e in response.json()["errors"]}


@pytest.fixture
def patient(make_patient):
    return make_patient()


# --- Every type: withdrawn, gone from the list, kept in the audit trail ------------------------------------------


@pytest.mark.parametrize(("maker", "model", "list_url"), WITHDRAWN, ids=IDS)
def test_a_nurse_withdraws_it_on_its_page_it_leaves_the_list_and_its_audit_trail_keeps_it(
    client, api_client, nurse_a, patient, maker, model, list_url
):
    record = model.objects.get(pk=maker(nurse_a, patient).pk)
    api_client.force_authenticate(nurse_a)
    assert record.pk in listed_ids(api_client, list_url)
    client.force_login(nurse_a)
    page = client.get(withdraw_url(record)).content.decode()
    assert "Reason for withdrawal" in page and str(record) in page
    response = client.post(withdraw_url(record), {"reason": REASON}, follow=True)
    assert "Withdrawn (entered in error)" in response.content.decode()
    assert record.pk not in listed_ids(api_client, list_url)
    row = last_history(model, record.pk)
    assert (row.history_type, row.history_change_reason, row.history_user) == ("-", REASON, nurse_a)
    trail = client.get(reverse("core:record-history", args=[record._meta.label_lower, record.pk]))
    assert trail.status_code == 200
    text = trail.content.decode()
    assert "(withdrawn)" in text and "deleted" in text and REASON in text and nurse_a.signature_name in text


@pytest.mark.parametrize(("maker", "model", "list_url"), WITHDRAWN, ids=IDS)
def test_a_data_manager_withdraws_it_through_the_api(
    api_client, nurse_a, data_manager_a, patient, maker, model, list_url
):
    record = maker(nurse_a, patient)
    api_client.force_authenticate(data_manager_a)
    response = api_client.post(api_url(list_url, record), {"reason": REASON}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["withdrawn"] is True
    assert not model.objects.filter(pk=record.pk).exists()
    trail = api_client.get(response.json()["audit_trail"]).json()
    assert (trail[-1]["action"], trail[-1]["reason"], trail[-1]["user"]) == (
        "deleted",
        REASON,
        data_manager_a.signature_name,
    )
    row = last_history(model, record.pk)
    assert (row.history_type, row.history_change_reason, row.history_user) == ("-", REASON, data_manager_a)


def test_an_ae_goes_with_its_attributions(api_client, nurse_a, patient):
    course = _course(nurse_a, patient)
    a = course.administrations.filter(drug__code="vincristine").order_by("day").first()
    dose_record(actor=nurse_a, administration=a, status="given", given_at=at(a.planned_date), dose_given=a.planned_dose)
    ae = adverse_event_report(
        actor=nurse_a, patient=patient, term=CTCAETerm.objects.get(term="Nausea"), grade=2,
        onset_date=START + timedelta(days=1), attributions={"vincristine": "possible"},
    )  # fmt: skip
    (attribution,) = ae.attributions.all()
    api_client.force_authenticate(nurse_a)
    assert api_client.post(f"/api/v1/adverse-events/{ae.pk}/withdraw/", {"reason": REASON}).status_code == 200
    assert not AEAttribution.objects.filter(pk=attribution.pk).exists()
    assert last_history(AEAttribution, attribution.pk).history_change_reason == REASON


# --- Screening records and doses --------------------------------------------------------------------------------


def test_a_screening_record_goes_with_its_consent_and_eligibility_and_leaves_the_patient_list(
    client, api_client, nurse_a, site_a
):
    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Duplicate")
    consent = consent_record(actor=nurse_a, patient=patient, consent_date=date(2024, 1, 2), form_version="v1")
    assessment = eligibility_assess(actor=nurse_a, patient=patient, assessed_on=date(2024, 1, 2), ecog=1)
    client.force_login(nurse_a)
    assert LINK_TEXT in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    response = client.post(withdraw_url(patient), {"reason": "Duplicate of SA-0001"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("patients:list")
    api_client.force_authenticate(nurse_a)
    assert patient.pk not in listed_ids(api_client, "/api/v1/patients/")
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert not Consent.objects.filter(pk=consent.pk).exists()
    assert not EligibilityAssessment.objects.filter(pk=assessment.pk).exists()
    for model, pk in ((Patient, patient.pk), (Consent, consent.pk), (EligibilityAssessment, assessment.pk)):
        row = last_history(model, pk)
        assert (row.history_type, row.history_change_reason, row.history_user) == ("-", "Duplicate of SA-0001", nurse_a)


def test_the_evaluation_queued_by_withdrawing_a_screening_record_finds_nothing_to_do(nurse_a, site_a):
    from core.withdrawal import record_withdraw
    from safety.tasks import evaluate_patient

    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Duplicate")
    patient_id = patient.pk
    record_withdraw(actor=nurse_a, record=patient, reason="Duplicate of SA-0001")
    assert evaluate_patient.apply(args=[patient_id]).get() == {"withdrawn": 1}


def test_a_registered_patient_cannot_be_withdrawn_page_and_api_say_why(client, api_client, nurse_a, patient):
    client.force_login(nurse_a)
    assert LINK_TEXT not in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    page = client.get(withdraw_url(patient)).content.decode()
    assert REGISTERED_NOT_WITHDRAWN in page
    response = client.post(withdraw_url(patient), {"reason": REASON})
    assert response.status_code == 400 and REGISTERED_NOT_WITHDRAWN in response.content.decode()
    api_client.force_authenticate(nurse_a)
    response = api_client.post(f"/api/v1/patients/{patient.pk}/withdraw/", {"reason": REASON}, format="json")
    assert response.status_code == 400
    assert api_errors(response) == {(None, REGISTERED_NOT_WITHDRAWN)}
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_a_dose_recorded_as_given_by_mistake_goes_back_to_planned(client, nurse_a, patient):
    course = _course(nurse_a, patient)
    planned = course.administrations.filter(drug__code="vincristine").order_by("day").first()
    client.force_login(nurse_a)
    page = client.get(reverse("dosing:administration-record", args=[planned.pk])).content.decode()
    assert LINK_TEXT not in page  # still planned: nothing to withdraw
    assert DOSE_NOT_RECORDED in client.get(withdraw_url(planned)).content.decode()
    given = dose_record(
        actor=nurse_a, administration=planned, status="given", given_at=at(planned.planned_date),
        dose_given=planned.planned_dose,
    )  # fmt: skip
    page = client.get(reverse("dosing:administration-record", args=[given.pk])).content.decode()
    assert LINK_TEXT in page
    client.post(withdraw_url(given), {"reason": "Given to the bed-neighbour's chart"})
    given.refresh_from_db()
    assert (given.status, given.given_at, given.dose_given, given.recorded_by) == ("pending", None, None, None)
    row = last_history(PlannedAdministration, given.pk)
    assert row.history_type == "~" and row.history_user == nurse_a
    assert row.history_change_reason == DOSE_WITHDRAWN.format(reason="Given to the bed-neighbour's chart")
    assert row.dose_given is None and row.prev_record.dose_given == planned.planned_dose


def test_a_course_with_a_dose_given_cannot_be_withdrawn_the_doses_first(client, api_client, nurse_a, patient):
    course = _course(nurse_a, patient)
    a = course.administrations.filter(drug__code="vincristine").order_by("day").first()
    dose_record(actor=nurse_a, administration=a, status="given", given_at=at(a.planned_date), dose_given=a.planned_dose)
    client.force_login(nurse_a)
    assert LINK_TEXT not in client.get(reverse("dosing:course-detail", args=[course.pk])).content.decode()
    response = client.post(withdraw_url(course), {"reason": ""})
    page = response.content.decode()
    assert response.status_code == 400 and COURSE_HAS_RECORDED_DOSES in page and WITHDRAW_REASON_REQUIRED in page
    api_client.force_authenticate(nurse_a)
    response = api_client.post(f"/api/v1/courses/{course.pk}/withdraw/", {"reason": ""}, format="json")
    assert api_errors(response) == {(None, COURSE_HAS_RECORDED_DOSES), ("reason", WITHDRAW_REASON_REQUIRED)}
    assert Course.objects.filter(pk=course.pk).exists()


def test_only_the_last_course_can_be_withdrawn(api_client, nurse_a, patient):
    first = _course(nurse_a, patient)
    course_start(
        actor=nurse_a, patient=patient, start_date=START + timedelta(days=28), height_cm=Decimal(170),
        weight_kg=Decimal(70),
    )  # fmt: skip
    api_client.force_authenticate(nurse_a)
    response = api_client.post(f"/api/v1/courses/{first.pk}/withdraw/", {"reason": REASON}, format="json")
    assert api_errors(response) == {(None, COURSE_NOT_LAST.format(number=2))}


def test_a_course_with_only_planned_doses_goes_with_them(client, nurse_a, patient):
    course = _course(nurse_a, patient)
    doses = list(course.administrations.values_list("pk", flat=True))
    client.force_login(nurse_a)
    assert LINK_TEXT in client.get(reverse("dosing:course-detail", args=[course.pk])).content.decode()
    client.post(withdraw_url(course), {"reason": "Started on the wrong patient"})
    assert not Course.objects.filter(pk=course.pk).exists()
    assert not PlannedAdministration.objects.filter(pk__in=doses).exists()
    assert last_history(PlannedAdministration, doses[0]).history_change_reason == "Started on the wrong patient"


def test_a_lab_value_an_ae_was_confirmed_from_cannot_be_withdrawn_before_the_ae(api_client, nurse_a, patient):
    lab = bilirubin(nurse_a, patient, "1.0")
    adverse_event_report(
        actor=nurse_a, patient=patient, term=CTCAETerm.objects.get(term="Nausea"), grade=2, onset_date=START,
        source_lab_result=lab,
    )  # fmt: skip
    api_client.force_authenticate(nurse_a)
    response = api_client.post(f"/api/v1/lab-results/{lab.pk}/withdraw/", {"reason": REASON}, format="json")
    assert api_errors(response) == {(None, OTHER_RECORDS_REFER.format(records="adverse events"))}


# --- Reason, roles, sites ----------------------------------------------------------------------------------------


def test_the_reason_is_required_and_page_and_api_give_the_same_message(client, api_client, nurse_a, patient):
    lab = make_lab(nurse_a, patient)
    client.force_login(nurse_a)
    response = client.post(withdraw_url(lab), {"reason": "  "})
    assert response.status_code == 400
    assert 'id="id_reason_errors"' in response.content.decode()
    assert WITHDRAW_REASON_REQUIRED in response.content.decode()
    api_client.force_authenticate(nurse_a)
    response = api_client.post(f"/api/v1/lab-results/{lab.pk}/withdraw/", {}, format="json")
    assert response.status_code == 400
    assert api_errors(response) == {("reason", WITHDRAW_REASON_REQUIRED)}
    assert LabResult.objects.filter(pk=lab.pk).exists()


def test_a_monitor_sees_no_link_and_is_refused_403_on_the_page_and_the_api(
    client, api_client, nurse_a, monitor_a, patient
):
    lab = make_lab(nurse_a, patient)
    client.force_login(nurse_a)
    labs_page = reverse("adverse_events:patient-labs", args=[patient.pk])
    assert LINK_TEXT in client.get(labs_page).content.decode()
    client.force_login(monitor_a)
    assert LINK_TEXT not in client.get(labs_page).content.decode()
    assert client.get(withdraw_url(lab)).status_code == 403
    assert client.post(withdraw_url(lab), {"reason": REASON}).status_code == 403
    api_client.force_authenticate(monitor_a)
    response = api_client.post(f"/api/v1/lab-results/{lab.pk}/withdraw/", {"reason": REASON}, format="json")
    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == NOT_ALLOWED_TO_WITHDRAW
    assert LabResult.objects.filter(pk=lab.pk).exists()


def test_another_sites_record_is_404_on_the_page_the_api_and_its_audit_trail(
    client, api_client, nurse_a, nurse_b, patient
):
    observation = make_observation(nurse_a, patient)
    client.force_login(nurse_b)
    assert client.get(withdraw_url(observation)).status_code == 404
    assert client.post(withdraw_url(observation), {"reason": REASON}).status_code == 404
    api_client.force_authenticate(nurse_b)
    url = f"/api/v1/clinical-observations/{observation.pk}/withdraw/"
    assert api_client.post(url, {"reason": REASON}, format="json").status_code == 404
    assert ClinicalObservation.objects.filter(pk=observation.pk).exists()
    client.force_login(nurse_a)
    client.post(withdraw_url(observation), {"reason": REASON})
    client.force_login(nurse_b)  # the withdrawn record's trail stays at its site
    assert (
        client.get(
            reverse("core:record-history", args=["adverse_events.clinicalobservation", observation.pk])
        ).status_code
        == 404
    )


# --- Safety flags re-evaluated -----------------------------------------------------------------------------------


def test_withdrawing_the_bilirubin_that_raised_possible_sos_resolves_the_flag(
    protocol_reloaded, client, nurse_a, patient
):
    """Committed for real (a transactional test): the withdrawal's commit queues the patient's evaluation, as every
    audited write does, and the flag raised from the bilirubin resolves."""
    course = _course(nurse_a, patient)
    for code in ("vincristine", "inotuzumab-ozogamicin"):
        a = course.administrations.filter(drug__code=code).order_by("day").first()
        dose_record(
            actor=nurse_a, administration=a, status="given", given_at=at(a.planned_date), dose_given=a.planned_dose
        )
    hepatomegaly_and_weight_gain(nurse_a, patient)
    lab = bilirubin(nurse_a, patient, "3.1")
    (flag,) = open_flags(patient, "SOS-07")  # raised on the commit of the bilirubin
    client.force_login(nurse_a)
    client.post(withdraw_url(lab), {"reason": "Another patient's bilirubin"})
    flag.refresh_from_db()
    assert flag.status == "resolved"
    assert "no longer holds" in flag.resolution
    assert not open_flags(patient, "SOS-07")
