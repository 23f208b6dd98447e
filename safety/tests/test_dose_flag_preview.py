"""Issue 11, point 10: the dose form's preview of the flag a dose will raise agrees with the DEV-02 rule it names."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from dosing.selectors import dose_flag_preview
from dosing.services import course_start, dose_record
from safety.choices import ACTIVE_STATUSES
from safety.models import Flag
from safety.services import patient_evaluate


@pytest.mark.parametrize(
    ("fraction", "reduce", "raised"), [("0.89", False, True), ("0.9", False, False), ("0.5", True, False)]
)
def test_the_preview_names_the_flag_dev02_then_raises(nurse_a, make_patient, fraction, reduce, raised):
    patient = make_patient()
    course = course_start(
        actor=nurse_a, patient=patient, start_date=date(2024, 1, 3), height_cm=Decimal(170), weight_kg=Decimal(70)
    )
    cyclo = course.administrations.filter(drug__code="cyclophosphamide").order_by("day", "dose_number").first()
    amount = (cyclo.planned_dose * Decimal(fraction)).quantize(Decimal("0.01"))

    preview = dose_flag_preview(cyclo, status="given", dose_given=amount, reduce_rest_of_course=reduce)
    dose_record(
        actor=nurse_a,
        administration=cyclo,
        status="given",
        given_at=timezone.make_aware(datetime(2024, 1, 3, 9)),
        dose_given=amount,
        reason="Mucositis",
        reduce_rest_of_course=reduce,
    )
    patient_evaluate(patient_id=patient.pk)
    flagged = Flag.objects.filter(patient=patient, rule_code="DEV-02", status__in=ACTIVE_STATUSES).exists()

    assert flagged is raised and (preview is not None) is raised
    if raised:
        assert preview.code == "DEV-02" and preview.offers_reduction
