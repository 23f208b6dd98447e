"""The dosing panel of the home page: doses due today and overdue at the user's sites, from the worklist
(registered in ``DosingConfig.ready``). Two queries whatever the number of patients: the counts, then the first rows."""

from django.db.models import Count, Q
from django.utils import timezone

from core.registry import HOME_PANEL_ROWS

from . import selectors

PERMISSION = "dosing.change_plannedadministration"  # records a dose (the worklist's action)


def home_doses_panel(context):
    user = context["user"]
    if not user.has_perm(PERMISSION):
        return {"show": False}
    today = timezone.localdate()
    doses = selectors.worklist(user, on=today)
    counts = doses.aggregate(
        due_today=Count("id", filter=Q(planned_date=today)), overdue=Count("id", filter=Q(planned_date__lt=today))
    )
    total = counts["due_today"] + counts["overdue"]
    return {
        "show": True,
        "today": today,
        "due_today": counts["due_today"],
        "overdue": counts["overdue"],
        "total": total,
        "doses": list(doses[:HOME_PANEL_ROWS]) if total else [],
    }
