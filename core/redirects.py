"""Where a page goes back to after a POST."""

from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, default: str) -> str:
    """The page to go back to (``next`` in the form, else in the query) if it is on this site, else ``default``:
    a link elsewhere (``https://other.example``, ``//other.example``) never becomes a redirect."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
