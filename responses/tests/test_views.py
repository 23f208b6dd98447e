"""The marrow-evaluation pages: the live derived response, the form, the history with endpoints and timeline,
the due list, the outcome forms of the patients app, site scoping and query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from core.audit.trail import record_history
from core.audit.writes import REASON_REQUIRED
from dosing.services import course_start
from patients.models import Death, FollowUp, OffStudy, Transplant
from patients.services.outcomes import BEFORE_REGISTRATION, IN_FUTURE, death_record, transplant_record
from responses.models import MarrowAssessment
from responses.services import ONE_PER_DAY, assessment_record

START = date(2024, 1, 3)
NOT_IN_PAPER_LABEL = "CRi (neutrophils &lt; 1 with platelets recovered &gt; 100: not covered by the paper, read as CRi)"


def treat(nurse, patient, when=START):
    return course_start(actor=nurse, patient=patient, start_date=when, height_cm=Decimal(170), weight_kg=Decimal(70))


def marrow(nurse, patient, day, blasts, anc="2.0", plt="150", **kw):
    return assessment_record(
        actor=nurse, patient=patient, assessed_on=START + timedelta(days=day), marrow_blast_percent=Decimal(blasts),
        neutrophils_1e9_per_l=Decimal(anc), platelets_1e9_per_l=Decimal(plt), **kw,
    )  # fmt: skip


def values(**changes):
    data = {
        "assessed_on": (START + timedelta(days=27)).isoformat(),
        "after_course": "",
        "marrow_blast_percent": "3",
        "neutrophils_1e9_per_l": "1.5",
        "platelets_1e9_per_l": "150",
        "mrd_flow": "not_done",
        "mrd_flow_level": "",
        "mrd_ngs": "not_done",
        "mrd_ngs_level": "",
        "cytogenetics": "not_done",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def preview(client, patient, query="", **changes):
    url = reverse("responses:assessment-preview", args=[patient.pk]) + query
    return client.post(url, values(**changes), headers={"HX-Request": "true"})


def derived(category):
    return f'data-testid="derived-response">{category}</span>'


# ---------------------------------------------------------------------------------------------
# The live derived response
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blasts", "anc", "plt", "category"),
    [
        ("5", "1.5", "150", "CR"),
        ("5.1", "1.5", "150", "No response"),
        ("5", "1.01", "100.1", "CR"),
        ("3", "1.5", "100", "CRp"),
        ("3", "1.0", "100", "CRi"),
        ("3", "1.0", "150", "CRi"),
        ("5.1", "1.0", "100", "No response"),
    ],
)
def test_preview_derives_the_category_at_the_thresholds(client, nurse_a, make_patient, blasts, anc, plt, category):
    patient = make_patient()
    client.force_login(nurse_a)
    response = preview(client, patient, marrow_blast_percent=blasts, neutrophils_1e9_per_l=anc, platelets_1e9_per_l=plt)
    assert response.status_code == 200
    assert derived(category) in response.content.decode()
    assert not MarrowAssessment.objects.exists()


def test_preview_shows_the_not_in_paper_reading_as_such(client, nurse_a, make_patient):
    patient = make_patient()
    client.force_login(nurse_a)
    page = preview(client, patient, neutrophils_1e9_per_l="0.8", platelets_1e9_per_l="150").content.decode()
    assert derived("CRi") in page
    assert NOT_IN_PAPER_LABEL in page
    assert 'data-testid="not-in-paper"' in page
    page = preview(client, patient, neutrophils_1e9_per_l="0.8", platelets_1e9_per_l="90").content.decode()
    assert derived("CRi") in page and 'data-testid="not-in-paper"' not in page


def test_preview_asks_for_values_until_the_counts_are_typed(client, nurse_a, make_patient):
    patient = make_patient()
    client.force_login(nurse_a)
    page = preview(client, patient, platelets_1e9_per_l="").content.decode()
    assert "marrow blasts, neutrophils and platelets to see the derived response" in page


def test_preview_says_whether_it_would_be_the_relapse(client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    client.force_login(nurse_a)
    # Blasts above 5% with no response before: not a relapse.
    page = preview(client, patient, marrow_blast_percent="12").content.decode()
    assert derived("No response") in page
    assert "Not a relapse" in page and 'data-testid="relapse-mark"' not in page

    marrow(nurse_a, patient, 27, "2")
    later = (START + timedelta(days=120)).isoformat()
    page = preview(client, patient, assessed_on=later, marrow_blast_percent="12").content.decode()
    assert 'data-testid="relapse-mark"' in page
    assert "marrow blasts above 5% not due to recovery, after a response (CR) on 30 Jan 2024" in page
    # Raised blasts of a regenerating marrow are not a relapse; extramedullary disease is.
    page = preview(client, patient, assessed_on=later, marrow_blast_percent="12", blasts_due_to_recovery="on")
    assert 'data-testid="relapse-mark"' not in page.content.decode()
    page = preview(client, patient, assessed_on=later, marrow_blast_percent="1", extramedullary_disease="on")
    assert 'data-testid="relapse-mark"' in page.content.decode()
    # Dated before the response, the same values are not a relapse.
    page = preview(client, patient, assessed_on=(START + timedelta(days=10)).isoformat(), marrow_blast_percent="12")
    assert 'data-testid="relapse-mark"' not in page.content.decode()


def test_preview_of_a_correction_leaves_the_corrected_evaluation_out(client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    first = marrow(nurse_a, patient, 27, "2")
    client.force_login(nurse_a)
    # Correcting the only response to 12% blasts cannot make it a relapse of itself.
    page = preview(client, patient, f"?editing={first.pk}", marrow_blast_percent="12").content.decode()
    assert derived("No response") in page and 'data-testid="relapse-mark"' not in page


# ---------------------------------------------------------------------------------------------
# Recording and correcting an evaluation
# ---------------------------------------------------------------------------------------------


def test_new_form_presets_the_latest_course_and_shows_the_live_preview(client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    course_2 = treat(nurse_a, patient, START + timedelta(days=35))
    client.force_login(nurse_a)
    page = client.get(reverse("responses:assessment-new", args=[patient.pk])).content.decode()
    assert f'<option value="{course_2.pk}" selected>Course 2' in page
    assert f'hx-post="{reverse("responses:assessment-preview", args=[patient.pk])}"' in page
    assert 'hx-trigger="input changed delay:300ms from:#assessment-form' in page
    assert "Type the marrow blasts, neutrophils and platelets" in page


def test_saving_an_evaluation_shows_its_derived_response_and_audit_trail(client, nurse_a, make_patient):
    patient = make_patient()
    course = treat(nurse_a, patient)
    client.force_login(nurse_a)
    response = client.post(
        reverse("responses:assessment-new", args=[patient.pk]),
        values(after_course=str(course.pk), neutrophils_1e9_per_l="0.8", mrd_flow="not_detected"),
    )
    assessment = MarrowAssessment.objects.get()
    assert response.status_code == 302 and response.url == reverse("responses:assessment-detail", args=[assessment.pk])
    page = client.get(response.url).content.decode()
    assert derived("CRi") in page and NOT_IN_PAPER_LABEL in page
    assert reverse("core:record-history", args=["responses.marrowassessment", assessment.pk]) in page
    assert "Not detected (negative)" in page and "Course 1" in page
    assert assessment.after_course == course and assessment.recorded_by == nurse_a


def test_without_javascript_the_show_response_button_re_renders_without_saving(client, nurse_a, make_patient):
    patient = make_patient()
    client.force_login(nurse_a)
    response = client.post(
        reverse("responses:assessment-new", args=[patient.pk]), values(show_response="1", platelets_1e9_per_l="80")
    )
    assert response.status_code == 200
    assert derived("CRp") in response.content.decode()
    assert not MarrowAssessment.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"marrow_blast_percent": "abc"}, "marrow_blast_percent", "Enter a number."),
        ({"marrow_blast_percent": "101"}, "marrow_blast_percent", "This value must be at most 100%."),
        ({"neutrophils_1e9_per_l": ""}, "neutrophils_1e9_per_l", "This field is required."),
        ({"assessed_on": "2999-01-01"}, "assessed_on", IN_FUTURE),
        ({"mrd_flow_level": "0.001"}, "mrd_flow_level", "A level is recorded only when MRD is detected."),
    ],
)
def test_form_keeps_input_and_names_the_field_on_bad_input(client, nurse_a, make_patient, changes, field, message):
    patient = make_patient()
    client.force_login(nurse_a)
    typed = values(platelets_1e9_per_l="123.4", **changes)
    response = client.post(reverse("responses:assessment-new", args=[patient.pk]), typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_errors" role="alert">{message}' in page
    assert 'value="123.4"' in page
    for value in changes.values():
        if value:
            assert f'value="{value}"' in page
    assert not MarrowAssessment.objects.exists()


def test_a_second_evaluation_on_the_same_day_is_refused_by_the_date(client, nurse_a, make_patient):
    patient = make_patient()
    marrow(nurse_a, patient, 27, "2")
    client.force_login(nurse_a)
    response = client.post(reverse("responses:assessment-new", args=[patient.pk]), values())
    assert response.status_code == 400
    assert f'id="id_assessed_on_errors" role="alert">{ONE_PER_DAY}' in response.content.decode()
    assert MarrowAssessment.objects.count() == 1


def test_correcting_a_value_needs_a_reason_and_the_response_follows(client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    assessment = marrow(nurse_a, patient, 27, "5.1")
    client.force_login(nurse_a)
    url = reverse("responses:assessment-edit", args=[assessment.pk])
    page = client.get(url).content.decode()
    assert 'value="5.10"' in page and derived("No response") in page
    assert f"?editing={assessment.pk}" in page

    response = client.post(url, values(marrow_blast_percent="5", neutrophils_1e9_per_l="2", reason=""))
    assert response.status_code == 400
    assert f'id="id_reason_errors" role="alert">{REASON_REQUIRED}' in response.content.decode()
    assert derived("CR") in response.content.decode()  # the preview shows the typed values
    assessment.refresh_from_db()
    assert assessment.marrow_blast_percent == Decimal("5.1")

    response = client.post(url, values(marrow_blast_percent="5", neutrophils_1e9_per_l="2", reason="Recount"))
    assert response.status_code == 302
    assert derived("CR") in client.get(response.url).content.decode()
    assert record_history(assessment)[-1].reason == "Recount"


def test_a_monitor_reads_evaluations_but_cannot_record(client, nurse_a, monitor_a, make_patient):
    patient = make_patient()
    assessment = marrow(nurse_a, patient, 27, "2")
    client.force_login(monitor_a)
    assert client.get(reverse("responses:assessment-detail", args=[assessment.pk])).status_code == 200
    assert client.get(reverse("responses:assessment-new", args=[patient.pk])).status_code == 403
    assert client.get(reverse("responses:assessment-edit", args=[assessment.pk])).status_code == 403
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'data-testid="responses-panel"' in page
    assert reverse("responses:assessment-new", args=[patient.pk]) not in page


# ---------------------------------------------------------------------------------------------
# History, endpoints and timeline
# ---------------------------------------------------------------------------------------------


def test_history_shows_derived_responses_relapse_endpoints_and_timeline(client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    marrow(nurse_a, patient, 27, "3", plt="80", mrd_flow="detected", mrd_flow_level=Decimal("0.0012"))
    marrow(nurse_a, patient, 90, "1", mrd_flow="not_detected")
    marrow(nurse_a, patient, 200, "12")
    transplant_record(
        actor=nurse_a, patient=patient, status="done", transplant_date=START + timedelta(days=150),
        donor_type="matched_unrelated", conditioning_agents=["busulfan", "fludarabine"],
    )  # fmt: skip
    death_record(actor=nurse_a, patient=patient, death_date=START + timedelta(days=300), cause="disease")
    client.force_login(nurse_a)

    page = client.get(reverse("responses:patient-responses", args=[patient.pk])).content.decode()

    assert page.count('data-testid="evaluation-row"') == 3
    table = page[page.index('data-testid="evaluations"') : page.index('data-testid="endpoints"')]
    assert [c for c in ("CRp", "CR<", "No response") if c in table] == ["CRp", "CR<", "No response"]
    assert table.count('data-testid="relapse-mark"') == 1
    assert "positive (0.0012)" in table and "negative" in table
    assert 'data-testid="best-response">CR<' in page
    assert "27 days (first response 30 Jan 2024)" in page
    assert 'data-testid="os">300 days, died<' in page
    assert 'data-testid="rfs">173 days, relapsed 21 Jul 2024<' in page
    timeline = page[page.index('data-testid="timeline"') :]
    kinds = ["course", "evaluation", "evaluation", "transplant", "evaluation", "relapse", "death"]
    found = timeline.split('data-testid="timeline-')[1:]
    assert [f.split('"')[0] for f in found] == kinds
    assert "Allogeneic SCT (done)" in timeline and "Matched unrelated" in timeline
    assert "day 1<" in timeline and "day 301<" in timeline


def test_patient_page_has_the_response_panel_with_outcome_buttons(client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    marrow(nurse_a, patient, 27, "2")
    client.force_login(nurse_a)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    panel = page[page.index('data-testid="responses-panel"') :]
    for name in ("transplant-new", "follow-up-new", "off-study-new", "death-new"):
        assert reverse(f"patients:{name}", args=[patient.pk]) in panel
    assert reverse("responses:assessment-new", args=[patient.pk]) in panel
    assert "Best response: <strong>CR</strong> after 27 days" in panel
    assert 'data-testid="timeline-evaluation"' in panel

    death = death_record(actor=nurse_a, patient=patient, death_date=START + timedelta(days=20), cause="infection")
    panel = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert reverse("patients:death-edit", args=[death.pk]) in panel
    assert reverse("patients:death-new", args=[patient.pk]) not in panel
    assert "Infection — early death" in panel


# ---------------------------------------------------------------------------------------------
# Due list
# ---------------------------------------------------------------------------------------------


def test_due_list_shows_own_site_patients_with_badges(client, nurse_a, nurse_b, site_b, make_patient):
    today = timezone.localdate()
    overdue = make_patient()
    treat(nurse_a, overdue, today - timedelta(days=60))
    due_today = make_patient()
    treat(nurse_a, due_today, today - timedelta(days=28))
    not_yet = make_patient()
    treat(nurse_a, not_yet, today - timedelta(days=3))
    other_site = make_patient(nurse=nurse_b, site=site_b)
    treat(nurse_b, other_site, today - timedelta(days=60))
    client.force_login(nurse_a)

    page = client.get(reverse("responses:due")).content.decode()

    assert page.count('data-testid="due-row"') == 2
    assert overdue.subject_id in page and due_today.subject_id in page
    assert not_yet.subject_id not in page and other_site.subject_id not in page
    assert page.count('badge text-bg-danger">overdue') == 1 and page.count('badge text-bg-warning">due') == 1
    assert reverse("responses:assessment-new", args=[overdue.pk]) in page
    assert f'href="{reverse("responses:due")}">Marrow due</a>' in page


# ---------------------------------------------------------------------------------------------
# Site scoping
# ---------------------------------------------------------------------------------------------


def test_other_sites_pages_are_404(client, nurse_a, nurse_b, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    assessment = marrow(nurse_a, patient, 27, "2")
    transplant = transplant_record(
        actor=nurse_a, patient=patient, status="planned", transplant_date=START + timedelta(days=100)
    )
    death = death_record(actor=nurse_a, patient=patient, death_date=START + timedelta(days=200), cause="disease")
    client.force_login(nurse_b)
    for name, arg in [
        ("responses:assessment-detail", assessment.pk),
        ("responses:assessment-edit", assessment.pk),
        ("responses:assessment-new", patient.pk),
        ("responses:patient-responses", patient.pk),
        ("patients:transplant-new", patient.pk),
        ("patients:transplant-edit", transplant.pk),
        ("patients:off-study-new", patient.pk),
        ("patients:follow-up-new", patient.pk),
        ("patients:death-new", patient.pk),
        ("patients:death-edit", death.pk),
    ]:
        assert client.get(reverse(name, args=[arg])).status_code == 404, name
    assert preview(client, patient).status_code == 404
    assert patient.subject_id not in client.get(reverse("responses:due")).content.decode()


# ---------------------------------------------------------------------------------------------
# Outcome forms (patients app)
# ---------------------------------------------------------------------------------------------


def test_transplant_with_conditioning_agents_then_corrected_with_a_reason(client, nurse_a, make_patient):
    patient = make_patient()
    client.force_login(nurse_a)
    url = reverse("patients:transplant-new", args=[patient.pk])
    page = client.get(url).content.decode()
    assert 'type="checkbox" name="conditioning_agents" value="busulfan"' in page
    data = {
        "status": "done",
        "transplant_date": "2024-05-02",
        "donor_type": "haploidentical",
        "conditioning_regimen": "Flu/Bu",
        "conditioning_agents": ["fludarabine", "busulfan"],
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response.url == reverse("patients:detail", args=[patient.pk])
    transplant = Transplant.objects.get()
    assert transplant.conditioning_agents == ["busulfan", "fludarabine"]

    edit = reverse("patients:transplant-edit", args=[transplant.pk])
    page = client.get(edit).content.decode()
    assert 'value="busulfan" id="id_conditioning_agents_0" checked' in page
    response = client.post(edit, {**data, "conditioning_agents": ["busulfan", "fludarabine", "thiotepa"]})
    assert response.status_code == 400
    assert f'id="id_reason_errors" role="alert">{REASON_REQUIRED}' in response.content.decode()
    assert 'value="thiotepa" id="id_conditioning_agents_4" checked' in response.content.decode()
    response = client.post(edit, {**data, "conditioning_agents": ["busulfan", "thiotepa"], "reason": "Per SCT unit"})
    assert response.status_code == 302
    transplant.refresh_from_db()
    assert transplant.conditioning_agents == ["busulfan", "thiotepa"]


@pytest.mark.parametrize(
    ("name", "data", "field", "message"),
    [
        ("transplant-new", {"status": "done", "transplant_date": "2023-12-01"}, "transplant_date", "before"),
        ("transplant-new", {"status": "done", "transplant_date": "2999-01-01"}, "transplant_date", "future"),
        ("transplant-new", {"status": "done", "transplant_date": "2024-02-30"}, "transplant_date", "valid"),
        ("off-study-new", {"off_study_date": "2023-12-01", "reason": "toxicity"}, "off_study_date", "before"),
        ("follow-up-new", {"contact_date": "2999-01-01", "vital_status": "alive"}, "contact_date", "future"),
        ("death-new", {"death_date": "2023-12-31", "cause": "infection"}, "death_date", "before"),
        ("death-new", {"death_date": "", "cause": "infection"}, "death_date", "required"),
    ],
)
def test_outcome_forms_refuse_bad_dates_next_to_the_field(client, nurse_a, make_patient, name, data, field, message):
    patient = make_patient()
    client.force_login(nurse_a)
    response = client.post(reverse(f"patients:{name}", args=[patient.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    expected = {
        "before": BEFORE_REGISTRATION.format(date=patient.registration_date),
        "future": IN_FUTURE,
        "valid": "Enter a valid date.",
        "required": "This field is required.",
    }[message]
    assert f'id="id_{field}_errors" role="alert">{escape(expected)}' in page
    if data[field]:
        assert f'value="{data[field]}"' in page
    for model in (Transplant, OffStudy, FollowUp, Death):
        assert not model.objects.exists()


def test_off_study_follow_up_and_death_are_recorded_and_death_corrected_with_reason(client, nurse_a, make_patient):
    patient = make_patient()
    client.force_login(nurse_a)
    detail = reverse("patients:detail", args=[patient.pk])
    response = client.post(
        reverse("patients:off-study-new", args=[patient.pk]), {"off_study_date": "2024-03-01", "reason": "toxicity"}
    )
    assert response.status_code == 302 and response.url == detail
    patient.refresh_from_db()
    assert patient.status == "off_study"
    assert reverse("patients:off-study-new", args=[patient.pk]) not in client.get(detail).content.decode()

    response = client.post(
        reverse("patients:follow-up-new", args=[patient.pk]),
        {"contact_date": "2024-04-01", "vital_status": "alive", "disease_status": "in_remission"},
    )
    assert response.status_code == 302 and FollowUp.objects.get().disease_status == "in_remission"

    response = client.post(
        reverse("patients:death-new", args=[patient.pk]), {"death_date": "2024-03-15", "cause": "infection"}
    )
    assert response.status_code == 400  # a follow-up records the patient alive after that date
    assert 'id="id_death_date_errors" role="alert">A follow-up on 2024-04-01' in response.content.decode()
    response = client.post(
        reverse("patients:death-new", args=[patient.pk]), {"death_date": "2024-05-15", "cause": "infection"}
    )
    assert response.status_code == 302
    death = Death.objects.get()

    edit = reverse("patients:death-edit", args=[death.pk])
    assert reverse("core:record-history", args=["patients.death", death.pk]) in client.get(edit).content.decode()
    response = client.post(edit, {"death_date": "2024-05-16", "cause": "infection", "reason": ""})
    assert response.status_code == 400 and "id_reason_errors" in response.content.decode()
    response = client.post(edit, {"death_date": "2024-05-16", "cause": "infection", "reason": "Certificate"})
    assert response.status_code == 302
    death.refresh_from_db()
    assert death.death_date == date(2024, 5, 16)
    assert record_history(death)[-1].reason == "Certificate"
    trail = client.get(reverse("core:record-history", args=["patients.death", death.pk])).content.decode()
    assert "Certificate" in trail


# ---------------------------------------------------------------------------------------------
# Query counts
# ---------------------------------------------------------------------------------------------


def test_history_and_patient_page_queries_do_not_grow_with_evaluations(client, nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    marrow(nurse_a, patient, 27, "2")
    client.force_login(nurse_a)
    urls = [
        reverse("responses:patient-responses", args=[patient.pk]),
        reverse("patients:detail", args=[patient.pk]),
    ]
    few = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        few[url] = len(queries)
    for day in (60, 90, 120, 150):
        marrow(nurse_a, patient, day, "1", mrd_flow="not_detected")
    treat(nurse_a, patient, START + timedelta(days=35))
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        assert len(queries) == few[url], url
        assert page.count('data-testid="timeline-evaluation"') == 5


def test_due_list_queries_do_not_grow_with_patients(client, nurse_a, make_patient):
    today = timezone.localdate()
    treat(nurse_a, make_patient(), today - timedelta(days=40))
    client.force_login(nurse_a)
    url = reverse("responses:due")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(4):
        treat(nurse_a, make_patient(), today - timedelta(days=40))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    assert page.count('data-testid="due-row"') == 5


def test_mrd_and_cytogenetics_start_unselected_and_must_be_chosen(client, nurse_a, make_patient):
    patient = make_patient()
    client.force_login(nurse_a)
    url = reverse("responses:assessment-new", args=[patient.pk])
    page = client.get(url).content.decode()
    assert page.count('<option value="" selected>— choose —</option>') == 3
    assert '<option value="not_done" selected' not in page
    response = client.post(url, values(mrd_flow="", mrd_ngs="", cytogenetics=""))
    assert response.status_code == 400
    page = response.content.decode()
    for field in ("mrd_flow", "mrd_ngs", "cytogenetics"):
        assert f'id="id_{field}_errors" role="alert">This field is required.' in page
    assert not MarrowAssessment.objects.exists()
