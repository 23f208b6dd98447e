"""Reporting adverse events: valid grades, verbatim, attribution, grade 5 and death, SAE clock, window."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adverse_events.models import CTCAETerm
from adverse_events.selectors import patient_aes, site_ae_log
from adverse_events.services import (
    ATTRIBUTION_MISSING,
    GRADE_5_NEEDS_DEATH,
    VERBATIM_REQUIRED,
    adverse_event_report,
    adverse_event_update,
    sae_report_submit,
)
from core.audit.trail import record_history
from dosing.services import course_start, dose_record
from patients.services.outcomes import death_record

START = date(2024, 1, 3)
INO = "inotuzumab-ozogamicin"


def term(name):
    return CTCAETerm.objects.get(term=name)


@pytest.fixture
def treated(nurse_a, make_patient):
    """A patient whose course 1 started on START, with vincristine and inotuzumab given on day 1–2."""
    patient = make_patient()
    course = course_start(
        actor=nurse_a, patient=patient, start_date=START, height_cm=Decimal(170), weight_kg=Decimal(70)
    )
    for code in ("vincristine", INO):
        a = course.administrations.filter(drug__code=code).order_by("day").first()
        given_at = timezone.make_aware(datetime.combine(a.planned_date, datetime.min.time()).replace(hour=10))
        dose_record(actor=nurse_a, administration=a, status="given", given_at=given_at, dose_given=a.planned_dose)
    return patient


ATTRIBUTIONS = {"vincristine": "possible", INO: "unlikely"}


def report(nurse, patient, name="Nausea", grade=2, onset=START + timedelta(days=5), **kw):
    kw.setdefault("attributions", ATTRIBUTIONS)
    return adverse_event_report(actor=nurse, patient=patient, term=term(name), grade=grade, onset_date=onset, **kw)


def test_report_links_course_and_attributions_and_is_audited(nurse_a, treated):
    ae = report(nurse_a, treated)
    assert ae.course.course_number == 1
    assert {a.drug.code: a.attribution for a in ae.attributions.all()} == ATTRIBUTIONS
    (row,) = patient_aes(nurse_a, treated)
    assert (row.course_day, row.window.in_window, row.related) == (6, True, True)
    assert record_history(ae)[0].reason == "Adverse event reported"


def test_grade_the_term_lacks_is_rejected(nurse_a, treated):
    with pytest.raises(ValidationError) as excinfo:
        report(nurse_a, treated, name="Hepatic failure", grade=1)
    assert "Hepatic failure has no grade 1" in excinfo.value.message_dict["grade"][0]


def test_other_specify_needs_verbatim(nurse_a, treated):
    other = "Gastrointestinal disorders - Other, specify"
    with pytest.raises(ValidationError) as excinfo:
        report(nurse_a, treated, name=other, grade=2)
    assert excinfo.value.message_dict == {"verbatim": [VERBATIM_REQUIRED]}
    assert report(nurse_a, treated, name=other, grade=2, verbatim="Typhlitis").verbatim == "Typhlitis"


def test_attribution_to_every_received_study_drug(nurse_a, treated):
    with pytest.raises(ValidationError) as excinfo:
        report(nurse_a, treated, attributions={"vincristine": "possible"})
    assert excinfo.value.message_dict["attributions"] == [ATTRIBUTION_MISSING.format(drugs="Inotuzumab ozogamicin")]
    with pytest.raises(ValidationError):
        report(nurse_a, treated, attributions={**ATTRIBUTIONS, "blinatumomab": "possible"})


def test_grade_5_needs_a_death_and_links_it(nurse_a, treated):
    with pytest.raises(ValidationError) as excinfo:
        report(nurse_a, treated, name="Sepsis", grade=5)
    assert excinfo.value.message_dict["grade"] == [GRADE_5_NEEDS_DEATH]
    death = death_record(actor=nurse_a, patient=treated, death_date=START + timedelta(days=7), cause="infection")
    ae = report(nurse_a, treated, name="Sepsis", grade=5, onset=START + timedelta(days=6))
    assert (ae.death, ae.outcome) == (death, "fatal")


def test_change_of_grade_keeps_the_earlier_grade_with_its_reason(nurse_a, treated):
    ae = report(nurse_a, treated, grade=2)
    with pytest.raises(ValidationError):
        adverse_event_update(actor=nurse_a, ae=ae, grade=3)
    adverse_event_update(actor=nurse_a, ae=ae, grade=3, reason="Needed IV fluids: grade 3")
    last = record_history(ae)[-1]
    assert last.reason == "Needed IV fluids: grade 3"
    assert [(c.field, c.old, c.new) for c in last.changes] == [("grade", 2, 3)]


def test_sae_needs_criteria_and_awareness_and_runs_a_clock(nurse_a, treated):
    with pytest.raises(ValidationError) as excinfo:
        report(nurse_a, treated, name="Febrile neutropenia", grade=3, serious=True)
    assert set(excinfo.value.message_dict) == {"sae_criteria", "sae_aware_at"}
    aware = timezone.now() - timedelta(hours=30)
    ae = report(
        nurse_a, treated, name="Febrile neutropenia", grade=3, serious=True, sae_criteria=["hospitalisation"],
        sae_aware_at=aware,
    )  # fmt: skip
    (row,) = patient_aes(nurse_a, treated)
    assert row.sae.status == "overdue" and row.sae.due_at == aware + timedelta(hours=24)
    sae_report_submit(actor=nurse_a, ae=ae, reported_at=aware + timedelta(hours=20))
    assert patient_aes(nurse_a, treated)[0].sae.status == "submitted"


def test_out_of_window_is_accepted_but_marked(nurse_a, treated):
    late = START + timedelta(days=1) + timedelta(days=120)
    report(nurse_a, treated, onset=late, attributions={"vincristine": "unrelated", INO: "unrelated"})
    (row,) = patient_aes(nurse_a, treated)
    assert row.window.status == "out_of_window"


def test_log_filters_and_query_count_constant_in_aes(nurse_a, treated):
    report(nurse_a, treated, name="Nausea", grade=2)
    with CaptureQueriesContext(connection) as few:
        assert len(site_ae_log(nurse_a)) == 1
    for day in range(6, 12):
        report(nurse_a, treated, name="Vomiting", grade=3, onset=START + timedelta(days=day))
    with CaptureQueriesContext(connection) as many:
        assert len(site_ae_log(nurse_a)) == 7
    assert len(many) == len(few)
    assert len(site_ae_log(nurse_a, grade=3)) == 6
    assert len(site_ae_log(nurse_a, soc="Gastrointestinal disorders", attribution="possible")) == 7
    assert site_ae_log(nurse_a, serious=True) == []


def test_other_sites_patient_is_refused(nurse_b, treated):
    with pytest.raises(ValidationError):
        report(nurse_b, treated)


def lab(nurse, patient, term, value, **kw):
    from adverse_events.services import lab_result_record

    return lab_result_record(
        actor=nurse, patient=patient, lab_term=term, collected_on=START + timedelta(days=8), value=Decimal(value), **kw
    )


def test_lab_value_is_graded_and_grade_3_proposes_an_ae_without_creating_it(nurse_a, treated):
    from adverse_events.models import AdverseEvent
    from adverse_events.services import lab_proposal_confirm, lab_proposal_dismiss

    mild = lab(nurse_a, treated, "Platelet count decreased", "80", unit="10^9/L", lower_limit_normal=Decimal(150))
    assert (mild.grade, mild.proposal_status) == (1, "")
    severe = lab(
        nurse_a, treated, "Blood bilirubin increased", "70", unit="umol/L", upper_limit_normal=Decimal(20)
    )  # 3.5 × ULN
    assert (severe.grade, severe.proposal_status) == (3, "proposed")
    assert not AdverseEvent.objects.filter(patient=treated).exists()
    ae = lab_proposal_confirm(actor=nurse_a, lab_result=severe, attributions=ATTRIBUTIONS)
    severe.refresh_from_db()
    assert (ae.term.term, ae.grade, ae.source_lab_result, severe.proposal_status) == (
        "Blood bilirubin increased", 3, severe, "confirmed",
    )  # fmt: skip
    other = lab(nurse_a, treated, "Neutrophil count decreased", "0.4", unit="10^9/L", lower_limit_normal=Decimal(2))
    assert other.grade == 4
    with pytest.raises(ValidationError):
        lab_proposal_dismiss(actor=nurse_a, lab_result=other, reason="")
    lab_proposal_dismiss(actor=nurse_a, lab_result=other, reason="Expected nadir, recorded as febrile neutropenia")
    other.refresh_from_db()
    assert other.proposal_status == "dismissed"


def test_unknown_lab_test_is_refused_by_field(nurse_a, treated):
    with pytest.raises(ValidationError) as excinfo:
        lab(nurse_a, treated, "Unobtainium increased", "1")
    assert "lab_term" in excinfo.value.message_dict
