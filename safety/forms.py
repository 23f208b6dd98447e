"""Forms of the safety pages: the filters of the flag list, and acknowledging, resolving or dismissing a flag.

The reason fields are optional here so that a missing reason gets the service's message (the same as the API's).
"""

from django import forms

from .choices import FlagStatus, Severity

ACTIVE = "active"
ANY = "any"
STATUS_CHOICES = [
    (ACTIVE, "Active"),
    *FlagStatus.choices,
    (ANY, "Any status"),
]


class FlagFilterForm(forms.Form):
    """Filters of the flag list (all optional, read from the query string; the status defaults to active)."""

    rule = forms.ChoiceField(choices=[], required=False)
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    patient = forms.CharField(required=False, max_length=50, label="Subject id")
    site = forms.ChoiceField(choices=[], required=False)

    def __init__(self, *args, rules, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", "Any rule"), *((r.code, f"{r.code} · {r.title}") for r in rules)]
        self.fields["site"].choices = [("", "All your sites"), *((s.code, f"{s.code} · {s.name}") for s in sites)]

    def filters(self) -> dict:
        """The selector's keyword arguments; an invalid form filters on nothing but the default status."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        status = data.get("status") or ACTIVE
        return {
            "rule_code": data.get("rule", ""),
            "status": "" if status == ANY else status,
            "severity": data.get("severity", ""),
            "site": data.get("site", ""),
            "subject_id": (data.get("patient") or "").strip(),
        }


class FlagAcknowledgeForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=500,
        label="Note",
        help_text="Optional: what you are doing about it (kept in the audit trail).",
    )


class FlagResolveForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Why is the flag resolved?",
        help_text="The rule reopens the flag if the condition still holds at its next check.",
    )


class FlagDismissForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Why is the flag dismissed?",
        help_text="A dismissed flag stays closed even if the rule still finds the condition.",
    )
