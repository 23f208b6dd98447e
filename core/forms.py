"""Form pieces every app uses: date widgets, the signature form, the reason for change, submitting a form's data
to a service and showing its errors."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import render

from .choices import SignatureMeaning
from .validation import invalid_choice_message, merge_errors, trial_run_errors


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


def empty_value(field):
    """What a form field gives for an empty input ("" for text and choices, [] for several choices, else None): the
    value a service is tried with for a field whose input could not be parsed."""
    if hasattr(field, "empty_value"):
        return field.empty_value
    try:
        return field.to_python(None)
    except ValidationError:
        return None


def add_trial_run_errors(form, save) -> None:
    """A form that found errors also shows the service's: ``save`` runs, rolled back, on the values that parsed
    (and each field that did not as empty), and its messages are added for the fields without an error yet, so the
    user sees every problem after one submit (:func:`core.validation.trial_run_errors`)."""
    parsed = form.cleaned_data
    failed = {name: empty_value(form.fields[name]) for name in form.errors if name in form.fields}
    form.cleaned_data = {**failed, **parsed}  # services read it through the form's own helpers too
    try:
        found = trial_run_errors(lambda: save(dict(form.cleaned_data)))
    finally:
        form.cleaned_data = parsed
    parse_errors = {name: messages for name, messages in form.errors.items() if name in form.fields}
    for field, messages in merge_errors(parse_errors, found).items():
        if field in parse_errors:
            continue
        target = field if field in form.fields else None
        shown = {str(m) for m in (form.errors.get(target or NON_FIELD_ERRORS) or [])}
        for message in messages:
            if message not in shown:
                form.add_error(target, message)
                shown.add(message)


def choice_codes(choices) -> list:
    """The codes of a choice field's choices (groups flattened, the empty choice left out)."""
    codes = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            codes.extend(code for code, _label in label)
        else:
            codes.append(value)
    return [code for code in codes if code not in ("", None)]


def name_valid_choices(form) -> None:
    """A refused choice names the valid codes, as the API does ('"x" is not a valid choice. Valid: iv, po.');
    record choices (a course, a patient) are left as Django says them, their codes being ids."""
    for name, field in form.fields.items():
        if not isinstance(field, forms.ChoiceField) or isinstance(field, forms.ModelChoiceField):
            continue
        errors = form.errors.get(name)
        for index, error in enumerate(errors.as_data() if errors else []):
            if error.code == "invalid_choice":
                value = (error.params or {}).get("value", "")
                message = invalid_choice_message(value, choice_codes(field.choices))
                errors[index] = ValidationError(message, code="invalid_choice")


def submit(form, save, *, record=None):
    """Send a bound form's data to a service: ``save(data)`` with a copy of the cleaned data.

    Returns what the service returns (the record it wrote), or None when the form or the service refused; the
    service's ValidationError is then shown on the form and ``record`` (the record being changed) reloaded as saved.
    A form with errors of its own is not saved, but its values that parsed are still checked by the service (in a
    transaction rolled back), so its refusals come in the same answer (every problem at once, not in rounds).
    """
    if not form.is_bound:
        return None
    if not form.is_valid():
        name_valid_choices(form)
        add_trial_run_errors(form, save)
        if record is not None:
            record.refresh_from_db()
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
