"""Form pieces every app uses: date widgets, the signature form, the reason for change, submitting a form's data
to a service and showing its errors."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render

from .choices import SignatureMeaning


class DateInput(forms.DateInput):
    """A browser date picker; HTML date inputs need ISO dates whatever the display locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    """A browser date-and-time picker (local time, ISO format)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class SignatureForm(forms.Form):
    """Re-entering the password is the signature's second component (with the signed-in user name)."""

    meaning = forms.ChoiceField(
        choices=[("", "Choose what your signature means…"), *SignatureMeaning.choices],
        label="Meaning of this signature",
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Your password",
        help_text="Re-enter your password to sign.",
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForChangeMixin(forms.Form):
    """Adds the reason-for-change field every edit form of a saved record carries."""

    reason = forms.CharField(
        label="Reason for change",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when you change a value that was already saved.",
    )


def add_service_errors(form, exc):
    """Show a service's ValidationError on the form: next to the field it names, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                for message in error.messages:
                    form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def submit(form, save, *, record=None):
    """Send a bound, valid form's data to a service: ``save(data)`` with a copy of the cleaned data.

    Returns what the service returns (the record it wrote), or None when the form or the service refused; the
    service's ValidationError is then shown on the form and ``record`` (the record being changed) reloaded as saved.
    """
    if not (form.is_bound and form.is_valid()):
        return None
    try:
        return save(dict(form.cleaned_data))
    except ValidationError as exc:
        if record is not None:
            record.refresh_from_db()
        add_service_errors(form, exc)
        return None


def render_form(request, template, context):
    """A page with a form (``context["form"]``): 400 when it shows errors, so a refused submission is not a 200."""
    return render(request, template, context, status=400 if context["form"].errors else 200)
