"""Every problem at once (issue 11, point 2), the framework's side: the merge of parse errors with a service's,
and the trial run of a service in a transaction always rolled back (nothing it writes or queues survives)."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from core.units import AT_LEAST, with_unit
from core.validation import IN_FUTURE, NOT_A_NUMBER, merge_errors, trial_run_errors, with_field_errors
from patients.models import Baseline, Patient
from patients.services import patient_screen

# --- the helper -------------------------------------------------------------------------------------------------


def test_merge_keeps_each_parse_error_and_adds_the_services_for_the_other_fields():
    merged = merge_errors(
        {"weight_kg": [NOT_A_NUMBER]},
        {
            "weight_kg": ["This field cannot be null."],  # about the empty value the service saw: dropped
            "start_date": [IN_FUTURE],
            NON_FIELD_ERRORS: ["The patient is not registered."],
        },
    )
    assert merged == {
        "weight_kg": [NOT_A_NUMBER],
        "start_date": [IN_FUTURE],
        NON_FIELD_ERRORS: ["The patient is not registered."],
    }
    # errors about no field are joined, each message once; DRF's key for them is used when asked
    assert merge_errors(
        {"non_field_errors": ["A"]}, {NON_FIELD_ERRORS: ["A", "B"]}, non_field_key="non_field_errors"
    ) == {"non_field_errors": ["A", "B"]}


def test_a_trial_run_returns_the_services_refusal_and_leaves_nothing_behind(
    nurse_a, site_a, django_capture_on_commit_callbacks
):
    def screen_then_refuse():
        patient_screen(actor=nurse_a, site=site_a, sex="female", given_name="Ada", family_name="Lovelace")
        raise ValidationError({"sex": "Refused after writing."})

    with django_capture_on_commit_callbacks() as callbacks:
        assert trial_run_errors(screen_then_refuse) == {"sex": ["Refused after writing."]}
        # a service that would have accepted the values writes nothing either
        assert trial_run_errors(lambda: patient_screen(actor=nurse_a, site=site_a, sex="male", family_name="Doe")) == {}
    assert not Patient.objects.exists() and not Patient.history.exists()
    assert callbacks == []  # no safety evaluation, no e-mail queued on commit


def test_a_service_that_cannot_run_on_the_partial_values_adds_nothing():
    def broken():
        return date.today() > None  # a service comparing a value that did not parse

    assert trial_run_errors(broken) == {}


def test_the_models_range_check_of_values_given_to_a_service_says_the_unit():
    errors = with_field_errors(Baseline, {"wbc_1e9_per_l": Decimal(-1), "cd20_percent": Decimal(-5)}, {})
    assert errors == {"wbc_1e9_per_l": with_unit(0, "×10⁹/L", AT_LEAST), "cd20_percent": with_unit(0, "%", AT_LEAST)}
    assert errors["wbc_1e9_per_l"] == "This value must be at least 0 ×10⁹/L."
    assert errors["cd20_percent"] == "This value must be at least 0%."
