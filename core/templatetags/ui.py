"""Template helpers of the layout: accessible Bootstrap forms, compact day lists, plain numbers, the panels of
the patient and home pages."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from core import registry
from core.formatting import plain_number

register = template.Library()


@register.filter
def bs_widget(bound_field):
    """Render a form field's widget with Bootstrap classes and ARIA attributes for its errors and help."""
    widget = bound_field.field.widget
    input_type = getattr(widget, "input_type", "")
    if input_type == "select":
        css = "form-select"
    elif input_type in ("checkbox", "radio"):
        css = "form-check-input"
    else:
        css = "form-control"
    attrs = {"class": css + (" is-invalid" if bound_field.errors else "")}
    described = []
    if bound_field.help_text:
        described.append(f"{bound_field.auto_id}_help")
    if bound_field.errors:
        described.append(f"{bound_field.auto_id}_errors")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if bound_field.field.required:
        attrs["required"] = True
    return bound_field.as_widget(attrs=attrs)


def compact_days(days):
    """[1, 2, 3, 4, 11, 12, 13, 14] → "1–4, 11–14": course days as a nurse reads them."""
    days = sorted(set(days))
    parts = []
    start = prev = None
    for day in days:
        if start is None:
            start = prev = day
        elif day == prev + 1:
            prev = day
        else:
            parts.append(str(start) if start == prev else f"{start}–{prev}")
            start = prev = day
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}–{prev}")
    return ", ".join(parts)


register.filter("compact_days", compact_days)


@register.filter
def number(value):
    """A number as typed, without trailing zeros or exponent: Decimal("100.0000") → "100"; None → "—"."""
    if value is None or value == "":
        return "—"
    return plain_number(value)


def _render_panels(panels, context, *objects):
    html = []
    for panel in panels:
        panel_context = panel.context(context, *objects)
        if panel_context.get("show", True):
            html.append(render_to_string(panel.template, panel_context, request=context.get("request")))
    return mark_safe("".join(html))  # noqa: S308 - rendered by our own templates, autoescaped there


@register.simple_tag(takes_context=True)
def patient_panels(context, patient):
    """Every panel the apps registered for the patient's page, in their order (hidden ones left out)."""
    return _render_panels(registry.patient_panels(), context, patient)


@register.simple_tag(takes_context=True)
def home_panels(context):
    """Every panel the apps registered for the home page, in their order (hidden ones left out)."""
    return _render_panels(registry.home_panels(), context)
