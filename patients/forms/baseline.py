"""The baseline characteristics form, in the groups of the paper's Table 1.

Fields only parse what is typed (numbers, choices); plausible ranges and the rules between
fields are checked by the service (patients.validators), so the form and the API give the same
messages. Help texts state units and the plausible range.
"""

from django import forms

from core.forms import ReasonForChangeMixin

from ..choices import CRLF2Method, FrontlineRegimen, KaryotypeGroup, TP53Status, YesNoUnknown
from ..validators import BASELINE_FIELDS, BASELINE_FIELDSETS, PLAUSIBLE_RANGES

BLANK = [("", "—")]


class YesNoBlankSelect(forms.NullBooleanSelect):
    """Yes / No, or "—" while not recorded (None)."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", "—"), ("true", "Yes"), ("false", "No")]


def _number(label, unit, *, integer=False, help_text="", name):
    plausible = PLAUSIBLE_RANGES[name]
    range_text = f"Plausible range {plausible.text}{f' {unit}' if unit else ''}."
    field_class = forms.IntegerField if integer else forms.DecimalField
    return field_class(
        label=label,
        required=False,
        help_text=f"{help_text} {range_text}".strip(),
        widget=forms.NumberInput(attrs={"step": "1" if integer else "any"}),
    )


def _choice(label, choices, help_text=""):
    return forms.ChoiceField(label=label, choices=BLANK + list(choices), required=False, help_text=help_text)


def _yes_no(label, help_text=""):
    return forms.NullBooleanField(label=label, required=False, widget=YesNoBlankSelect, help_text=help_text)


class BaselineForm(ReasonForChangeMixin, forms.Form):
    """Baseline characteristics at the start of study treatment. All fields may be completed later."""

    FIELDSETS = BASELINE_FIELDSETS

    ecog = _number("ECOG performance status", "", integer=True, name="ecog", help_text="0 (fully active) to 4.")
    wbc_1e9_per_l = _number("WBC (×10⁹/L)", "×10⁹/L", name="wbc_1e9_per_l", help_text="White blood cells.")
    peripheral_blast_percent = _number(
        "Peripheral-blood blasts (%)", "%", name="peripheral_blast_percent", help_text="% of white blood cells."
    )
    marrow_blast_percent = _number(
        "Bone-marrow blasts (%)", "%", name="marrow_blast_percent", help_text="% of nucleated marrow cells."
    )
    cns_disease_at_start = _yes_no("CNS disease at start", "Leukaemia in the cerebrospinal fluid or CNS.")
    karyotype_group = _choice("Karyotype group", KaryotypeGroup.choices, "Conventional cytogenetics.")
    kmt2a_rearranged = _choice("KMT2A rearrangement", YesNoUnknown.choices, "By karyotype or FISH.")
    low_hypodiploidy_near_triploidy = _choice("Low hypodiploidy / near triploidy", YesNoUnknown.choices)
    ph_like = _choice("Ph-like (RNA sequencing)", YesNoUnknown.choices)
    crlf2_overexpression = _choice("CRLF2 overexpression", YesNoUnknown.choices, "Give the test method when tested.")
    crlf2_method = _choice("CRLF2 test method", CRLF2Method.choices)
    tp53_status = _choice("TP53 mutation", TP53Status.choices)
    cd19_percent = _number("CD19 expression (% of blasts)", "%", name="cd19_percent")
    cd20_percent = _number(
        "CD20 expression (% of blasts)",
        "%",
        name="cd20_percent",
        help_text="Decides whether rituximab is given (see the derived values).",
    )
    cd22_percent = _number("CD22 expression (% of blasts)", "%", name="cd22_percent")
    prior_frontline_regimen = _choice("Prior frontline regimen", FrontlineRegimen.choices)
    prior_frontline_regimen_detail = forms.CharField(
        label="Frontline regimen detail", max_length=200, required=False, help_text="Required for “Other”."
    )
    primary_refractory = _yes_no("Primary refractory", "Never reached a first remission.")
    first_remission_duration_months = _number(
        "First remission duration (months)",
        "months",
        name="first_remission_duration_months",
        help_text="From first complete remission to first relapse; empty when primary refractory.",
    )
    prior_salvage_lines = _number(
        "Prior salvage therapies",
        "lines",
        integer=True,
        name="prior_salvage_lines",
        help_text="Salvage lines before this study (0 when this is the first salvage).",
    )
    prior_allogeneic_sct = _yes_no("Prior allogeneic SCT")

    def __init__(self, *args, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["reason"]

    def fieldsets(self):
        """(legend, bound fields) per group, for the template."""
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def values(self) -> dict:
        """The cleaned baseline values, without the reason."""
        return {name: self.cleaned_data[name] for name in BASELINE_FIELDS}
