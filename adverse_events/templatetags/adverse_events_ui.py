"""Template helpers of the adverse-event pages, and the adverse-events panel of the patient's page."""

from django import template

from .. import selectors
from ..choices import RELATED_ATTRIBUTIONS
from ..derivations.windows import (
    IN_WINDOW,
    OUT_OF_WINDOW,
    RELATED_AFTER_WINDOW,
    SAE_DUE,
    SAE_OVERDUE,
    SAE_SUBMITTED,
    SOS_WINDOW,
)

register = template.Library()

PANEL_ROWS = 5
WINDOW_BADGES = {
    IN_WINDOW: ("text-bg-light border", "in window"),
    RELATED_AFTER_WINDOW: ("text-bg-info", "after window · related"),
    SOS_WINDOW: ("text-bg-info", "SOS window"),
    OUT_OF_WINDOW: ("text-bg-secondary", "out of window"),
}
SAE_BADGES = {
    SAE_DUE: ("text-bg-warning", "SAE report due"),
    SAE_OVERDUE: ("text-bg-danger", "SAE report overdue"),
    SAE_SUBMITTED: ("text-bg-success", "SAE reported"),
}


@register.inclusion_tag("adverse_events/_window_badge.html")
def window_badge(window):
    """The AE's reporting-window verdict as a short badge; its reason is the badge's title and visible text nearby."""
    css, text = WINDOW_BADGES[window.status]
    return {"css": css, "text": text, "window": window}


@register.inclusion_tag("adverse_events/_sae_badge.html")
def sae_badge(sae):
    """The SAE clock as a badge with the due time (nothing for a non-serious event)."""
    css, text = SAE_BADGES.get(sae.status, ("", ""))
    return {"css": css, "text": text, "sae": sae}


@register.filter
def grade_css(grade):
    return f"grade-badge grade-{grade}" if grade is not None else "grade-badge grade-none"


def patient_adverse_events_panel(context, patient):
    """The patient's latest adverse events with their window and SAE badges, SAE reports due, and the lab values
    whose proposed AE awaits confirmation, for the patient's page."""
    user = context["user"]
    if not user.has_perm("adverse_events.view_adverseevent") or patient.protocol_version_id is None:
        return {"show": False}
    rows = selectors.patient_aes(user, patient)
    proposals = []
    if user.has_perm("adverse_events.view_labresult"):
        proposals = list(selectors.open_lab_proposals(user, patient))
    return {
        "show": True,
        "patient": patient,
        "perms": context.get("perms"),
        "rows": rows[-PANEL_ROWS:][::-1],
        "total": len(rows),
        "sae_open": [r for r in rows if r.sae.status in (SAE_DUE, SAE_OVERDUE)],
        "proposals": proposals,
        "can_record": patient.is_followed,
    }


@register.filter
def related_attributions(ae):
    """The AE's attributions that make it treatment-related (possible, probable, definite), from the prefetch."""
    return [a for a in ae.attributions.all() if a.attribution in RELATED_ATTRIBUTIONS]
