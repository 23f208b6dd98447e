"""Forms of eligibility: the values a nurse records, their correction, and an investigator's waiver.

The value fields are built from the model's fields (labels, choices, digits). Plausible ranges
are the model's validators, checked by the service's ``full_clean``: bilirubin 99 mg/dL gives the
same message next to the field here as through the API.
"""

from django import forms
from django.forms.models import fields_for_model

from core.choices import SignatureMeaning
from core.forms import DateInput, ReasonForChangeMixin

from ..models import EligibilityAssessment
from ..selectors.eligibility import ASSESSMENT_VALUE_FIELDS
from ..services.eligibility import WAIVER_REASON_REQUIRED

NOT_RECORDED_CHOICE = "— not recorded —"
PASSWORD_REQUIRED = "Re-enter your password to sign the waiver."


class EligibilityAssessmentForm(forms.Form):
    assessed_on = forms.DateField(
        label="Date of assessment",
        widget=DateInput,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in fields_for_model(EligibilityAssessment, fields=ASSESSMENT_VALUE_FIELDS).items():
            field.label = field.label[:1].upper() + field.label[1:]
            if isinstance(field, forms.NullBooleanField):
                field.widget.choices = [("unknown", NOT_RECORDED_CHOICE), ("true", "Yes"), ("false", "No")]
            elif isinstance(field, forms.TypedChoiceField):
                field.choices = [("", NOT_RECORDED_CHOICE), *[c for c in field.choices if c[0] != ""]]
            self.fields[name] = field
        if "reason" in self.fields:
            self.order_fields(["assessed_on", *ASSESSMENT_VALUE_FIELDS, "reason"])

    def values(self) -> dict:
        """The cleaned values as the services take them (without the reason for change)."""
        return {name: self.cleaned_data[name] for name in ("assessed_on", *ASSESSMENT_VALUE_FIELDS)}


class EligibilityAssessmentEditForm(ReasonForChangeMixin, EligibilityAssessmentForm):
    """The same values, corrected: a changed saved value needs a reason, and voids any signed waiver."""


class EligibilityWaiverForm(forms.Form):
    """An investigator's waiver: the reason and the password; the signature's meaning is fixed to waiver."""

    meaning = SignatureMeaning.WAIVER
    reason = forms.CharField(
        label="Reason for the waiver",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": WAIVER_REASON_REQUIRED},
        help_text="Why the patient may be registered although these criteria are not met or missing.",
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": PASSWORD_REQUIRED},
        help_text="Re-enter your password to sign.",
    )

    @property
    def meaning_label(self) -> str:
        return SignatureMeaning(self.meaning).label
