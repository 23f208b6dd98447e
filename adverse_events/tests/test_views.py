"""The adverse-event pages: the term type-ahead and the grades a term defines, the service's messages next to the
fields, correction with a reason, the AE page with its window and SAE clock, the patient's list and panel, the site
log with filters, lab values that propose an AE, site scoping and query counts."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from adverse_events.models import AdverseEvent, CTCAETerm, LabResult
from adverse_events.services import (
    ATTRIBUTION_MISSING,
    DISMISS_REASON,
    GRADE_5_NEEDS_DEATH,
    GRADE_NOT_DEFINED,
    SAE_NEEDS_AWARE,
    SAE_NEEDS_CRITERIA,
    VERBATIM_REQUIRED,
    adverse_event_report,
    lab_result_record,
)
from core.audit.trail import record_history
from core.audit.writes import REASON_REQUIRED
from dosing.services import course_start, dose_record

START = date(2024, 1, 3)
INO = "inotuzumab-ozogamicin"
ATTRIBUTIONS = {"vincristine": "possible", INO: "unlikely"}
OTHER_GI = "Gastrointestinal disorders - Other, specify"


def term(name):
    return CTCAETerm.objects.get(term=name)


def give_study_drugs(nurse, patient, start=START):
    """Course 1 from ``start`` with the first vincristine and inotuzumab doses given."""
    course = course_start(actor=nurse, patient=patient, start_date=start, height_cm=Decimal(170), weight_kg=Decimal(70))
    for code in ("vincristine", INO):
        a = course.administrations.filter(drug__code=code).order_by("day").first()
        given_at = timezone.make_aware(datetime.combine(a.planned_date, datetime.min.time()).replace(hour=10))
        dose_record(actor=nurse, administration=a, status="given", given_at=given_at, dose_given=a.planned_dose)
    return patient


@pytest.fixture
def treated(nurse_a, make_patient):
    return give_study_drugs(nurse_a, make_patient())


def report(nurse, patient, name="Nausea", grade=2, onset=START + timedelta(days=5), **kw):
    kw.setdefault("attributions", ATTRIBUTIONS)
    return adverse_event_report(actor=nurse, patient=patient, term=term(name), grade=grade, onset_date=onset, **kw)


def form_data(name="Nausea", grade=2, onset=START + timedelta(days=5), **changes):
    data = {
        "term": term(name).pk,
        "grade": grade,
        "onset_date": onset.isoformat(),
        "resolution_date": "",
        "course": "",
        "verbatim": "",
        "sae_aware_at": "",
        "action_taken": "",
        "outcome": "",
        **{f"attribution_{code}": value for code, value in ATTRIBUTIONS.items()},
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def new_url(patient):
    return reverse("adverse_events:ae-new", args=[patient.pk])


# ---------------------------------------------------------------------------------------------
# The term type-ahead and the grades a term defines
# ---------------------------------------------------------------------------------------------


def test_term_search_finds_by_term_meddra_code_and_soc(client, nurse_a):
    client.force_login(nurse_a)
    url = reverse("adverse_events:term-search")
    by_word = client.get(url, {"q": "neutro"}).content.decode()
    assert "Febrile neutropenia" in by_word and "Neutrophil count decreased" in by_word
    assert "Febrile neutropenia" in client.get(url, {"q": "10016288"}).content.decode()
    assert "Hepatic failure" in client.get(url, {"q": "Hepatobiliary"}).content.decode()
    assert 'data-testid="term-option"' not in client.get(url, {"q": "n"}).content.decode()


def test_grade_choices_of_hepatic_failure_are_3_to_5_with_the_terms_texts(client, nurse_a):
    hepatic = term("Hepatic failure")
    client.force_login(nurse_a)
    page = client.get(reverse("adverse_events:term-grades", args=[hepatic.pk])).content.decode()
    assert [g for g in range(1, 6) if f'name="grade" value="{g}"' in page] == [3, 4, 5]
    for grade in (3, 4, 5):
        assert escape(hepatic.grade_text(grade)) in page
    assert f'name="term" value="{hepatic.pk}"' in page


def test_picking_an_other_specify_term_says_the_verbatim_is_required(client, nurse_a):
    client.force_login(nurse_a)
    page = client.get(reverse("adverse_events:term-grades", args=[term(OTHER_GI).pk])).content.decode()
    assert 'data-testid="other-specify-note"' in page
    assert "Required for this term" in page
    plain = client.get(reverse("adverse_events:term-grades", args=[term("Nausea").pk])).content.decode()
    assert 'data-testid="other-specify-note"' not in plain


def test_without_javascript_search_and_pick_submit_the_form_and_save_nothing(client, nurse_a, treated):
    client.force_login(nurse_a)
    typed = form_data(verbatim="kept as typed", q="neutro", search_terms="1")
    del typed["term"], typed["grade"]
    searched = client.post(new_url(treated), typed)
    assert searched.status_code == 200
    page = searched.content.decode()
    assert 'name="pick_term" value="{}"'.format(term("Febrile neutropenia").pk) in page
    assert 'value="kept as typed"' in page and "invalid-feedback" not in page
    typed.pop("search_terms")
    picked = client.post(new_url(treated), {**typed, "pick_term": term("Febrile neutropenia").pk}).content.decode()
    assert [g for g in range(1, 6) if f'name="grade" value="{g}"' in picked] == [3, 4, 5]
    assert 'data-testid="chosen-term">Febrile neutropenia<' in picked
    assert not AdverseEvent.objects.exists()


# ---------------------------------------------------------------------------------------------
# The service's messages next to the fields
# ---------------------------------------------------------------------------------------------


def test_grade_the_term_lacks_gives_the_services_message_next_to_the_grade_and_saves_nothing(client, nurse_a, treated):
    client.force_login(nurse_a)
    response = client.post(new_url(treated), form_data("Hepatic failure", 1))
    assert response.status_code == 400
    expected = GRADE_NOT_DEFINED.format(term="Hepatic failure", grade=1, grades="3, 4, 5")
    assert response.context["form"].errors["grade"] == [expected]
    page = response.content.decode()
    assert f'id="id_grade_errors" role="alert" data-testid="grade-errors">{escape(expected)}' in page
    # The typed input is kept, and the term's own grades are offered again.
    assert f'name="term" value="{term("Hepatic failure").pk}"' in page
    assert [g for g in range(1, 6) if f'name="grade" value="{g}"' in page] == [3, 4, 5]
    assert not AdverseEvent.objects.exists()


def test_other_specify_without_verbatim_errors_next_to_verbatim_with_the_services_message(client, nurse_a, treated):
    client.force_login(nurse_a)
    response = client.post(new_url(treated), form_data(OTHER_GI, 2))
    assert response.status_code == 400
    assert response.context["form"].errors == {"verbatim": [VERBATIM_REQUIRED]}
    assert f'id="id_verbatim_errors" role="alert">{escape(VERBATIM_REQUIRED)}' in response.content.decode()
    assert not AdverseEvent.objects.exists()
    response = client.post(new_url(treated), form_data(OTHER_GI, 2, verbatim="Typhlitis"))
    assert response.status_code == 302
    assert AdverseEvent.objects.get().verbatim == "Typhlitis"


def test_missing_attribution_and_sae_details_give_the_services_messages(client, nurse_a, treated):
    client.force_login(nurse_a)
    data = form_data("Febrile neutropenia", 3, serious="on", **{f"attribution_{INO}": ""})
    response = client.post(new_url(treated), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["attributions"] == [ATTRIBUTION_MISSING.format(drugs="Inotuzumab ozogamicin")]
    assert errors["sae_criteria"] == [SAE_NEEDS_CRITERIA]
    assert errors["sae_aware_at"] == [SAE_NEEDS_AWARE]
    page = response.content.decode()
    assert f'id="id_attributions_errors" role="alert">{escape(errors["attributions"][0])}' in page
    assert 'value="possible" selected' in page  # the vincristine attribution typed is kept
    assert not AdverseEvent.objects.exists()


def test_grade_5_without_a_death_links_to_recording_the_death(client, nurse_a, treated):
    client.force_login(nurse_a)
    response = client.post(new_url(treated), form_data("Sepsis", 5))
    assert response.status_code == 400
    assert response.context["form"].errors["grade"] == [GRADE_5_NEEDS_DEATH]
    assert reverse("patients:death-new", args=[treated.pk]) in response.content.decode()


def test_reporting_an_ae_saves_it_with_attributions_and_lists_it(client, nurse_a, treated):
    client.force_login(nurse_a)
    form = client.get(new_url(treated)).content.decode()
    assert form.count('data-testid="attribution"') == 2  # vincristine and inotuzumab were given
    response = client.post(new_url(treated), form_data("Febrile neutropenia", 3, outcome="recovered"))
    assert response.status_code == 302
    assert response.url == reverse("adverse_events:patient-aes", args=[treated.pk])
    ae = AdverseEvent.objects.get()
    assert (ae.term.term, ae.grade, ae.course.course_number, ae.reported_by) == ("Febrile neutropenia", 3, 1, nurse_a)
    assert {a.drug.code: a.attribution for a in ae.attributions.all()} == ATTRIBUTIONS
    listing = client.get(response.url).content.decode()
    assert "Febrile neutropenia" in listing and "C1 d6" in listing
    assert 'data-testid="window-badge">in window<' in listing


# ---------------------------------------------------------------------------------------------
# Correcting, the AE's page, SAE report
# ---------------------------------------------------------------------------------------------


def test_changing_the_grade_needs_a_reason_and_keeps_the_old_grade_in_the_audit_trail(client, nurse_a, treated):
    ae = report(nurse_a, treated, grade=2)
    client.force_login(nurse_a)
    url = reverse("adverse_events:ae-edit", args=[ae.pk])
    form = client.get(url).content.decode()
    assert f'name="term" value="{ae.term_id}"' in form and 'id="id_grade_2" checked' in form
    response = client.post(url, form_data("Nausea", 3, reason=""))
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == [REASON_REQUIRED]
    ae.refresh_from_db()
    assert ae.grade == 2
    response = client.post(url, form_data("Nausea", 3, reason="Tube feeding started"))
    assert response.status_code == 302
    ae.refresh_from_db()
    assert ae.grade == 3
    last = record_history(ae)[-1]
    assert last.reason == "Tube feeding started"
    assert [(c.field, c.old, c.new) for c in last.changes] == [("grade", 2, 3)]


def test_completing_a_blank_value_of_an_sae_needs_no_reason(client, nurse_a, treated):
    aware = timezone.now().replace(second=42) - timedelta(hours=3)
    ae = report(
        nurse_a, treated, "Febrile neutropenia", 3, serious=True, sae_criteria=["hospitalisation"], sae_aware_at=aware
    )
    client.force_login(nurse_a)
    shown = timezone.localtime(aware).strftime("%Y-%m-%dT%H:%M")
    data = form_data(
        "Febrile neutropenia",
        3,
        serious="on",
        sae_criteria=["hospitalisation"],
        sae_aware_at=shown,
        outcome="recovering",
    )
    response = client.post(reverse("adverse_events:ae-edit", args=[ae.pk]), data)
    assert response.status_code == 302
    ae.refresh_from_db()
    assert (ae.outcome, ae.sae_aware_at) == ("recovering", aware)


def test_ae_page_shows_values_window_and_sae_clock_and_records_the_report(client, investigator_a, nurse_a, treated):
    aware = timezone.now() - timedelta(hours=30)
    ae = report(
        nurse_a, treated, "Febrile neutropenia", 3, serious=True, sae_criteria=["hospitalisation"], sae_aware_at=aware
    )
    client.force_login(investigator_a)
    url = reverse("adverse_events:ae-detail", args=[ae.pk])
    page = client.get(url).content.decode()
    assert "In the reporting window" in page and 'data-testid="window-reason"' in page
    assert "Expedited report overdue" in page
    due = timezone.localtime(aware + timedelta(hours=24))
    assert f'data-testid="sae-due">{due:%-d %b %Y %H:%M}<' in page
    assert "Vincristine: <strong>possible</strong>" in page
    assert "Required or prolonged hospitalisation" in page
    assert reverse("core:record-history", args=["adverse_events.adverseevent", ae.pk]) in page
    assert 'data-testid="signatures"' in page
    assert reverse("core:record-sign", args=["adverse_events.adverseevent", ae.pk]) in page

    report_url = reverse("adverse_events:sae-report", args=[ae.pk])
    early = timezone.localtime(aware - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(report_url, {"sae_reported_at": early})
    assert refused.status_code == 400
    assert "The report cannot be submitted before the site became aware of the SAE." in refused.content.decode()
    sent = timezone.localtime(aware + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(report_url, {"sae_reported_at": sent}).status_code == 302
    assert "Expedited report submitted" in client.get(url).content.decode()


# ---------------------------------------------------------------------------------------------
# Site scoping
# ---------------------------------------------------------------------------------------------


def test_other_sites_pages_are_404(client, nurse_b, nurse_a, treated):
    ae = report(nurse_a, treated)
    lab = lab_result_record(
        actor=nurse_a, patient=treated, lab_term="Blood bilirubin increased", collected_on=START + timedelta(days=8),
        value=Decimal(70), unit="umol/L", upper_limit_normal=Decimal(20),
    )  # fmt: skip
    client.force_login(nurse_b)
    gets = [
        reverse("adverse_events:ae-new", args=[treated.pk]),
        reverse("adverse_events:patient-aes", args=[treated.pk]),
        reverse("adverse_events:ae-detail", args=[ae.pk]),
        reverse("adverse_events:ae-edit", args=[ae.pk]),
        reverse("adverse_events:patient-labs", args=[treated.pk]),
        reverse("adverse_events:lab-new", args=[treated.pk]),
        reverse("adverse_events:lab-confirm", args=[lab.pk]),
        reverse("adverse_events:lab-dismiss", args=[lab.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("adverse_events:sae-report", args=[ae.pk]), {}).status_code == 404
    assert client.post(new_url(treated), form_data()).status_code == 404
    log = client.get(reverse("adverse_events:log")).content.decode()
    assert treated.subject_id not in log


# ---------------------------------------------------------------------------------------------
# The patient's AEs, the log, query counts
# ---------------------------------------------------------------------------------------------


def test_log_filters_by_grade_soc_term_seriousness_and_attribution(client, nurse_a, treated):
    report(nurse_a, treated, "Nausea", 2)
    report(nurse_a, treated, "Vomiting", 3, attributions={"vincristine": "unrelated", INO: "unrelated"})
    report(
        nurse_a, treated, "Febrile neutropenia", 3, serious=True, sae_criteria=["hospitalisation"],
        sae_aware_at=timezone.now() - timedelta(hours=2), attributions={"vincristine": "unlikely", INO: "probable"},
    )  # fmt: skip
    client.force_login(nurse_a)
    url = reverse("adverse_events:log")

    def terms(**params):
        response = client.get(url, params)
        return sorted(row.ae.term.term for row in response.context["rows"])

    assert terms() == ["Febrile neutropenia", "Nausea", "Vomiting"]
    assert terms(grade=3) == ["Febrile neutropenia", "Vomiting"]
    assert terms(soc="Gastrointestinal disorders") == ["Nausea", "Vomiting"]
    assert terms(term="vomit") == ["Vomiting"]
    assert terms(serious="yes") == ["Febrile neutropenia"]
    assert terms(serious="no") == ["Nausea", "Vomiting"]
    assert terms(attribution="probable") == ["Febrile neutropenia"]
    assert terms(attribution="unrelated", grade=3) == ["Vomiting"]
    page = client.get(url, {"serious": "yes"}).content.decode()
    assert "1 adverse event match the filters" in page and "SAE report due" in page


def test_log_and_patient_pages_queries_do_not_grow_with_aes(client, nurse_a, treated):
    report(nurse_a, treated)
    client.force_login(nurse_a)
    urls = [
        reverse("adverse_events:log"),
        reverse("adverse_events:log") + "?grade=3&serious=no&attribution=possible",
        reverse("adverse_events:patient-aes", args=[treated.pk]),
        reverse("patients:detail", args=[treated.pk]),
    ]
    few = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        few[url] = len(queries)
    for day in range(6, 12):
        report(nurse_a, treated, "Vomiting", 3, onset=START + timedelta(days=day), serious=True,
               sae_criteria=["hospitalisation"], sae_aware_at=timezone.now())  # fmt: skip
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        assert len(queries) == few[url], url
    assert client.get(urls[0]).content.decode().count('data-testid="ae-row"') == 7


def test_patient_page_panel_shows_aes_and_open_lab_proposals(client, nurse_a, treated):
    report(nurse_a, treated, "Febrile neutropenia", 3)
    lab = lab_result_record(
        actor=nurse_a, patient=treated, lab_term="Blood bilirubin increased", collected_on=START + timedelta(days=8),
        value=Decimal(70), unit="umol/L", upper_limit_normal=Decimal(20),
    )  # fmt: skip
    client.force_login(nurse_a)
    page = client.get(reverse("patients:detail", args=[treated.pk])).content.decode()
    assert 'data-testid="aes-panel"' in page and "Febrile neutropenia" in page
    assert reverse("adverse_events:lab-confirm", args=[lab.pk]) in page
    assert reverse("adverse_events:ae-new", args=[treated.pk]) in page


def test_nav_has_the_ae_log(client, nurse_a):
    client.force_login(nurse_a)
    page = client.get(reverse("trial:home")).content.decode()
    assert f'href="{reverse("adverse_events:log")}">AE log<' in page


# ---------------------------------------------------------------------------------------------
# Lab values
# ---------------------------------------------------------------------------------------------


def test_lab_value_shows_its_grade_and_a_grade_3_proposes_an_ae_not_created_until_confirmed(client, nurse_a, treated):
    client.force_login(nurse_a)
    form = client.get(reverse("adverse_events:lab-new", args=[treated.pk])).content.decode()
    assert "Platelet count (10^9/L)" in form and "Haemoglobin (g/L)" in form and "Potassium (mmol/L)" in form
    url = reverse("adverse_events:lab-new", args=[treated.pk])
    values = {
        "lab_test": "bilirubin", "unit_system": "SI", "collected_on": "2024-01-11",
        "value": "70", "unit": "umol/L", "upper_limit_normal": "20",
    }  # fmt: skip
    response = client.post(url, values, follow=True)
    result = LabResult.objects.get()
    assert (result.grade, result.proposal_status) == (3, "proposed")
    page = response.content.decode()
    assert (
        "Bilirubin (total) 70 umol/L: CTCAE grade 3 (Blood bilirubin increased). An adverse event is proposed" in page
    )
    assert 'data-testid="lab-grade"><span class="badge grade-badge grade-3">Grade 3</span>' in page
    assert not AdverseEvent.objects.exists()

    confirm = reverse("adverse_events:lab-confirm", args=[result.pk])
    prefilled = client.get(confirm).content.decode()
    assert 'data-testid="chosen-term">Blood bilirubin increased<' in prefilled
    assert 'value="3" id="id_grade_3" checked' in prefilled and 'value="2024-01-11"' in prefilled
    assert not AdverseEvent.objects.exists()
    response = client.post(confirm, form_data("Blood bilirubin increased", 3, onset=date(2024, 1, 11)))
    assert response.status_code == 302
    ae = AdverseEvent.objects.get()
    result.refresh_from_db()
    assert (ae.source_lab_result, ae.grade, result.proposal_status) == (result, 3, "confirmed")
    assert client.get(confirm).status_code == 302  # no open proposal any more


def test_mild_lab_value_proposes_nothing_and_a_unit_is_taken_from_the_test(client, nurse_a, treated):
    client.force_login(nurse_a)
    url = reverse("adverse_events:lab-new", args=[treated.pk])
    values = {"lab_test": "platelets", "unit_system": "SI", "collected_on": "2024-01-11",
              "value": "80", "lower_limit_normal": "150"}  # fmt: skip
    page = client.post(url, values, follow=True).content.decode()
    result = LabResult.objects.get()
    assert (result.grade, result.proposal_status, result.unit) == (1, "", "10^9/L")
    assert "Platelet count 80 10^9/L: CTCAE grade 1 (Platelet count decreased)." in page
    assert 'data-testid="lab-proposals"' not in page


def test_dismissing_a_proposal_needs_a_reason(client, nurse_a, treated):
    lab = lab_result_record(
        actor=nurse_a, patient=treated, lab_term="Neutrophil count decreased", collected_on=START + timedelta(days=8),
        value=Decimal("0.4"), unit="10^9/L", lower_limit_normal=Decimal(2),
    )  # fmt: skip
    client.force_login(nurse_a)
    url = reverse("adverse_events:lab-dismiss", args=[lab.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == [DISMISS_REASON]
    assert client.post(url, {"reason": "Expected nadir"}).status_code == 302
    lab.refresh_from_db()
    assert (lab.proposal_status, lab.proposal_note) == ("dismissed", "Expected nadir")
    assert not AdverseEvent.objects.exists()


def test_implausible_lab_values_are_refused_in_the_form_with_the_api_message(client, nurse_a, treated):
    from adverse_events.tests.test_api import LLN_OVER_ULN, NEGATIVE_NEUTROPHILS, PLATELETS_PER_UL

    client.force_login(nurse_a)
    url = reverse("adverse_events:lab-new", args=[treated.pk])
    values = {"lab_test": "platelets", "unit_system": "SI", "collected_on": "2024-01-11",
              "value": "250000", "lower_limit_normal": "150", "upper_limit_normal": "100"}  # fmt: skip
    response = client.post(url, values)
    page = response.content.decode()
    assert response.status_code == 400  # the form is shown again with its errors
    assert PLATELETS_PER_UL in page and LLN_OVER_ULN in page
    values = {"lab_test": "neutrophils", "unit_system": "SI", "collected_on": "2024-01-11",
              "value": "-1"}  # fmt: skip
    assert NEGATIVE_NEUTROPHILS in client.post(url, values).content.decode()
    assert not LabResult.objects.exists()
