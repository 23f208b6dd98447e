"""Derived responses and endpoints from recorded data, through the services and the shared selector."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.audit.trail import record_history
from dosing.services import course_start
from patients.models import Patient
from patients.services.outcomes import death_record, follow_up_record
from responses.selectors import due_for_assessment, patient_endpoints, patient_outcome
from responses.services import LEVEL_WITHOUT_DETECTION, assessment_record, assessment_update

START = date(2024, 1, 3)


def treat(nurse, patient):
    return course_start(actor=nurse, patient=patient, start_date=START, height_cm=Decimal(170), weight_kg=Decimal(70))


def marrow(nurse, patient, day, blasts, anc="2.0", plt="150", **kw):
    return assessment_record(
        actor=nurse, patient=patient, assessed_on=START + timedelta(days=day), marrow_blast_percent=Decimal(blasts),
        neutrophils_1e9_per_l=Decimal(anc), platelets_1e9_per_l=Decimal(plt), **kw,
    )  # fmt: skip


def test_response_relapse_and_endpoints_from_recorded_data(nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    marrow(nurse_a, patient, 27, "3", plt="80", mrd_flow="detected")
    marrow(nurse_a, patient, 90, "1", mrd_flow="not_detected")
    marrow(nurse_a, patient, 200, "12")
    death_record(actor=nurse_a, patient=patient, death_date=START + timedelta(days=300), cause="disease")
    outcome = patient_outcome(patient)
    assert [o.category for o in outcome.history] == ["crp", "cr", "no_response"]
    assert [o.relapse for o in outcome.history] == [False, False, True]
    e = outcome.endpoints
    assert (e.best_response, e.time_to_response_days, e.os_days, e.os_event, e.rfs_days, e.rfs_event) == (
        "cr", 27, 300, True, 173, True,
    )  # fmt: skip
    assert (e.mrd_negative_at_response, e.mrd_negative_any_time) == (False, True)


def test_censored_at_last_follow_up(nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    marrow(nurse_a, patient, 27, "2")
    follow_up_record(actor=nurse_a, patient=patient, contact_date=START + timedelta(days=400), vital_status="alive")
    e = patient_outcome(patient).endpoints
    assert (e.os_days, e.os_event, e.rfs_days, e.rfs_event) == (400, False, 373, False)


def test_corrected_value_changes_the_derived_response_and_is_audited(nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    assessment = marrow(nurse_a, patient, 27, "5.1")
    assert patient_outcome(patient).endpoints.best_response == "no_response"
    with pytest.raises(ValidationError):
        assessment_update(actor=nurse_a, assessment=assessment, marrow_blast_percent=Decimal("5"))
    assessment_update(actor=nurse_a, assessment=assessment, marrow_blast_percent=Decimal("5"), reason="Recount")
    assert patient_outcome(patient).endpoints.best_response == "cr"
    assert record_history(assessment)[-1].reason == "Recount"


def test_bad_values_are_refused_by_field(nurse_a, make_patient):
    patient = make_patient()
    with pytest.raises(ValidationError) as excinfo:
        marrow(nurse_a, patient, 27, "101", mrd_flow="not_detected", mrd_flow_level=Decimal("0.001"))
    errors = excinfo.value.message_dict
    assert "marrow_blast_percent" in errors and errors["mrd_flow_level"] == [LEVEL_WITHOUT_DETECTION]


def test_endpoint_queries_do_not_grow_with_patients(nurse_a, make_patient):
    def cohort(n):
        for _ in range(n):
            patient = make_patient()
            treat(nurse_a, patient)
            marrow(nurse_a, patient, 27, "2")

    cohort(2)
    with CaptureQueriesContext(connection) as few:
        assert len(patient_endpoints(Patient.objects.all())) == 2
    cohort(4)
    with CaptureQueriesContext(connection) as many:
        assert len(patient_endpoints(Patient.objects.all())) == 6
    assert len(many) == len(few)


def test_due_after_course_1(nurse_a, make_patient):
    """Due from day 28 after course 1 started; overdue only from day 43 (28 + the 14 days' grace), the day DEV-11
    flags it (before, the list called it overdue from day 29)."""
    patient = make_patient()
    treat(nurse_a, patient)

    def listed(day):
        return [(d.patient, d.overdue) for d in due_for_assessment(nurse_a, on=START + timedelta(days=day))]

    assert listed(27) == []
    assert listed(28) == listed(29) == listed(42) == [(patient, False)]
    assert listed(43) == [(patient, True)]
    [row] = due_for_assessment(nurse_a, on=START + timedelta(days=43))
    assert (row.due_on, row.overdue_from) == (START + timedelta(days=28), START + timedelta(days=43))
    marrow(nurse_a, patient, 27, "2")
    assert listed(30) == []


def test_marrow_before_course_1_does_not_count_as_the_evaluation_after_it(nurse_a, make_patient):
    patient = make_patient()
    treat(nurse_a, patient)
    marrow(nurse_a, patient, 0, "40")  # on the day course 1 started: the baseline marrow
    [row] = due_for_assessment(nurse_a, on=START + timedelta(days=28))
    assert (row.patient, row.reason) == (patient, "First evaluation after course 1")
