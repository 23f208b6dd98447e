"""The flag engine: one flag per condition, automatic resolution, audit, sweep = per-patient path."""

from datetime import timedelta

from core.audit.trail import record_history
from core.audit.writes import audited_update
from patients.services.registration import consent_record
from responses.services import assessment_record
from safety.models import Flag
from safety.services import flag_acknowledge, flag_dismiss, patient_evaluate
from safety.tasks import nightly_sweep
from safety.tests.helpers import START


def marrow_before_consent(nurse, patient):
    return assessment_record(
        actor=nurse, patient=patient, assessed_on=START, marrow_blast_percent=2, neutrophils_1e9_per_l=2,
        platelets_1e9_per_l=150,
    )  # fmt: skip


def test_same_condition_checked_three_times_gives_one_flag(nurse_a, make_patient):
    patient = make_patient()  # registered, but no consent recorded: any procedure precedes consent
    marrow_before_consent(nurse_a, patient)
    for _ in range(3):
        patient_evaluate(patient_id=patient.pk)
    flags = Flag.objects.filter(patient=patient, rule_code="DEV-13")
    assert flags.count() == 1
    assert len(record_history(flags.get())) == 1


def test_fixed_condition_resolves_its_flag_with_time_and_why(nurse_a, make_patient):
    patient = make_patient()
    marrow_before_consent(nurse_a, patient)
    patient_evaluate(patient_id=patient.pk)
    consent_record(actor=nurse_a, patient=patient, consent_date=START - timedelta(days=3), form_version="v1")
    counts = patient_evaluate(patient_id=patient.pk)
    flag = Flag.objects.get(patient=patient, rule_code="DEV-13")
    assert counts["resolved"] == 1
    assert flag.status == "resolved" and flag.resolved_at is not None
    assert "no longer holds" in flag.resolution
    assert record_history(flag)[-1].reason == flag.resolution


def test_dismissed_flag_stays_dismissed_and_status_changes_are_audited(nurse_a, investigator_a, make_patient):
    patient = make_patient()
    marrow_before_consent(nurse_a, patient)
    patient_evaluate(patient_id=patient.pk)
    flag = Flag.objects.get(patient=patient, rule_code="DEV-13")
    flag_acknowledge(actor=nurse_a, flag=flag)
    flag_dismiss(actor=investigator_a, flag=flag, reason="Consent form found, entered late")
    patient_evaluate(patient_id=patient.pk)
    flag.refresh_from_db()
    assert flag.status == "dismissed"
    assert [e.reason for e in record_history(flag)][-2:] == ["Acknowledged", "Consent form found, entered late"]


def test_sweep_on_a_database_where_per_patient_tasks_never_ran_gives_the_same_flags(nurse_a, make_patient):
    patients = [make_patient() for _ in range(3)]
    for patient in patients:
        marrow_before_consent(nurse_a, patient)
    for patient in patients[:1]:
        patient_evaluate(patient_id=patient.pk)
    per_patient = set(Flag.objects.values_list("dedup_key", flat=True))
    Flag.objects.all().delete()
    totals = nightly_sweep.delay().get()
    assert totals["patients"] >= 3
    swept = set(Flag.objects.filter(patient=patients[0]).values_list("dedup_key", flat=True))
    assert swept == per_patient
    assert Flag.objects.filter(rule_code="DEV-13").count() == 3


def test_saves_queue_one_evaluation_per_patient_on_commit(nurse_a, make_patient):
    from django.db import connection

    patient = make_patient()
    marrow_before_consent(nurse_a, patient)
    audited_update(patient, actor=nurse_a, reason="x", sex="female")
    queued = [f for _s, f, _r in connection.run_on_commit if getattr(f, "patient_id", None) == patient.pk]
    assert len(queued) == 1


def test_broker_down_never_fails_the_save(nurse_a, make_patient, monkeypatch, caplog):
    from django.db import connection

    from responses.models import MarrowAssessment
    from safety import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.evaluate_patient, "delay", broken)
    patient = make_patient()
    assessment = marrow_before_consent(nurse_a, patient)  # saved; its evaluation waits for the commit
    queued = [cb for _s, cb, _r in connection.run_on_commit if getattr(cb, "patient_id", None) == patient.pk]
    assert len(queued) == 1
    with caplog.at_level("WARNING", logger="safety.tasks"):
        queued[0]()  # the commit: the broker refuses the task, and the callback does not raise
    assert MarrowAssessment.objects.filter(pk=assessment.pk).exists()
    assert f"Could not queue the safety evaluation of patient {patient.pk}" in caplog.text
    assert not Flag.objects.filter(patient=patient).exists()  # not evaluated: the nightly sweep catches up
