from django import template

from .. import formatting

register = template.Library()

for name in ("count_percent", "proportion_ci", "p_value", "median_range", "months", "rate", "percent", "hazard_ratio"):
    register.filter(name, getattr(formatting, name))


@register.filter
def at(mapping, key):
    """``rates|at:36.0`` in a template."""
    return mapping[key]
