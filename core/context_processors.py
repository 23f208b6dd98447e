"""Navigation shown in the layout: the entries the apps registered, chosen by the user's permissions, and the
home page (the one a user lands on after signing in, ``LOGIN_REDIRECT_URL``), so the layout names no app."""

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from .registry import nav_entries


def navigation(request):
    home_url = resolve_url(settings.LOGIN_REDIRECT_URL)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "home_url": home_url}
    current = request.path
    items = []
    for entry in nav_entries():
        if entry.permission is not None and not user.has_perm(entry.permission):
            continue
        url = reverse(entry.url_name)
        items.append(
            {
                "label": entry.label,
                "url": url,
                "active": url != "/" and current.startswith(url) or current == url,
                "count": entry.counter(user) if entry.counter else None,
            }
        )
    return {"nav_items": items, "home_url": home_url}
