"""The safety panel of the home page: urgent flags still open or acknowledged, and the active flags of each rule,
at the user's sites (registered in ``SafetyConfig.ready``). Three queries whatever the number of patients."""

from core.registry import first_rows

from . import selectors
from .rules import all_rules

PERMISSION = "safety.view_flag"  # the flag list (safety:flags)


def home_flags_panel(context):
    user = context["user"]
    if not user.has_perm(PERMISSION):
        return {"show": False}
    urgent_count, urgent = first_rows(selectors.urgent_active_flags(user))
    titles = {r.code: r.title for r in all_rules()}
    by_rule = [{**row, "title": titles.get(row["rule_code"], "")} for row in selectors.active_flag_counts_by_rule(user)]
    return {
        "show": True,
        "urgent_count": urgent_count,
        "urgent": urgent,
        "by_rule": by_rule,
        "active_count": sum(row["total"] for row in by_rule),
    }
