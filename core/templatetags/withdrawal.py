"""The "Withdraw (entered in error)" link of a record's page: shown to users who may withdraw it, when it can be."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from core.withdrawal import may_withdraw

register = template.Library()

LINK_TEXT = "Withdraw (entered in error)"


@register.simple_tag(takes_context=True)
def withdraw_link(context, record, css="btn btn-outline-danger btn-sm"):
    """``{% withdraw_link record %}``: the link to ``core:withdraw`` for ``record``, or nothing."""
    user = context.get("user")
    if record is None or user is None or not may_withdraw(user, record):
        return ""
    url = reverse("core:withdraw", args=[record._meta.label_lower, record.pk])
    return format_html('<a class="{}" href="{}" data-testid="withdraw-link">{}</a>', css, url, LINK_TEXT)
