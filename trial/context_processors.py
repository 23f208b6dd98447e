"""Navigation shown in the layout, chosen by the user's permissions."""

from django.urls import reverse

# Counts shown beside a navigation item (label → (permission, counter(user))), registered by higher apps
# in their AppConfig.ready, so trial imports none of them.
_nav_counts: dict = {}


def register_nav_count(label: str, permission: str, counter):
    _nav_counts[label] = (permission, counter)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("Trial", reverse("trial:home"), None)]
    candidates = [
        ("Patients", "patients:list", "patients.view_patient"),
        ("Worklist", "dosing:worklist", "dosing.change_plannedadministration"),
        ("Marrow due", "responses:due", "responses.add_marrowassessment"),
        ("AE log", "adverse_events:log", "adverse_events.view_adverseevent"),
        ("Flags", "safety:flags", "safety.view_flag"),
        ("Protocol", "trial:protocol", "trial.view_protocolversion"),
        ("API docs", "api-docs", None),
        ("Administration", "admin:index", "trial.change_user"),
    ]
    for label, url_name, perm in candidates:
        if perm is None or user.has_perm(perm):
            items.append((label, reverse(url_name), perm))
    counts = {label: counter(user) for label, (permission, counter) in _nav_counts.items() if user.has_perm(permission)}
    current = request.path
    return {
        "nav_items": [
            {
                "label": label,
                "url": url,
                "active": url != "/" and current.startswith(url) or current == url,
                "count": counts.get(label),
            }
            for label, url, _ in items
        ]
    }
