"""The "Marrow due" list and DEV-11 read one definition of due and overdue
(:func:`responses.derivations.assessment_expectations`): on any day, a patient is overdue on the list exactly when
DEV-11 flags the missing first evaluation after course 1."""

import re
from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from dosing.services import course_start
from responses.selectors import due_for_assessment
from safety.choices import ACTIVE_STATUSES
from safety.models import Flag
from safety.services import patient_evaluate

ROW = re.compile(r'<tr data-testid="due-row">(.*?)</tr>', re.S)


def test_list_overdue_exactly_when_dev11_flags(client, nurse_a, make_patient):
    today = timezone.localdate()
    patients = {}
    for day in (27, 28, 42, 43, 60):  # days since course 1 started
        patient = make_patient()
        course_start(
            actor=nurse_a, patient=patient, start_date=today - timedelta(days=day), height_cm=Decimal(170),
            weight_kg=Decimal(70),
        )  # fmt: skip
        patient_evaluate(patient_id=patient.pk)
        patients[day] = patient
    client.force_login(nurse_a)
    page = client.get(reverse("responses:due")).content.decode()
    rows = {m.group(1).split("</a>")[0].rsplit(">", 1)[1]: m.group(1) for m in ROW.finditer(page)}
    listed = {p.subject_id for p in patients.values()} & set(rows)
    assert listed == {patients[d].subject_id for d in (28, 42, 43, 60)}
    for day, patient in patients.items():
        flagged = Flag.objects.filter(patient=patient, rule_code="DEV-11", status__in=ACTIVE_STATUSES).exists()
        overdue_on_page = patient.subject_id in rows and 'badge text-bg-danger">overdue' in rows[patient.subject_id]
        [overdue_in_selector] = [d.overdue for d in due_for_assessment(nurse_a) if d.patient == patient] or [False]
        assert flagged is overdue_on_page is overdue_in_selector is (day >= 43), day
    started = today - timedelta(days=43)  # due since day 28, overdue from day 43: today
    shown = rows[patients[43].subject_id]
    assert f"{started + timedelta(days=28):%-d %b %Y}</td>" in shown and f"{today:%-d %b %Y}</td>" in shown
