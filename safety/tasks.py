"""Celery tasks of the safety engine: thin, idempotent, taking ids; queued on commit.

A broker that is down never makes a nurse's save fail: queueing errors are logged and the nightly
sweep (beat schedule in config/settings/base.py) recomputes every active patient.
"""

import logging

from celery import shared_task
from django.db import connection, transaction

from patients.models import Patient
from patients.selectors import active_patient_ids

logger = logging.getLogger(__name__)


class _Evaluate:
    """The on-commit callback that queues one patient's evaluation (recognisable, so it is queued once)."""

    def __init__(self, patient_id):
        self.patient_id = patient_id

    def __call__(self):
        try:
            evaluate_patient.delay(self.patient_id)
        except Exception:  # a stalled or absent broker must not fail the nurse's save
            logger.warning(
                "Could not queue the safety evaluation of patient %s; the nightly sweep will catch up.",
                self.patient_id,
                exc_info=True,
            )


RULE_INPUT_APPS = frozenset({"patients", "dosing", "responses", "adverse_events"})


def patient_id_of(instance) -> int | None:
    """The patient a changed record belongs to (None for records outside a patient, for flags, and for records of
    apps the rules do not read, such as an export's de-identification key)."""
    from .models import Flag

    if isinstance(instance, Flag) or instance._meta.app_label not in RULE_INPUT_APPS:
        return None
    if isinstance(instance, Patient):
        return instance.pk
    for path in ("patient_id", "course.patient_id", "adverse_event.patient_id", "administration.course.patient_id"):
        value = instance
        try:
            for part in path.split("."):
                value = getattr(value, part)
        except AttributeError:
            continue
        if value is not None:
            return value
    return None


def queue_for_record(instance):
    """Queue the evaluation of the patient a record belongs to, once per transaction, after it commits."""
    patient_id = patient_id_of(instance)
    if patient_id is None:
        return
    if connection.in_atomic_block:
        for _savepoints, callback, _robust in connection.run_on_commit:
            if isinstance(callback, _Evaluate) and callback.patient_id == patient_id:
                return
    transaction.on_commit(_Evaluate(patient_id))


@shared_task(
    name="safety.tasks.evaluate_patient", acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True
)
def evaluate_patient(patient_id: int) -> dict:
    """Re-evaluate one patient's safety rules (idempotent). A patient withdrawn since (a screening record entered in
    error) has nothing left to evaluate: nothing is done, and the task does not retry."""
    from .services import patient_evaluate

    if not Patient.objects.filter(pk=patient_id).exists():
        return {"withdrawn": 1}
    return patient_evaluate(patient_id=patient_id)


@shared_task(name="safety.tasks.nightly_sweep", acks_late=True)
def nightly_sweep() -> dict:
    """Recompute every active patient's flags, so a lost message or a rule change is caught."""
    from .services import patient_evaluate

    totals = {"patients": 0, "raised": 0, "updated": 0, "reopened": 0, "resolved": 0}
    for patient_id in active_patient_ids():
        counts = patient_evaluate(patient_id=patient_id)
        totals["patients"] += 1
        for key, value in counts.items():
            totals[key] += value
    return totals
