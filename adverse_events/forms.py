"""Forms of the adverse-event pages. They only parse input: the rules (a grade the term defines, the verbatim of
an "Other, specify" term, attribution to every study drug received, grade 5 and death, SAE criteria and clock) live
in ``adverse_events.services``, whose errors the views put back next to the field they name, so a nurse sees the
same message for the same bad input as an API client."""

from django import forms

from core.forms import DateInput, DateTimeLocalInput, ReasonForChangeMixin

from .choices import ActionTaken, AEOutcome, Attribution, SAECriterion, UnitSystem
from .models import CTCAETerm

GRADES = [(g, f"Grade {g}") for g in range(1, 6)]
TERM_REQUIRED = "Choose a CTCAE term: search by term, MedDRA code or system organ class."
ATTRIBUTION_PREFIX = "attribution_"


class TermGradeForm(forms.Form):
    """The CTCAE term (picked by the type-ahead search, sent as its id), its grade and the verbatim text.

    The grade accepts 1–5 so that a grade the term does not define reaches the service, whose message says which
    grades the term has; the page offers only the term's own grades."""

    term = forms.ModelChoiceField(
        queryset=CTCAETerm.objects.all(),
        widget=forms.HiddenInput,
        error_messages={"required": TERM_REQUIRED, "invalid_choice": TERM_REQUIRED},
    )
    grade = forms.TypedChoiceField(choices=GRADES, coerce=int, widget=forms.RadioSelect, label="CTCAE grade")
    verbatim = forms.CharField(
        required=False,
        max_length=300,
        label="Verbatim",
        help_text="The event in the investigator's words; required for an “Other, specify” term.",
    )

    def __init__(self, *args, version=None, **kwargs):
        super().__init__(*args, **kwargs)
        if version is not None:
            self.fields["term"].queryset = CTCAETerm.objects.filter(version=version)


class CourseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, course):
        return f"Course {course.course_number}, started {course.start_date.day} {course.start_date:%b %Y}"


class AdverseEventForm(TermGradeForm):
    """An adverse event: term and grade, dates, course, attribution to each study drug received, seriousness,
    action taken and outcome."""

    onset_date = forms.DateField(widget=DateInput, label="Onset")
    resolution_date = forms.DateField(
        widget=DateInput, required=False, label="Resolved on", help_text="Empty while the event is ongoing."
    )
    course = CourseChoiceField(
        queryset=None,
        required=False,
        empty_label="— the course running at onset —",
        help_text="Left empty, the course is derived from the onset date.",
    )
    # Carries the service's attribution error (the values come from the attribution_<drug> fields below).
    attributions = forms.CharField(required=False, widget=forms.HiddenInput)
    serious = forms.BooleanField(
        required=False, label="Serious adverse event (SAE)", help_text="Starts the expedited-report clock."
    )
    sae_criteria = forms.MultipleChoiceField(
        choices=SAECriterion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="SAE criteria",
        help_text="Only for a serious event; at least one.",
    )
    sae_aware_at = forms.DateTimeField(
        required=False,
        widget=DateTimeLocalInput,
        label="Site aware of the SAE at",
        help_text="Local date and time; the expedited report falls due the protocol's number of hours later.",
    )
    action_taken = forms.ChoiceField(
        choices=[("", "—"), *ActionTaken.choices], required=False, label="Action taken with study treatment"
    )
    outcome = forms.ChoiceField(choices=[("", "—"), *AEOutcome.choices], required=False)

    def __init__(self, *args, courses, drugs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.drugs = list(drugs)
        for drug in self.drugs:
            self.fields[ATTRIBUTION_PREFIX + drug.code] = forms.ChoiceField(
                choices=[("", "Choose…"), *Attribution.choices], required=False, label=drug.name
            )

    def attribution_fields(self):
        return [self[ATTRIBUTION_PREFIX + drug.code] for drug in self.drugs]

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("attributions")
        data.pop("reason", None)
        attributions = {}
        for drug in self.drugs:
            value = data.pop(ATTRIBUTION_PREFIX + drug.code)
            if value:
                attributions[drug.code] = value
        data["attributions"] = attributions
        data["sae_criteria"] = list(data["sae_criteria"])
        return data


class AdverseEventEditForm(ReasonForChangeMixin, AdverseEventForm):
    """Correcting a saved AE: the same fields and a reason for change (a changed grade keeps the old one in the
    audit trail)."""


class SAEReportForm(forms.Form):
    sae_reported_at = forms.DateTimeField(
        widget=DateTimeLocalInput, label="Expedited report submitted at", help_text="Local date and time."
    )


class AELogFilterForm(forms.Form):
    """Filters of the site AE log (all optional, read from the query string)."""

    grade = forms.TypedChoiceField(choices=[("", "Any grade"), *GRADES], coerce=int, required=False, empty_value=None)
    soc = forms.ChoiceField(choices=[], required=False, label="System organ class")
    term = forms.CharField(required=False, label="Term or MedDRA code")
    serious = forms.TypedChoiceField(
        choices=[("", "Serious or not"), ("yes", "Serious only"), ("no", "Not serious")],
        coerce=lambda v: v == "yes",
        required=False,
        empty_value=None,
        label="Seriousness",
    )
    attribution = forms.ChoiceField(
        choices=[("", "Any attribution"), *Attribution.choices],
        required=False,
        help_text="To at least one study drug.",
    )

    def __init__(self, *args, socs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["soc"].choices = [("", "Any system organ class"), *((s, s) for s in socs)]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


class LabResultForm(forms.Form):
    """A value of a lab test with its normal range; the CTCAE term and grade are derived by the shipped rules on
    save (a low potassium is graded as Hypokalemia, a high one as Hyperkalemia)."""

    lab_test = forms.ChoiceField(label="Lab test", choices=[])
    unit_system = forms.ChoiceField(choices=UnitSystem.choices, widget=forms.HiddenInput)
    collected_on = forms.DateField(widget=DateInput, label="Collected on")
    value = forms.DecimalField(max_digits=12, decimal_places=4)
    unit = forms.CharField(
        max_length=20,
        required=False,
        help_text="Leave empty for the unit shown beside the test; where two are shown, type the one you used.",
    )
    lower_limit_normal = forms.DecimalField(
        label="LLN", max_digits=12, decimal_places=4, required=False, help_text="Lower limit of normal."
    )
    upper_limit_normal = forms.DecimalField(
        label="ULN", max_digits=12, decimal_places=4, required=False, help_text="Upper limit of normal."
    )
    baseline_value = forms.DecimalField(
        label="Baseline value",
        max_digits=12,
        decimal_places=4,
        required=False,
        help_text="Some tests (e.g. ALT, creatinine) are graded against the patient's baseline.",
    )

    def __init__(self, *args, tests, **kwargs):
        """``tests`` are selectors.lab_test_options() of one unit system."""
        super().__init__(*args, **kwargs)
        self.fields["lab_test"].choices = [("", "Choose a lab test…")] + [(test.code, test.label) for test in tests]


class LabDismissForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Why is this value not an adverse event?",
        help_text="E.g. expected nadir already recorded as febrile neutropenia; haemolysed sample.",
    )


FINDING_CHOICES = [("unknown", "Not assessed"), ("true", "Yes"), ("false", "No")]


class ClinicalObservationForm(forms.Form):
    """Bedside findings on a date (the SOS criteria read them); at least one of the three is given."""

    observed_on = forms.DateField(widget=DateInput, label="Observed on")
    weight_kg = forms.DecimalField(label="Weight (kg)", max_digits=5, decimal_places=1, required=False)
    hepatomegaly = forms.NullBooleanField(
        label="Hepatomegaly (tender, enlarged liver)", widget=forms.Select(choices=FINDING_CHOICES)
    )
    ascites = forms.NullBooleanField(label="Ascites", widget=forms.Select(choices=FINDING_CHOICES))
