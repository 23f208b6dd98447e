"""Template helpers of the safety pages (badges, the evidence as a table) and the flags panel of the patient's page."""

from datetime import date, datetime

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_date, parse_datetime

from .. import selectors
from ..choices import FlagStatus, Severity
from ..views import urgent_first

register = template.Library()

SOS_WINDOW_RULE = "SOS-01"
SEVERITY_CSS = {Severity.URGENT: "text-bg-danger", Severity.WARNING: "text-bg-warning", Severity.INFO: "text-bg-info"}
STATUS_CSS = {
    FlagStatus.OPEN: "text-bg-light border border-danger",
    FlagStatus.ACKNOWLEDGED: "text-bg-light border",
    FlagStatus.RESOLVED: "text-bg-success",
    FlagStatus.DISMISSED: "text-bg-secondary",
}
# Evidence keys holding the id of a record that has its own page.
EVIDENCE_LINKS = {
    "adverse_event": "adverse_events:ae-detail",
    "course": "dosing:course-detail",
    "marrow_assessment": "responses:assessment-detail",
}
EVIDENCE_LABELS = {"adverse_event": "Adverse event", "aware_at": "Site aware at", "due_at": "Due at"}


@register.filter
def severity_css(severity):
    return SEVERITY_CSS.get(severity, "text-bg-secondary")


@register.filter
def status_css(status):
    return STATUS_CSS.get(status, "text-bg-light border")


def _readable(value) -> str:
    """A value of the evidence as a person reads it: dates as dates, lists joined, nothing as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value) if timezone.is_aware(value) else value, "j M Y H:i")
    if isinstance(value, date):
        return date_format(value, "j M Y")
    if isinstance(value, str):
        try:
            moment = parse_datetime(value) if "T" in value else None
            day = parse_date(value) if moment is None else None
        except ValueError:
            moment = day = None
        if moment is not None or day is not None:
            return _readable(moment or day)
        return value
    if isinstance(value, list | tuple):
        return ", ".join(_readable(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_readable(v)}" for k, v in value.items()) or "—"
    return str(value)


def _label(key: str) -> str:
    return EVIDENCE_LABELS.get(key) or str(key).replace("_", " ").capitalize()


def _link(key, value):
    name = EVIDENCE_LINKS.get(key)
    if name is None or isinstance(value, bool) or not isinstance(value, int):
        return None
    try:
        return reverse(name, args=[value])
    except NoReverseMatch:
        return None


@register.filter
def evidence_rows(flag):
    """The flag's evidence as rows of a table: a label, a readable value, and a link to a record that has a page."""
    evidence = flag.evidence if isinstance(flag.evidence, dict) else {"value": flag.evidence}
    return [{"label": _label(k), "value": _readable(v), "url": _link(k, v)} for k, v in evidence.items()]


@register.simple_tag
def window_days_left(flag):
    """Days from today to the end of the flag's window (0 on its last day; None without an end)."""
    if flag.window_end is None:
        return None
    return (flag.window_end - timezone.localdate()).days


def patient_flags_panel(context, patient):
    """The patient's active flags, urgent first, with the SOS risk window (the SOS-01 flag's) shown on its own."""
    user = context["user"]
    if not user.has_perm("safety.view_flag"):
        return {"show": False}
    flags = list(urgent_first(selectors.flags_for(user, patient=patient, status="active")))
    sos = next((f for f in flags if f.rule_code == SOS_WINDOW_RULE), None)
    return {
        "show": True,
        "patient": patient,
        "perms": context.get("perms"),
        "flags": [f for f in flags if f is not sos],
        "sos": sos,
        "sos_days_left": window_days_left(sos) if sos else None,
        "urgent": sum(1 for f in flags if f.severity == Severity.URGENT),
    }
