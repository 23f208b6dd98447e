"""What every service checks before it writes: only the fields it takes, and every problem reported at once."""

import pytest
from django.core.exceptions import ValidationError

from core.validation import UNKNOWN_FIELD, refuse_unknown_fields, with_model_errors
from patients.models import Consent


def test_each_unknown_field_is_refused_by_name():
    with pytest.raises(ValidationError) as exc:
        refuse_unknown_fields({"grade": 3, "colour": "red", "size": 1}, ("grade",))
    assert exc.value.message_dict == {"colour": [UNKNOWN_FIELD], "size": [UNKNOWN_FIELD]}
    refuse_unknown_fields({"grade": 3}, ("grade",))  # known fields pass


def test_the_services_errors_come_with_the_models_own_on_the_other_fields():
    consent = Consent(consent_date=None, form_version="")
    errors = with_model_errors(consent, {"consent_date": "This date is in the future."})
    assert errors["consent_date"] == "This date is in the future."  # the service's message is kept
    assert errors["form_version"] == "This field cannot be blank."
