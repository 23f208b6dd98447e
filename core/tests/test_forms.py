"""Submitting a form to a service: the service's refusal shows next to the field it names, nothing half-saved."""

from django import forms
from django.core.exceptions import ValidationError

from core.forms import submit
from patients.services import patient_screen


class _NameForm(forms.Form):
    family_name = forms.CharField()


def test_the_service_gets_the_cleaned_data_and_its_record_comes_back():
    form = _NameForm({"family_name": " Doe "})
    assert submit(form, lambda data: {"saved": data}) == {"saved": {"family_name": "Doe"}}


def test_an_invalid_or_unbound_form_never_reaches_the_service():
    def service(data):
        raise AssertionError("called")

    assert submit(_NameForm({}), service) is None
    assert submit(_NameForm(), service) is None


def test_a_refusal_is_shown_on_its_field_or_at_the_top_and_the_record_reloaded(nurse_a, site_a):
    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")

    def refuse(data):
        patient.family_name = data["family_name"]  # changed in memory by the service, then refused
        raise ValidationError({"family_name": "Not this name.", "reason": "Give the reason for this change."})

    form = _NameForm({"family_name": "Dough"})
    assert submit(form, refuse, record=patient) is None
    assert form.errors == {"family_name": ["Not this name."], "__all__": ["Give the reason for this change."]}
    assert patient.family_name == "Doe"
