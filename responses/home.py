"""The responses panel of the home page: bone-marrow evaluations due and overdue at the user's sites, from the
"Marrow due" list (registered in ``ResponsesConfig.ready``; the same fixed number of queries as that list)."""

from django.utils import timezone

from core.registry import HOME_PANEL_ROWS

from . import selectors

PERMISSION = "responses.add_marrowassessment"  # records an evaluation (the "Marrow due" list's action)


def home_marrow_due_panel(context):
    user = context["user"]
    if not user.has_perm(PERMISSION):
        return {"show": False}
    rows = selectors.due_for_assessment(user, on=timezone.localdate())
    rows = sorted(rows, key=lambda r: (not r.overdue, r.due_on or timezone.localdate()))  # overdue first
    overdue = sum(1 for r in rows if r.overdue)
    return {
        "show": True,
        "total": len(rows),
        "overdue": overdue,
        "due": len(rows) - overdue,
        "rows": rows[:HOME_PANEL_ROWS],
    }
