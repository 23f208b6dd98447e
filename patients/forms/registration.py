from django import forms
from django.utils import timezone

from core.forms import DateInput
from trial.models import ProtocolVersion


class ConsentForm(forms.Form):
    consent_date = forms.DateField(widget=DateInput, help_text="The date the patient signed.")
    form_version = forms.CharField(label="Consent form version", max_length=50, help_text="As printed on the form.")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RegistrationForm(forms.Form):
    registration_date = forms.DateField(widget=DateInput, initial=timezone.localdate)


class ScreenFailForm(forms.Form):
    reason = forms.CharField(label="Why the patient is not registered", widget=forms.Textarea(attrs={"rows": 2}))


class ProtocolVersionCorrectionForm(forms.Form):
    protocol_version = forms.ModelChoiceField(queryset=ProtocolVersion.objects.order_by("effective_date"))
    reason = forms.CharField(label="Reason for correction", widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign this correction.",
    )
