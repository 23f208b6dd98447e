"""The deviation of a dose the plan did not hold (issue 11): every unplanned dose is flagged, with its reason.

An unplanned dose is a ``PlannedAdministration`` with ``unplanned=True``, so the other deviation rules (cumulative
maximum, hold days, same-day methotrexate …) judge it like any other given dose; this rule says that it was given.
"""

from core.formatting import plain_number

from ..choices import RuleKind, Severity
from . import finding, rule


@rule("DEV-20", RuleKind.DEVIATION, "Dose given that the plan did not hold", Severity.WARNING)
def unplanned_dose(ctx):
    """A dose recorded as given outside the course's plan (an extra dose, another drug, a dose on another day)."""
    found = []
    for a in ctx.given():
        if not a.unplanned:
            continue
        amount = f"{plain_number(a.dose_given)} {a.get_dose_unit_display()} " if a.dose_given is not None else ""
        found.append(
            finding(
                unplanned_dose,
                f"{a.drug.name} {amount}{a.route_given or a.route} given on course {a.course.course_number} "
                f"day {a.day}, not in the plan: {a.deviation_reason}",
                key=f"adm{a.pk}",
                window_start=ctx.given_on(a),
                evidence={
                    "administration": a.pk,
                    "drug": a.drug.code,
                    "day": a.day,
                    "dose_given": str(a.dose_given) if a.dose_given is not None else None,
                    "route": a.route_given or a.route,
                    "reason": a.deviation_reason,
                },
            )
        )
    return found
