"""manage.py safety_sweep: the nightly sweep on demand, or one patient's evaluation, with totals and elapsed time."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from responses.services import assessment_record
from safety.models import Flag
from safety.tests.helpers import START


def marrow(nurse, patient):
    return assessment_record(
        actor=nurse, patient=patient, assessed_on=START, marrow_blast_percent=2, neutrophils_1e9_per_l=2,
        platelets_1e9_per_l=150,
    )  # fmt: skip


def sweep(*args):
    out = StringIO()
    call_command("safety_sweep", *args, stdout=out)
    return out.getvalue()


def test_sweep_raises_the_missed_flags_prints_totals_and_is_idempotent(nurse_a, make_patient):
    patients = [make_patient() for _ in range(2)]
    for patient in patients:
        marrow(nurse_a, patient)  # no evaluation queued in a test transaction: only the sweep finds them

    first = sweep()

    assert Flag.objects.filter(rule_code="DEV-13", patient__in=patients).count() == 2
    raised = int(re.search(r"flags (\d+) raised", first).group(1))
    assert raised == Flag.objects.count() and raised >= 2
    assert re.search(r"Evaluated \d+ patients: .*Elapsed \d+\.\d\d s\.", first)
    assert "0 raised, 0 updated, 0 reopened, 0 resolved" in sweep()


def test_sweep_of_one_patient(nurse_a, make_patient):
    one, other = make_patient(), make_patient()
    for patient in (one, other):
        marrow(nurse_a, patient)

    output = sweep("--patient", str(one.pk))

    assert output.startswith("Evaluated 1 patient: flags ")
    assert Flag.objects.filter(patient=one, rule_code="DEV-13").exists()
    assert not Flag.objects.filter(patient=other).exists()
    with pytest.raises(CommandError, match="No patient with id 999999"):
        sweep("--patient", "999999")
