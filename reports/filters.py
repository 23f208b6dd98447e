"""The filters every report takes, from a page's query string or the API's, through one form.

Site (one of the user's sites, or all of them), protocol version, registration period and the data cut-off date:
only what was known by the cut-off counts (patients registered by then; courses, evaluations, follow-up contacts,
transplants and deaths dated on or before it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django import forms

from core.forms import DateInput
from trial.selectors import sites_for_user, trial_home

REGISTRATION_PERIOD_REVERSED = "Registered from must be on or before Registered to."
CUTOFF_BEFORE_PERIOD = "Data cut-off must be on or after Registered from: no patient was registered by then."


@dataclass(frozen=True)
class ReportFilters:
    """What a report is restricted to; ``None`` means no restriction (all the user's sites, every version,
    any registration date, every record entered so far)."""

    site: object | None = None  # a trial.Site of the user's sites
    protocol_version: object | None = None  # a trial.ProtocolVersion
    registered_from: date | None = None
    registered_to: date | None = None
    cutoff: date | None = None

    def query_string(self) -> str:
        """The filters as the query string the page, the images, the CSV and the API read."""
        values = {
            "site": self.site.code if self.site else "",
            "protocol_version": self.protocol_version.code if self.protocol_version else "",
            "registered_from": self.registered_from.isoformat() if self.registered_from else "",
            "registered_to": self.registered_to.isoformat() if self.registered_to else "",
            "cutoff": self.cutoff.isoformat() if self.cutoff else "",
        }
        return urlencode({k: v for k, v in values.items() if v})

    def describe(self) -> list[str]:
        """The filters in words, for the caption of every table and figure."""
        words = [f"site {self.site.code}" if self.site else "all your sites"]
        if self.protocol_version:
            words.append(f"{self.protocol_version.name} version")
        if self.registered_from or self.registered_to:
            start = self.registered_from.isoformat() if self.registered_from else "the start"
            end = self.registered_to.isoformat() if self.registered_to else "today"
            words.append(f"registered {start} to {end}")
        return words


class ReportFilterForm(forms.Form):
    site = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="code", empty_label="All my sites", label="Site"
    )
    protocol_version = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="code", empty_label="All versions", label="Protocol version"
    )
    registered_from = forms.DateField(required=False, widget=DateInput, label="Registered from")
    registered_to = forms.DateField(required=False, widget=DateInput, label="Registered to")
    cutoff = forms.DateField(
        required=False,
        widget=DateInput,
        label="Data cut-off",
        help_text="Only what was known by this date counts. Empty: everything recorded so far.",
    )

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["site"].queryset = sites_for_user(user).order_by("code")
        self.fields["protocol_version"].queryset = trial_home(user)["versions"]

    def clean(self):
        data = super().clean()
        start, end, cutoff = data.get("registered_from"), data.get("registered_to"), data.get("cutoff")
        if start and end and start > end:
            self.add_error("registered_to", REGISTRATION_PERIOD_REVERSED)
        if start and cutoff and cutoff < start:
            self.add_error("cutoff", CUTOFF_BEFORE_PERIOD)
        return data

    def filters(self) -> ReportFilters:
        """The validated filters (call after ``is_valid()``)."""
        return ReportFilters(**{name: self.cleaned_data.get(name) for name in self.fields})


def filter_form(user, query) -> ReportFilterForm:
    """The filter form bound to a query string (an empty one is valid: no restriction)."""
    return ReportFilterForm({k: query.get(k, "") for k in ReportFilterForm.base_fields}, user=user)


class CoxCovariateForm(forms.Form):
    """The Table 1 characteristics a user picks for the Cox models (``?covariate=age&covariate=male``)."""

    covariate = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Covariates",
        help_text="Each is fitted alone (univariate) and all together with SCT (multivariate).",
    )

    def __init__(self, data=None, *, choices, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["covariate"].choices = list(choices.items())

    def picked(self) -> tuple[str, ...]:
        """The picked covariates in the order of the choices (call after ``is_valid()``)."""
        chosen = set(self.cleaned_data["covariate"])
        return tuple(key for key, _ in self.fields["covariate"].choices if key in chosen)


def cox_covariate_form(query, choices) -> CoxCovariateForm:
    getlist = getattr(query, "getlist", None)
    picked = getlist("covariate") if getlist else query.get("covariate", [])
    return CoxCovariateForm({"covariate": picked}, choices=choices)
