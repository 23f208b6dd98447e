"""Forms of the marrow-evaluation pages. They only parse input: the rules live in ``responses.services``,
whose errors the views put back next to the field they name (``core.forms.add_service_errors``).
The response itself is never a field: it is derived from these values."""

from django import forms

from core.forms import DateInput, ReasonForChangeMixin

from .models import MarrowAssessment
from .services import VALUE_FIELDS

# The values the derived response is computed from (the live preview reads these).
RESPONSE_INPUTS = (
    "marrow_blast_percent",
    "neutrophils_1e9_per_l",
    "platelets_1e9_per_l",
    "extramedullary_disease",
    "blasts_due_to_recovery",
)


class CourseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, course):
        started = f"{course.start_date.day} {course.start_date:%b %Y}"
        return f"Course {course.course_number}, started {started} — {course.course_type.name}"


MUST_CHOOSE = ("mrd_flow", "mrd_ngs", "cytogenetics")
"""Required choices that start unselected: whether MRD (flow, NGS) and cytogenetics were done, and their result."""


class AssessmentForm(forms.ModelForm):
    """A bone-marrow evaluation: date, the course it follows, blasts, same-day counts, MRD and cytogenetics."""

    after_course = CourseChoiceField(
        queryset=None,
        required=False,
        empty_label="— not after a course —",
        help_text="Preset to the latest course.",
    )

    class Meta:
        model = MarrowAssessment
        fields = ["assessed_on", *VALUE_FIELDS]
        labels = {"assessed_on": "Date of the marrow"}
        help_texts = {
            "extramedullary_disease": "Leukaemia outside the marrow (e.g. CNS, skin, lymph nodes) on this date.",
            "mrd_flow_level": "Only when detected, e.g. 0.0012 for 0.12% (sensitivity 1 × 10⁻⁴).",
            "mrd_ngs_level": "clonoSEQ, only when detected (sensitivity 1 × 10⁻⁶).",
        }
        widgets = {
            "assessed_on": DateInput,
            "marrow_blast_percent": forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "100"}),
            "neutrophils_1e9_per_l": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "platelets_1e9_per_l": forms.NumberInput(attrs={"step": "0.1", "min": "0"}),
            "mrd_flow_level": forms.NumberInput(attrs={"step": "any", "min": "0", "max": "1"}),
            "mrd_ngs_level": forms.NumberInput(attrs={"step": "any", "min": "0", "max": "1"}),
        }

    def __init__(self, *args, courses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["after_course"].queryset = courses
        for name in MUST_CHOOSE:
            field = self.fields[name]
            field.choices = [("", "— choose —"), *(c for c in field.choices if c[0] != "")]
            field.required = True
            if self.instance.pk is None:
                self.initial[name] = ""  # the model's default must not be preselected: a nurse chooses

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


class AssessmentEditForm(ReasonForChangeMixin, AssessmentForm):
    """Correcting a saved evaluation: the same fields and a reason for change."""

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("reason")
        return data
