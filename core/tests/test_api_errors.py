"""A value the API computes or sets by another action is refused when sent, naming each field and why."""

import pytest
from rest_framework import exceptions

from core.api.errors import DERIVED_NOT_TYPED, refuse_input

REFUSED = {"grade": DERIVED_NOT_TYPED, "sae_reported_at": "Record the submission with POST …/sae-report/."}


def test_each_refused_field_sent_is_named_with_its_reason():
    with pytest.raises(exceptions.ValidationError) as exc:
        refuse_input({"grade": 3, "sae_reported_at": "2024-01-01T10:00", "onset_date": "2024-01-01"}, REFUSED)
    assert {field: str(message) for field, message in exc.value.detail.items()} == REFUSED


def test_input_without_refused_fields_passes():
    assert refuse_input({"onset_date": "2024-01-01"}, REFUSED) is None
