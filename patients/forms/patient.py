from django import forms

from core.forms import DateInput, ReasonForChangeMixin
from trial.models import Site

from ..choices import Sex


class PatientScreenForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none())
    sex = forms.ChoiceField(choices=[("", "—")] + Sex.choices, required=False)
    given_name = forms.CharField(max_length=100, required=False)
    family_name = forms.CharField(max_length=100, required=False)
    medical_record_number = forms.CharField(label="MRN", max_length=30, required=False)
    date_of_birth = forms.DateField(required=False, widget=DateInput)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        if sites.count() == 1:
            self.fields["site"].initial = sites.first()


class PatientEditForm(ReasonForChangeMixin, forms.Form):
    sex = forms.ChoiceField(choices=[("", "—")] + Sex.choices, required=False)
    given_name = forms.CharField(max_length=100, required=False)
    family_name = forms.CharField(max_length=100, required=False)
    medical_record_number = forms.CharField(label="MRN", max_length=30, required=False)
    date_of_birth = forms.DateField(required=False, widget=DateInput)

    field_order = ["sex", "given_name", "family_name", "medical_record_number", "date_of_birth", "reason"]
