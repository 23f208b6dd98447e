"""Forms of the nurse's dosing pages. They only parse input: the clinical rules live in ``dosing.services``,
whose errors the views put back next to the field they name (``core.forms.add_service_errors``)."""

from datetime import datetime, time
from decimal import Decimal

from django import forms
from django.utils import timezone

from core.forms import DateInput, DateTimeLocalInput
from trial.choices import DoseLevel, Route

from .choices import RECORDED_STATUSES, AdministrationStatus, DoseAmountUnit
from .derivations.calendar import ABSOLUTE_UNIT_TEXT, dose_text
from .derivations.doses import next_dose_time
from .services import GIVEN_NEEDS

REDUCTION_ONLY_WHEN_GIVEN = "A reduction for the rest of the course applies to a dose given at a lower amount."
DEFAULT_GIVEN_HOUR = time(9, 0)


class CourseStartForm(forms.Form):
    start_date = forms.DateField(widget=DateInput, help_text="Day 1 of the course.")
    height_cm = forms.DecimalField(
        label="Height (cm)", max_digits=5, decimal_places=1, help_text="Doses are planned from this course's BSA."
    )
    weight_kg = forms.DecimalField(label="Weight (kg)", max_digits=5, decimal_places=1)
    inotuzumab_dose_level = forms.ChoiceField(
        label="Inotuzumab dose level",
        required=False,
        choices=[("", "Same as the previous course"), (DoseLevel.HIGHER, "Higher"), (DoseLevel.LOWER, "Lower")],
        help_text="Only for protocol versions with a higher and a lower inotuzumab dose.",
    )
    early_maintenance_reason = forms.CharField(
        label="Start maintenance early because…",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Leave empty to start the next planned course. With a reason, the next course is the first "
        "maintenance course (e.g. toxicity stopped consolidation).",
    )

    def __init__(self, *args, needs_dose_level=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_dose_level:
            del self.fields["inotuzumab_dose_level"]


class CourseRecomputeForm(forms.Form):
    height_cm = forms.DecimalField(label="Height (cm)", max_digits=5, decimal_places=1)
    weight_kg = forms.DecimalField(label="New weight (kg)", max_digits=5, decimal_places=1)
    reason = forms.CharField(
        label="Reason for re-planning",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="E.g. weight loss of more than 10%. Doses already given are kept as recorded.",
    )


def default_given_at(administration, earlier=None):
    """The planned day at 09:00 local time — for a 2nd (or later) dose of the day, the ``earlier`` dose's time
    plus the regimen's interval (12 h for q12h) — or now when that is still ahead."""
    if earlier is not None and earlier.given_at is not None:
        planned = timezone.localtime(
            next_dose_time(
                earlier_given_at=earlier.given_at,
                earlier_number=earlier.dose_number,
                number=administration.dose_number,
                interval_hours=administration.regimen_item.interval_hours,
                doses_per_day=administration.doses_per_day,
            )
        )
    else:
        planned = timezone.make_aware(datetime.combine(administration.planned_date, DEFAULT_GIVEN_HOUR))
    now = timezone.localtime().replace(second=0, microsecond=0)
    return min(planned, now)


class DoseRecordForm(forms.Form):
    """Record a planned dose as given (when, how much, which route), held or omitted, with a reason."""

    status = forms.ChoiceField(choices=RECORDED_STATUSES, label="Recorded as")
    given_at = forms.DateTimeField(
        label="Given at", required=False, widget=DateTimeLocalInput, help_text="Local date and time."
    )
    dose_given = forms.DecimalField(label="Dose given", required=False, max_digits=10, decimal_places=4)
    route_given = forms.ChoiceField(label="Route", required=False, choices=Route.choices)
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the dose, route or day differs from the plan, and for a held or omitted dose.",
    )
    reduce_rest_of_course = forms.BooleanField(
        label="Apply this reduction to the rest of the course",
        required=False,
        help_text="Later planned doses of this drug in this course are reduced by the same fraction.",
    )

    confirm_flag = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=10, decimal_places=4)

    GIVEN_ONLY = ("given_at", "dose_given", "route_given", "reduce_rest_of_course")

    def __init__(self, *args, administration, earlier_dose=None, **kwargs):
        self.administration = administration
        a = administration
        if a.status == AdministrationStatus.PENDING:
            initial = {
                "status": AdministrationStatus.GIVEN,
                "given_at": default_given_at(a, earlier_dose),
                "dose_given": Decimal(dose_text(a.planned_dose)) if a.planned_dose is not None else None,
                "route_given": a.route,
            }
        else:
            initial = {
                "status": a.status,
                "given_at": timezone.localtime(a.given_at) if a.given_at else None,
                "dose_given": Decimal(dose_text(a.dose_given)) if a.dose_given is not None else None,
                "route_given": a.route_given or a.route,
                "reason": a.deviation_reason,
            }
        super().__init__(*args, initial=initial, **kwargs)
        unit = ABSOLUTE_UNIT_TEXT.get(a.dose_unit, a.dose_unit)
        if unit:
            self.fields["dose_given"].label = f"Dose given ({unit})"
        if a.planned_dose is None:
            self.fields["dose_given"].help_text = "No amount is planned for this drug; enter one if you know it."
            del self.fields["reduce_rest_of_course"]
        if a.status != AdministrationStatus.PENDING:
            self.fields["reason"].label = "Reason for change"
            self.fields["reason"].help_text = "Required: this dose is already recorded."

    def clean(self):
        data = super().clean()
        if data.get("status") != AdministrationStatus.GIVEN:
            # The time, amount and route belong to a given dose only (the form pre-fills them for one).
            for name in self.GIVEN_ONLY:
                self._errors.pop(name, None)
                data[name] = False if name == "reduce_rest_of_course" else None
            if self.data.get(self.add_prefix("reduce_rest_of_course")) and "reduce_rest_of_course" in self.fields:
                self.add_error("reduce_rest_of_course", REDUCTION_ONLY_WHEN_GIVEN)
        elif (
            data.get("dose_given") is None
            and self.administration.planned_dose is not None
            and "dose_given" not in self._errors
        ):
            self.add_error("dose_given", GIVEN_NEEDS.format(what="the amount given"))
        return data

    def service_arguments(self):
        data = self.cleaned_data
        return {
            "status": data["status"],
            "given_at": data.get("given_at"),
            "dose_given": data.get("dose_given"),
            "route_given": data.get("route_given") or "",
            "reason": data.get("reason", ""),
            "reduce_rest_of_course": bool(data.get("reduce_rest_of_course")),
        }


class DoseOverrideForm(forms.Form):
    """An investigator's signed authorisation to give a dose above the drug's cumulative maximum."""

    dose_given = forms.DecimalField(label="Dose to authorise", max_digits=10, decimal_places=4)
    reason = forms.CharField(
        label="Clinical reason for exceeding the maximum", widget=forms.Textarea(attrs={"rows": 3})
    )
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign this override.",
    )

    def __init__(self, *args, administration, **kwargs):
        super().__init__(*args, **kwargs)
        unit = ABSOLUTE_UNIT_TEXT.get(administration.dose_unit, administration.dose_unit)
        if unit:
            self.fields["dose_given"].label = f"Dose to authorise ({unit})"


class UnplannedDoseForm(forms.Form):
    """A dose the plan did not hold (an extra dose, another drug, a dose on another day), recorded as given."""

    drug = forms.ModelChoiceField(queryset=None, label="Drug given")
    given_at = forms.DateTimeField(
        label="Given at", required=False, widget=DateTimeLocalInput, help_text="Its date is the course day recorded."
    )
    dose_given = forms.DecimalField(label="Dose given", required=False, max_digits=10, decimal_places=4)
    dose_unit = forms.ChoiceField(label="Unit", choices=DoseAmountUnit.choices)
    route = forms.ChoiceField(label="Route", choices=Route.choices)
    reason = forms.CharField(
        label="Why it was given although the plan did not hold it",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required. The dose is flagged as a deviation with this reason.",
    )

    def __init__(self, *args, drugs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["drug"].queryset = drugs
