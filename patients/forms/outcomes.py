"""Forms of the outcome pages (allogeneic SCT, off study, follow-up, death). They only parse input: the rules
(dates after registration, not in the future, not after death, once only) live in ``patients.services.outcomes``."""

from django import forms

from core.forms import DateInput, ReasonForChangeMixin

from ..choices import (
    ConditioningAgent,
    DeathCause,
    DonorType,
    FollowUpDiseaseStatus,
    OffStudyReason,
    TransplantStatus,
    VitalStatus,
)

BLANK = [("", "—")]


class TransplantForm(forms.Form):
    status = forms.ChoiceField(choices=BLANK + TransplantStatus.choices)
    transplant_date = forms.DateField(
        label="Transplant date", widget=DateInput, help_text="Day 0, or the planned date for a planned transplant."
    )
    donor_type = forms.ChoiceField(choices=BLANK + DonorType.choices, required=False)
    conditioning_regimen = forms.CharField(max_length=200, required=False, help_text="As named by the centre.")
    conditioning_agents = forms.MultipleChoiceField(
        choices=ConditioningAgent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every agent of the regimen (alkylators matter for the SOS risk).",
    )


class TransplantEditForm(ReasonForChangeMixin, TransplantForm):
    field_order = ["status", "transplant_date", "donor_type", "conditioning_regimen", "conditioning_agents", "reason"]


class OffStudyForm(forms.Form):
    off_study_date = forms.DateField(label="Off-study date", widget=DateInput)
    reason = forms.ChoiceField(label="Why off study", choices=BLANK + OffStudyReason.choices)
    detail = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    contact_date = forms.DateField(label="Date of contact", widget=DateInput)
    vital_status = forms.ChoiceField(
        choices=VitalStatus.choices, initial=VitalStatus.ALIVE, help_text="For a death, record the death instead."
    )
    disease_status = forms.ChoiceField(choices=BLANK + FollowUpDiseaseStatus.choices, required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DeathForm(forms.Form):
    death_date = forms.DateField(label="Date of death", widget=DateInput)
    cause = forms.ChoiceField(label="Cause of death", choices=BLANK + DeathCause.choices)
    cause_detail = forms.CharField(label="Details", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DeathEditForm(ReasonForChangeMixin, DeathForm):
    field_order = ["death_date", "cause", "cause_detail", "reason"]
