"""Errors name what the nurse sees (issue 11, point 12): a lab value the rules cannot grade names the lab test as
she picked it (Haemoglobin), not its CTCAE term (Anemia), and the units it is graded in."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from adverse_events.models import LabResult
from adverse_events.plausibility import UNIT_NOT_OFFERED
from adverse_events.services import lab_result_record


def test_a_lab_value_in_a_unit_the_rules_do_not_grade_names_the_test_and_its_units(nurse_a, make_patient):
    patient = make_patient()
    with pytest.raises(ValidationError) as refused:
        lab_result_record(
            actor=nurse_a,
            patient=patient,
            lab_term="Anemia",
            collected_on=date(2024, 2, 1),
            value=Decimal(70),
            unit="furlongs",
        )
    [message] = refused.value.message_dict["unit"]
    assert message == UNIT_NOT_OFFERED.format(test="Haemoglobin", units="g/L", unit="furlongs")
    assert "Anemia" not in message and "g/L" in message
    assert not LabResult.objects.exists()
