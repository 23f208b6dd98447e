"""Template helpers of the response pages, and the response-and-outcomes panel of the patient's page."""

from django import template

from trial.choices import ResponseCategory

from .. import selectors
from ..derivations import BEST_RESPONSE_LABELS

register = template.Library()

CATEGORY_CSS = {
    ResponseCategory.CR: "response-cr",
    ResponseCategory.CRP: "response-crp",
    ResponseCategory.CRI: "response-cri",
    ResponseCategory.NO_RESPONSE: "response-none",
}


@register.filter
def response_label(category):
    """A response category code as read: "cr" → "CR", "no_response" → "No response", "early_death" → "Early death"."""
    return BEST_RESPONSE_LABELS.get(category, category)


@register.filter
def response_css(category):
    return CATEGORY_CSS.get(category, "response-none")


def patient_responses_panel(context, patient):
    """The patient's best response, survival so far, timeline, and the buttons to record evaluations and
    outcomes (allogeneic SCT, follow-up, off study, death), for the patient's page."""
    user = context["user"]
    if not user.has_perm("responses.view_marrowassessment") or patient.protocol_version_id is None:
        return {"show": False}
    outcome = selectors.patient_outcome(patient)
    timeline = selectors.patient_timeline(user, patient, outcome)
    death = next((e for e in timeline if e.kind == "death"), None)
    return {
        "show": True,
        "patient": patient,
        "perms": context.get("perms"),
        "endpoints": outcome.endpoints if outcome else None,
        "timeline": timeline,
        "death": death,
        "off_study": any(e.kind == "off_study" for e in timeline),
        "can_record": patient.is_followed,
    }
