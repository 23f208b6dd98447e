"""Navigation shown in the layout, chosen by the user's permissions."""

from django.urls import reverse


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
        ("Protocol", "trial:protocol", "trial.view_protocolversion"),
        ("API docs", "api-docs", None),
        ("Administration", "admin:index", "trial.change_user"),
    ]
    for label, url_name, perm in candidates:
        if perm is None or user.has_perm(perm):
            items.append((label, reverse(url_name), perm))
    current = request.path
    return {
        "nav_items": [
            {"label": label, "url": url, "active": url != "/" and current.startswith(url) or current == url}
            for label, url, _ in items
        ]
    }
