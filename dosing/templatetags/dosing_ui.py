"""Template helpers of the dosing pages, and the courses panel other apps' pages include."""

from django import template

from .. import selectors
from ..derivations.calendar import ABSOLUTE_UNIT_TEXT, UNIT_TEXT, dose_text

register = template.Library()

register.filter("dose", dose_text)


def patient_courses_panel(context, patient):
    """The patient's courses, cumulative inotuzumab and the next course to start (for the patient's page)."""
    user = context["user"]
    if not user.has_perm("dosing.view_course"):
        return {"show": False}
    return {
        "show": True,
        "patient": patient,
        "perms": context.get("perms"),
        "courses": selectors.courses_with_progress(user, patient=patient),
        "labels": selectors.course_labels(patient.protocol_version),
        "next_course": selectors.next_course_preview(patient),
        "cumulative": selectors.cumulative_doses_by_patient([patient])[patient.pk],
    }


@register.filter
def unit_text(unit):
    """A stored dose unit as read: "mg/m2" → "mg/m²", "ug/day" → "µg/day"."""
    return UNIT_TEXT.get(unit) or ABSOLUTE_UNIT_TEXT.get(unit) or unit
